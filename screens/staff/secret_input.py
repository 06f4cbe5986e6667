"""SecretInput: a password box that never copies or cuts its text."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

_CLIPBOARD_ACTIONS = frozenset({"copy", "cut"})


class SecretInput(Input, inherit_bindings=False):
    """An Input with `password=True` and no copy or cut."""

    BINDINGS: ClassVar[list[BindingType]] = [
        binding for binding in Input.BINDINGS
        if not (isinstance(binding, Binding) and binding.action in _CLIPBOARD_ACTIONS)
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(password=True, max_length=256, **kwargs)

    def action_copy(self) -> None:
        """A password never goes to the clipboard."""

    def action_cut(self) -> None:
        """A password never goes to the clipboard."""
