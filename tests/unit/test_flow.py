"""Properties of the parent flow table, checked over the whole graph it draws.

The tests search the table's arrows instead of restating them, so a new state or
arrow is held to the same rules without editing this file.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.flow import (
    INITIAL_STATE,
    TRANSITIONS,
    Event,
    State,
    TransitionRefused,
    allowed_events,
    diagram_block,
    mermaid,
    next_state,
)

ROOT = Path(__file__).resolve().parents[2]

# The events that happen to the kiosk rather than being done by the parent.
NOT_THE_PARENTS = frozenset({Event.IDLE_TIMEOUT, Event.SERVICE_UNAVAILABLE, Event.SERVICE_RESTORED})
# The events that prove who the parent is: a new account, or a password login.
PROOF_OF_IDENTITY = frozenset({Event.ACCOUNT_CREATED, Event.LOGGED_IN, Event.LOGGED_IN_TEMPORARY})

Arrow = tuple[State, Event, State]
ARROWS: list[Arrow] = [(state, event, target) for (state, event), target in TRANSITIONS.items()]


def reachable(start: State, *, taking: Callable[[Arrow], bool] = lambda _: True) -> set[State]:
    """Every state reached from `start` following only the arrows `taking` accepts."""
    seen = {start}
    frontier = [start]
    while frontier:
        state = frontier.pop()
        for event in allowed_events(state):
            target = next_state(state, event)
            if taking((state, event, target)) and target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


@pytest.mark.parametrize(("state", "event"), list(itertools.product(State, Event)),
                         ids=lambda v: v.name)
def test_a_pair_is_refused_exactly_when_the_state_does_not_allow_the_event(
    state: State, event: Event
) -> None:
    if event in allowed_events(state):
        assert next_state(state, event) is TRANSITIONS[(state, event)]
    else:
        with pytest.raises(TransitionRefused) as refused:
            next_state(state, event)
        assert (refused.value.state, refused.value.event) == (state, event)


def test_every_state_is_reachable_from_the_start() -> None:
    assert reachable(INITIAL_STATE) == set(State)


def test_every_state_is_reachable_without_an_outage() -> None:
    """The unavailable screen is the only one an outage is needed for."""
    assert reachable(INITIAL_STATE, taking=lambda arrow: arrow[1] not in NOT_THE_PARENTS) == (
        set(State) - {State.UNAVAILABLE})


def test_every_event_moves_some_state() -> None:
    assert {event for _, event, _ in ARROWS} == set(Event)


@pytest.mark.parametrize("state", list(State), ids=lambda state: state.name)
def test_idle_timeout_goes_to_welcome_from_every_state(state: State) -> None:
    assert next_state(state, Event.IDLE_TIMEOUT) is State.WELCOME


@pytest.mark.parametrize("state", list(State), ids=lambda state: state.name)
def test_every_state_has_a_way_home_by_the_parents_own_events(state: State) -> None:
    """No screen traps a parent until the idle timeout: a back or log-out path leads home."""
    if state is State.UNAVAILABLE:
        assert next_state(state, Event.SERVICE_RESTORED) is State.WELCOME
    else:
        assert State.WELCOME in reachable(
            state, taking=lambda arrow: arrow[1] not in NOT_THE_PARENTS)


@pytest.mark.parametrize("state", [s for s in State if s is not State.UNAVAILABLE],
                         ids=lambda state: state.name)
def test_an_outage_shows_the_unavailable_screen_from_every_other_state(state: State) -> None:
    assert next_state(state, Event.SERVICE_UNAVAILABLE) is State.UNAVAILABLE


def test_the_unavailable_screen_leaves_only_for_welcome() -> None:
    """Recovery starts over, so the next person never sees the last parent's form."""
    assert {target for state, _, target in ARROWS if state is State.UNAVAILABLE} == {
        State.WELCOME}


def test_a_temporary_password_login_leads_to_the_forced_change() -> None:
    assert next_state(State.LOGIN, Event.LOGGED_IN_TEMPORARY) is State.FORCED_CHANGE_PASSWORD


def test_no_path_around_the_forced_change_reaches_the_account() -> None:
    """From the forced change, the account is reached only by saving a new password.

    Going back to welcome ends the session (a new login starts over), so the search
    stops there: anything else that reached the account would skip the change.
    """
    skipping = reachable(
        State.FORCED_CHANGE_PASSWORD,
        taking=lambda arrow: arrow[2] is not State.WELCOME
        and arrow[:2] != (State.FORCED_CHANGE_PASSWORD, Event.PASSWORD_SAVED))
    assert State.ACCOUNT not in skipping
    assert next_state(State.FORCED_CHANGE_PASSWORD, Event.PASSWORD_SAVED) is State.ACCOUNT


def test_a_parent_can_leave_the_forced_change_without_saving() -> None:
    """Walking away from the forced change needs no new password and no idle wait."""
    assert State.WELCOME in reachable(
        State.FORCED_CHANGE_PASSWORD,
        taking=lambda arrow: arrow[1] not in NOT_THE_PARENTS | {Event.PASSWORD_SAVED})


def test_the_forced_change_has_no_back() -> None:
    with pytest.raises(TransitionRefused):
        next_state(State.FORCED_CHANGE_PASSWORD, Event.BACK)


@pytest.mark.parametrize("screen", [State.ACCOUNT, State.CHANGE_PASSWORD,
                                    State.FORCED_CHANGE_PASSWORD],
                         ids=lambda state: state.name)
def test_no_path_from_welcome_reaches_a_parents_screens_without_proof_of_identity(
    screen: State,
) -> None:
    assert screen not in reachable(
        INITIAL_STATE, taking=lambda arrow: arrow[1] not in PROOF_OF_IDENTITY)


def test_creating_an_account_needs_an_accepted_key() -> None:
    assert State.CREATE_ACCOUNT not in reachable(
        INITIAL_STATE, taking=lambda arrow: arrow[1] is not Event.KEY_ACCEPTED)


def test_mermaid_draws_every_arrow_of_the_parent_flow() -> None:
    diagram = mermaid()
    assert diagram.startswith("stateDiagram-v2\n")
    arrows = set(re.findall(r"^\s+(\w+) --> (\w+): (.+)$", diagram, flags=re.MULTILINE))
    for (state, event), target in TRANSITIONS.items():
        drawn = (state.name, target.name, event.value) in arrows or (
            "any_screen", target.name, event.value) in arrows
        assert drawn, (state, event)
    assert f"[*] --> {INITIAL_STATE.name}" in diagram


def test_readme_holds_the_current_diagram() -> None:
    """README.md embeds exactly mermaid()."""
    start, end = "<!-- flow:start -->", "<!-- flow:end -->"
    documents = [ROOT / "README.md"]
    assert start in documents[0].read_text(encoding="utf-8"), "README lost the flow markers"
    for document in documents:
        text = document.read_text(encoding="utf-8")
        block = text.split(start, 1)[1].split(end, 1)[0]
        assert block.strip() == diagram_block(), (
            f"{document.name}: run `python -m kiosk.flow --update {document}`")
