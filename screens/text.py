"""Text from the roster, the database or a person is shown literally, never as markup.

Names may hold `[@click=app.quit]x[/]`, `[/b]`, ESC or OSC 52 sequences, or U+202E.
`clean()` strips the characters that could move the cursor, talk to the terminal or
reverse the reading order (Unicode categories Cc and Cf, plus the line and paragraph
separators). Everything shown goes through `clean()` and into a `Content` or rich
`Text` object, never into a markup string. Parent-kiosk inputs refuse those
characters outright (see `screens.kiosk_input`).
"""

from __future__ import annotations

import unicodedata

from rich.text import Text
from textual.content import Content

FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def is_forbidden(char: str) -> bool:
    return unicodedata.category(char) in FORBIDDEN_CATEGORIES


def has_forbidden(text: str) -> bool:
    return any(is_forbidden(char) for char in text)


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """`text` without control and format characters (newlines kept only when asked)."""
    return "".join(char for char in text
                   if not is_forbidden(char) or (keep_newlines and char == "\n"))


def literal(text: str, style: str = "") -> Content:
    """Literal content for Static, Label, Button and OptionList: brackets and
    `[@click=...]` stay text; newlines keep lines apart."""
    return Content.styled(clean(text, keep_newlines=True), style)


def cell(text: object, style: str = "") -> Text:
    """A literal one-line DataTable cell (a plain `str` cell is parsed as markup)."""
    return Text(clean("" if text is None else str(text)), style=style, end="")


def lines(*parts: str | tuple[str, str]) -> Content:
    """Content assembled from literal strings and (text, style) pairs (newlines kept)."""
    return Content.assemble(*(
        (clean(part[0], keep_newlines=True), part[1]) if isinstance(part, tuple)
        else clean(part, keep_newlines=True)
        for part in parts))
