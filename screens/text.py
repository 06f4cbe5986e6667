"""Text from the roster or from people is shown as plain text, never as markup.

`clean()` strips the characters that could move the cursor, talk to the terminal or
reverse the reading order (Unicode categories Cc and Cf, plus the line and paragraph
separators): ESC, the OSC 52 clipboard sequence, U+202E. Inputs refuse them outright
(see `screens.kiosk_input`).
"""

from __future__ import annotations

import unicodedata

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


def plain(text: str) -> Content:
    """Literal content: brackets and `[@click=...]` stay text; newlines keep lines apart."""
    return Content(clean(text, keep_newlines=True))
