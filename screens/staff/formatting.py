"""How the console words errors and times, and shows a failed thread call (SaysFailures)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from kiosk.errors import KioskError, ServiceUnavailable
from screens.workers import CallFailed

DATABASE_DOWN = ("The database cannot be reached right now, so nothing was done. "
                 "Try again in a minute; if it keeps happening, call district IT.")


def error_message(error: BaseException | None) -> str:
    """One line for the staff member: the domain error's own text, or a calm fallback."""
    if isinstance(error, ServiceUnavailable):
        return DATABASE_DOWN
    if isinstance(error, KioskError):
        return error.text()
    name = type(error).__name__ if error is not None else "unknown"
    return (f"Something unexpected went wrong ({name}); nothing more was done. "
            "Please tell district IT.")


class SaysFailures:
    """Mixed into a console node: an error of its thread calls shows on its message line.

    A handler by name (`on_call_failed`), so a plain mixin can hold it.
    """

    # Shows one line where the node keeps its messages; every console node that mixes
    # this in defines it (a Textual node's metaclass rules out an abstract method).
    say: Callable[[str], None]

    def on_call_failed(self, event: CallFailed) -> None:
        self.say(error_message(event.error))


def when(moment: datetime | None, zone: ZoneInfo) -> str:
    """A time in the district's zone, to the minute; '-' for none."""
    if moment is None:
        return "-"
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
