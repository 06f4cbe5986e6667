"""FocusesFirst: a screen or dialog names the widget it opens on, instead of an on_mount.

Textual's own `AUTO_FOCUS` is not used for this: it only acts while the terminal (or
browser tab) has the focus, so a screen opened meanwhile, such as the staff login
after the idle timeout, would open with nothing focused and lose the first key typed.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from textual.widget import Widget


class _Screen(Protocol):
    FIRST_FOCUS: ClassVar[str]

    def query_one(self, selector: str) -> Widget: ...


class FocusesFirst:
    """Mixed into a screen: `FIRST_FOCUS` is focused when it opens.

    Textual calls the `on_mount` of every class along the MRO, so a screen with an
    `on_mount` of its own gets this one too, without calling super().
    """

    FIRST_FOCUS: ClassVar[str] = ""
    """The selector of the widget focused when the screen opens ("" leaves Textual's)."""

    def on_mount(self: _Screen) -> None:
        if self.FIRST_FOCUS:
            self.query_one(self.FIRST_FOCUS).focus()
