"""AppBase: what the parent kiosk (KioskApp) and the staff console (StaffApp) share.

For now, the keys that move the focus. Tab and Shift+Tab are priority bindings of the
app: the app moves the focus as it reads the key, before it hands the next key to any
widget. With a plain (non-priority) Tab the field being left handles Tab itself, later,
so keys that arrived in the same burst (a slow SSH link packs several keys into one
packet; a password manager types `user{TAB}password{ENTER}` at once) still go to the
old field: the password would land, visible, in the username box. Being on the app,
the bindings hold on every screen and every modal dialog of both apps.

Textual's own App bindings (ctrl+q quits, ctrl+c hints at it) are not inherited: the
kiosk must have no way out, and StaffApp declares its own quit key.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

FOCUS_BINDINGS: list[BindingType] = [
    Binding("tab", "focus_next", show=False, priority=True),
    Binding("shift+tab", "focus_previous", show=False, priority=True),
]


class AppBase(App[None], inherit_bindings=False):
    """The base of KioskApp and StaffApp."""

    BINDINGS: ClassVar[list[BindingType]] = FOCUS_BINDINGS
