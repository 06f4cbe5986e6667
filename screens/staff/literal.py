"""Text from the roster, the database or a person, shown literally.

Names may hold `[@click=app.quit]x[/]`, `[/b]`, ESC or OSC 52 sequences, or U+202E.
Everything shown goes through `clean()` (control and format characters stripped)
and into a `Content` or rich `Text` object, never into a markup string.
"""

from __future__ import annotations

import unicodedata

from rich.text import Text
from textual.content import Content

STRIPPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """`text` without control, format, line- or paragraph-separator characters."""
    return "".join(ch for ch in text
                   if unicodedata.category(ch) not in STRIPPED_CATEGORIES
                   or (keep_newlines and ch == "\n"))


def literal(text: str, style: str = "") -> Content:
    """Literal content for Static, Label, Button and OptionList (newlines kept)."""
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
