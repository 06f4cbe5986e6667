"""The parent flow as a plain, typed transition table.

The kiosk app changes screens only by asking `next_state(state, event)`; a pair that
is not in `TRANSITIONS` raises `TransitionRefused`. The README's Mermaid diagram is
generated from the same table by `mermaid()`, so the picture cannot drift from the code.

Overlays (the "Are you still there?" countdown and the staff exit dialog) sit on top
of a state and are not states themselves: closing them returns to the same screen.

A screen is built from what the event that leads to it carries (`step`): the accepted
key for create-account, the account for the account and change-password screens, and
nothing for the others. So no screen reads a parent's data from the app, and welcome
never receives any.
"""

from __future__ import annotations

import functools
from enum import Enum
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:  # at run time, loaded when a payload is first checked (cold start)
    from kiosk.services.views import AccountView, KeyCheck


class State(Enum):
    WELCOME = "welcome"
    ACTIVATE = "activate"
    CREATE_ACCOUNT = "create_account"
    LOGIN = "login"
    ACCOUNT = "account"
    CHANGE_PASSWORD = "change_password"  # noqa: S105 - a state name
    FORCED_CHANGE_PASSWORD = "forced_change_password"  # noqa: S105 - a state name
    UNAVAILABLE = "unavailable"


class Event(Enum):
    START_ACTIVATION = "start activation"
    START_LOGIN = "start login"
    KEY_ACCEPTED = "key accepted"
    ACCOUNT_CREATED = "account created"
    LOGGED_IN = "logged in"
    LOGGED_IN_TEMPORARY = "logged in with a temporary password"
    CHANGE_PASSWORD = "change password"  # noqa: S105 - an event name
    PASSWORD_SAVED = "password saved"  # noqa: S105 - an event name
    BACK = "back"
    LOG_OUT = "log out"
    IDLE_TIMEOUT = "idle timeout"
    SERVICE_UNAVAILABLE = "service unavailable"
    SERVICE_RESTORED = "service restored"


class TransitionRefused(Exception):
    """The event has no transition from the state (for instance, skipping a forced change)."""

    def __init__(self, state: State, event: Event) -> None:
        super().__init__(f"no transition from {state.name} on {event.name}")
        self.state = state
        self.event = event


_PARENT_FLOW: dict[tuple[State, Event], State] = {
    (State.WELCOME, Event.START_ACTIVATION): State.ACTIVATE,
    (State.WELCOME, Event.START_LOGIN): State.LOGIN,
    (State.ACTIVATE, Event.KEY_ACCEPTED): State.CREATE_ACCOUNT,
    (State.ACTIVATE, Event.BACK): State.WELCOME,
    (State.CREATE_ACCOUNT, Event.ACCOUNT_CREATED): State.ACCOUNT,
    (State.CREATE_ACCOUNT, Event.BACK): State.WELCOME,
    (State.LOGIN, Event.LOGGED_IN): State.ACCOUNT,
    (State.LOGIN, Event.LOGGED_IN_TEMPORARY): State.FORCED_CHANGE_PASSWORD,
    (State.LOGIN, Event.BACK): State.WELCOME,
    (State.ACCOUNT, Event.CHANGE_PASSWORD): State.CHANGE_PASSWORD,
    (State.ACCOUNT, Event.LOG_OUT): State.WELCOME,
    (State.CHANGE_PASSWORD, Event.PASSWORD_SAVED): State.ACCOUNT,
    (State.CHANGE_PASSWORD, Event.BACK): State.ACCOUNT,
    # The forced change has no BACK: the only way to the account is to save. Leaving
    # (log out) goes back to the start, which gets the parent nowhere they could not go.
    (State.FORCED_CHANGE_PASSWORD, Event.PASSWORD_SAVED): State.ACCOUNT,
    (State.FORCED_CHANGE_PASSWORD, Event.LOG_OUT): State.WELCOME,
    # Recovery wipes the session, like an idle timeout: whoever stands at the kiosk
    # when the database returns never sees the previous parent's half-filled form.
    (State.UNAVAILABLE, Event.SERVICE_RESTORED): State.WELCOME,
}


def _from_every_state() -> dict[tuple[State, Event], State]:
    table: dict[tuple[State, Event], State] = {}
    for state in State:
        table[(state, Event.IDLE_TIMEOUT)] = State.WELCOME
        if state is not State.UNAVAILABLE:
            table[(state, Event.SERVICE_UNAVAILABLE)] = State.UNAVAILABLE
    return table


TRANSITIONS: dict[tuple[State, Event], State] = {**_PARENT_FLOW, **_from_every_state()}

INITIAL_STATE = State.WELCOME

# What an event into each state must carry: the data its screen is built from.
Payload: TypeAlias = "KeyCheck | AccountView | None"


@functools.cache
def _payloads() -> dict[State, type[KeyCheck] | type[AccountView]]:
    # The views are imported here, not with this module: the kiosk's start-up path
    # imports the flow, and its first frame needs none of them.
    from kiosk.services.views import AccountView, KeyCheck

    return {
        State.CREATE_ACCOUNT: KeyCheck,
        State.ACCOUNT: AccountView,
        State.CHANGE_PASSWORD: AccountView,
        State.FORCED_CHANGE_PASSWORD: AccountView,
    }


def __getattr__(name: str) -> dict[State, type[KeyCheck] | type[AccountView]]:
    """`PAYLOADS`, what an event into each state must carry, made when first asked for."""
    if name == "PAYLOADS":
        return _payloads()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class PayloadRefused(TransitionRefused):
    """The event leads somewhere, but does not carry what that state's screen needs
    (or carries something to a state that takes nothing)."""

    def __init__(self, state: State, event: Event, target: State, payload: Payload) -> None:
        super().__init__(state, event)
        needed = _payloads().get(target)
        wanted = needed.__name__ if needed is not None else "nothing"
        self.args = (f"{event.name} into {target.name} must carry {wanted}, "
                     f"not {type(payload).__name__}",)


def next_state(state: State, event: Event) -> State:
    """The state after `event`, or TransitionRefused when the table has no such arrow."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise TransitionRefused(state, event) from None


def step(state: State, event: Event, payload: Payload = None) -> State:
    """`next_state`, with the payload checked against what the new state's screen needs.

    Raises TransitionRefused when there is no such arrow, PayloadRefused when the
    payload is missing, of the wrong kind, or given to a state that takes none.
    """
    target = next_state(state, event)
    needed = _payloads().get(target)
    if (payload is not None or needed is not None) and (
            needed is None or not isinstance(payload, needed)):
        raise PayloadRefused(state, event, target, payload)
    return target


def allowed_events(state: State) -> list[Event]:
    """The events `state` accepts, in declaration order."""
    return [event for event in Event if (state, event) in TRANSITIONS]


def mermaid() -> str:
    """A Mermaid `stateDiagram-v2` of the table (the README embeds it).

    The arrows that exist from every state (idle timeout, database unavailable) are
    drawn once each, from an `any screen` node, to keep the picture readable.
    """
    lines = ["stateDiagram-v2", '    state "any screen" as any_screen',
             f"    [*] --> {INITIAL_STATE.name}"]
    every = _from_every_state()
    for (state, event), target in _PARENT_FLOW.items():
        lines.append(f"    {state.name} --> {target.name}: {event.value}")
    for event in (Event.IDLE_TIMEOUT, Event.SERVICE_UNAVAILABLE):
        targets = {target for (_, ev), target in every.items() if ev is event}
        (target,) = targets
        lines.append(f"    any_screen --> {target.name}: {event.value}")
    return "\n".join(lines) + "\n"


FLOW_START = "<!-- flow:start -->"
FLOW_END = "<!-- flow:end -->"


def diagram_block() -> str:
    """The fenced Mermaid block that goes between the flow markers."""
    return f"```mermaid\n{mermaid()}```"


def update_document(text: str) -> str:
    """`text` with the block between the flow markers replaced by the current diagram."""
    if FLOW_START not in text or FLOW_END not in text:
        raise ValueError(f"the document has no {FLOW_START} ... {FLOW_END} markers")
    head, rest = text.split(FLOW_START, 1)
    _, tail = rest.split(FLOW_END, 1)
    return f"{head}{FLOW_START}\n{diagram_block()}\n{FLOW_END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """`python -m kiosk.flow` prints the diagram; `--update FILE...` rewrites the blocks."""
    import sys
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--update"]:
        for name in args[1:]:
            path = Path(name)
            path.write_text(update_document(path.read_text(encoding="utf-8")),
                            encoding="utf-8")
        return 0
    sys.stdout.write(mermaid())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
