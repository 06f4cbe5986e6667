"""Service calls in the console's thread workers end with a value, never an exception.

A worker whose function raises ends in Textual's ERROR state, and whatever waits on
it (`app.workers.wait_for_complete()`, a test's pilot) then gets `WorkerFailed` — or
does not, depending on whether the worker was still listed when the wait began. So
every worker of the console runs its call through `catching`: an error comes back as
a `Failed` result, which the screen's `Worker.StateChanged` handler shows as a
message like any other result, the same way every time.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from kiosk.errors import KioskError
from screens.staff.formatting import error_message

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Failed:
    """A service call that raised instead of returning."""

    error: Exception
    """The error: a domain error (its message is for the staff member) or a surprise."""

    @property
    def message(self) -> str:
        """One line for the staff member."""
        return error_message(self.error)


def catching(call: Callable[P, T]) -> Callable[P, T | Failed]:
    """`call`, returning `Failed(error)` where it would raise."""

    @functools.wraps(call)
    def run(*args: P.args, **kwargs: P.kwargs) -> T | Failed:
        try:
            return call(*args, **kwargs)
        except Exception as error:
            if not isinstance(error, KioskError):
                # Only the type: the message or the variables may hold a secret.
                log.error("unexpected %s in a staff console worker", type(error).__name__)
            return Failed(error)

    return run
