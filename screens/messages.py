"""Messages the parent screens send to the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from kiosk.flow import Event

if TYPE_CHECKING:
    from kiosk.flow import Payload


@dataclass
class FlowRequested(Message):
    """A screen asks the app to move the flow on; the app checks it against kiosk.flow."""

    event: Event
    """What happened (a key accepted, a login, a press on Back, ...)."""
    payload: Payload = None
    """What the next screen is built from: the accepted key for create-account, the
    account for the account and change-password screens, nothing for the others."""


@dataclass
class ServiceWentAway(Message):
    """A service call found the database unavailable."""
