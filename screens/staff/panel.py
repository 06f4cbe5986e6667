"""ConsolePanel: one tab of the staff console, working through the staff services."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from textual.containers import Vertical

if TYPE_CHECKING:
    from kiosk.services.staff import StaffServices


class ConsolePanel(Vertical):
    """Its calls go through the logged-in staff member's services."""

    def __init__(self, services: StaffServices, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._services = services


class TimesPanel(ConsolePanel):
    """A panel that shows times, in the district's zone."""

    def __init__(self, services: StaffServices, zone: ZoneInfo, *,
                 id: str | None = None) -> None:
        super().__init__(services, id=id)
        self._zone = zone
