"""The parent flow table: every (state, event) pair is either defined or refused."""

from __future__ import annotations

import itertools
import re
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

# The whole expected table, written out by hand from the flow's rules. Any pair not listed
# here must be refused.
EXPECTED: dict[tuple[State, Event], State] = {
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
    (State.FORCED_CHANGE_PASSWORD, Event.PASSWORD_SAVED): State.ACCOUNT,
    (State.FORCED_CHANGE_PASSWORD, Event.LOG_OUT): State.WELCOME,
    (State.UNAVAILABLE, Event.SERVICE_RESTORED): State.WELCOME,
    **{(state, Event.IDLE_TIMEOUT): State.WELCOME for state in State},
    **{(state, Event.SERVICE_UNAVAILABLE): State.UNAVAILABLE
       for state in State if state is not State.UNAVAILABLE},
}


@pytest.mark.parametrize(("state", "event"), list(itertools.product(State, Event)),
                         ids=lambda v: v.name)
def test_every_pair_is_defined_or_refused(state: State, event: Event) -> None:
    expected = EXPECTED.get((state, event))
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            next_state(state, event)
        assert refused.value.state is state
        assert refused.value.event is event
    else:
        assert next_state(state, event) is expected


def test_table_is_exactly_the_expected_one() -> None:
    assert TRANSITIONS == EXPECTED


def test_forced_change_reaches_the_account_only_by_saving() -> None:
    into_account = [event for event in Event
                    if (State.FORCED_CHANGE_PASSWORD, event) in TRANSITIONS
                    and TRANSITIONS[(State.FORCED_CHANGE_PASSWORD, event)] is State.ACCOUNT]
    assert into_account == [Event.PASSWORD_SAVED]
    with pytest.raises(TransitionRefused):
        next_state(State.FORCED_CHANGE_PASSWORD, Event.BACK)


def test_idle_timeout_goes_home_from_everywhere() -> None:
    assert {next_state(state, Event.IDLE_TIMEOUT) for state in State} == {State.WELCOME}


def test_every_state_is_reachable_from_the_start() -> None:
    seen = {INITIAL_STATE}
    frontier = [INITIAL_STATE]
    while frontier:
        state = frontier.pop()
        for event in allowed_events(state):
            target = next_state(state, event)
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(State)


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
