"""NoClipboardInput: an Input whose text never reaches the clipboard.

The base of the parent kiosk's KioskInput and the staff console's SecretInput: a
password (or a key) copied or cut on a shared machine would outlive the session.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

_CLIPBOARD_ACTIONS = frozenset({"cut", "copy"})


def _without_clipboard(bindings: list[BindingType]) -> list[BindingType]:
    """Every binding of `bindings` except the ones that put text on the clipboard."""
    return [binding for binding in bindings
            if not (isinstance(binding, Binding) and binding.action in _CLIPBOARD_ACTIONS)]


class NoClipboardInput(Input, inherit_bindings=False):
    """An Input with no copy and no cut (neither the keys nor the actions)."""

    BINDINGS: ClassVar[list[BindingType]] = _without_clipboard(Input.BINDINGS)

    def action_cut(self) -> None:
        """Cutting would put the text on the clipboard: do nothing."""

    def action_copy(self) -> None:
        """Copying would put the text on the clipboard: do nothing."""
