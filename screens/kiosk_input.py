"""KioskInput: an Input that cannot copy or cut, and refuses control characters."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

from screens.text import has_forbidden

# Every binding of Input except the ones that put text on the clipboard.
_CLIPBOARD_ACTIONS = frozenset({"cut", "copy"})


def _without_clipboard(bindings: list[BindingType]) -> list[BindingType]:
    kept: list[BindingType] = []
    for binding in bindings:
        if isinstance(binding, Binding) and binding.action in _CLIPBOARD_ACTIONS:
            continue
        kept.append(binding)
    return kept


class KioskInput(Input, inherit_bindings=False):
    """No copy, no cut, no control or format characters (typed or pasted)."""

    BINDINGS: ClassVar[list[BindingType]] = _without_clipboard(Input.BINDINGS)

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

    def action_cut(self) -> None:
        """Cutting would put a password on the clipboard: do nothing."""

    def action_copy(self) -> None:
        """Copying would put a password on the clipboard: do nothing."""
