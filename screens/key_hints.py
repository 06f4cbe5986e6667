"""KeyHints: the bottom line that says which keys do what."""

from __future__ import annotations

from kiosk.i18n import Translate
from screens.plain_text import PlainText


class KeyHints(PlainText):
    def __init__(self, translate: Translate) -> None:
        _ = translate
        super().__init__(_("Tab: next   Shift+Tab: back   Enter: choose   F2: high contrast"),
                         classes="key-hints")
