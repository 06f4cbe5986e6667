"""KioskInput: an Input that cannot copy or cut, and refuses control characters."""

from __future__ import annotations

from textual.message import Message

from screens.no_clipboard_input import NoClipboardInput
from screens.text import has_forbidden


class KioskInput(NoClipboardInput):
    """No copy, no cut, no control or format characters (typed or pasted)."""

    class CharacterRefused(Message):
        """Typed or pasted text held a control or format character and was not inserted."""

        def __init__(self, input: KioskInput) -> None:
            super().__init__()
            self.input = input

        @property
        def control(self) -> KioskInput:
            return self.input

    def replace(self, text: str, start: int, end: int) -> None:
        if has_forbidden(text):
            self.post_message(self.CharacterRefused(self))
            self.restricted()
            return
        super().replace(text, start, end)
