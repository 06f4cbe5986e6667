"""Blocking work from a screen: one kind of thread worker, ending in a message.

`@thread_call(Done, group=...)` makes a method a thread worker
(`@work(thread=True, exclusive=True, exit_on_error=False, group=...)`). What the method
returns comes back to the same node as the typed message `Done(value)` (a `CallEnded`;
without `Done`, the method returns its message itself); what it raises comes back as
`CallFailed(group, error)`. That is the one place an error of a worker
is caught: a domain error keeps its user-facing message, and anything else (a bug, a
driver's surprise) is logged here by its type only — its text may quote a password —
and shown by the screen as its calm fallback message. So no worker ever ends in
Textual's ERROR state, and whatever waits on workers (`app.workers.wait_for_complete()`,
a test's pilot) never gets WorkerFailed.

A group runs one call at a time, in one of two ways:
- `REPLACE` (searches, loads, the live rules): a newer call cancels the older, and a
  cancelled call posts nothing, so only the newest result is shown;
- `IGNORE` (a submit that must not run twice: a login, a form, a health check): a
  start while a call of the group runs is ignored, and the method returns None.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

from textual import work
from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, get_current_worker

from kiosk.errors import KioskError

# Under "kiosk", whose handler a terminal process points at its log file or the journal.
log = logging.getLogger("kiosk.screens")

P = ParamSpec("P")
T = TypeVar("T")
NodeT = TypeVar("NodeT", bound=DOMNode)


class WhileRunning(Enum):
    """What a start does while a call of the same group runs on the same node."""

    REPLACE = "replace"
    IGNORE = "ignore"


REPLACE = WhileRunning.REPLACE
IGNORE = WhileRunning.IGNORE


class CallEnded(Message, bubble=False):
    """Base of the messages a thread call ends with: for the node that started it only."""

    def __init_subclass__(cls, bubble: bool | None = False, **kwargs: Any) -> None:
        # Message makes every subclass bubble unless told otherwise, each time.
        super().__init_subclass__(bubble=bubble, **kwargs)


@dataclass
class CallFailed(CallEnded):
    """A thread call raised instead of returning."""

    group: str
    """The worker group of the call (each screen tells its calls apart by it)."""
    error: Exception
    """A domain error (its message is for the user) or a surprise (show the fallback)."""


def running(node: DOMNode, group: str) -> bool:
    """Whether a call of `group` started by `node` is still running."""
    return any(worker.node is node and worker.group == group and worker.is_running
               and not worker.is_cancelled for worker in node.app.workers)


Started = Callable[Concatenate[NodeT, P], Worker[None] | None]


@overload
def thread_call(done: Callable[[T], CallEnded], *, group: str,
                while_running: WhileRunning = REPLACE,
                ) -> Callable[[Callable[Concatenate[NodeT, P], T]], Started[NodeT, P]]: ...


@overload
def thread_call(done: None = None, *, group: str, while_running: WhileRunning = REPLACE,
                ) -> Callable[[Callable[Concatenate[NodeT, P], CallEnded]],
                              Started[NodeT, P]]: ...


def thread_call(done: Callable[[Any], CallEnded] | None = None, *, group: str,
                while_running: WhileRunning = REPLACE,
                ) -> Callable[[Callable[Concatenate[NodeT, P], Any]], Started[NodeT, P]]:
    """Run the method in a thread worker of `group`; post `done(result)` or `CallFailed`.

    Without `done`, the method builds its result message itself.
    """

    def decorate(method: Callable[Concatenate[NodeT, P], Any]) -> Started[NodeT, P]:
        def call(node: NodeT, /, *args: P.args, **kwargs: P.kwargs) -> None:
            try:
                value = method(node, *args, **kwargs)
                result: CallEnded = value if done is None else done(value)
            except Exception as error:
                if not isinstance(error, KioskError):
                    log.error("unexpected %s in the %s thread worker",
                              type(error).__name__, group)
                result = CallFailed(group, error)
            if not get_current_worker().is_cancelled:  # a newer call of the group won
                node.post_message(result)

        worker_method = work(thread=True, exclusive=True, exit_on_error=False, group=group,
                             name=group)(call)

        def start(node: NodeT, /, *args: P.args, **kwargs: P.kwargs) -> Worker[None] | None:
            if while_running is IGNORE and running(node, group):
                return None
            return worker_method(node, *args, **kwargs)

        functools.update_wrapper(start, method)
        return start

    return decorate
