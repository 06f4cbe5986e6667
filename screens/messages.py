"""Messages the parent screens send to the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from kiosk.flow import Event

if TYPE_CHECKING:
    from kiosk.services.views import AccountView, KeyCheck


@dataclass
class FlowRequested(Message):
    """A screen asks the app to move the flow on; the app checks it against kiosk.flow."""

    event: Event
    """What happened (a key accepted, a login, a press on Back, ...)."""
    account: AccountView | None = None
    """The account to show next, after a login, an activation or a password change."""
    key_check: KeyCheck | None = None
    """The accepted activation key, for the create-account screen."""


@dataclass
class ServiceWentAway(Message):
    """A service call found the database unavailable."""
