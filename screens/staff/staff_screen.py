"""StaffScreen: a full screen of the staff console, working through the staff services."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from textual.screen import Screen

if TYPE_CHECKING:
    from kiosk.services.staff import StaffServices

ScreenResult = TypeVar("ScreenResult")


class StaffScreen(Screen[ScreenResult]):
    """Its calls go through the logged-in staff member's services; it shows times in the
    district's zone (the screens' counterpart of `TimesPanel`)."""

    def __init__(self, services: StaffServices, zone: ZoneInfo, *, id: str) -> None:
        super().__init__(id=id)
        self._services = services
        self._zone = zone
