"""What the flow's events carry: each screen is built from its event's payload."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.flow import (
    PAYLOADS,
    TRANSITIONS,
    Event,
    PayloadRefused,
    State,
    TransitionRefused,
    step,
)
from kiosk.services.views import AccountView, KeyCheck

KEY_CHECK = KeyCheck(canonical_key="7KQ2MXR4TB9HCJD0WNEA6PV3F", guardian_given_name="Maria",
                     guardian_family_name="Lopez", students=(),
                     expires_at=datetime(2026, 1, 1, tzinfo=UTC))
ACCOUNT = AccountView(account_id=1, username="mlopez", guardian_given_name="Maria",
                      guardian_family_name="Lopez", students=(), district_id="JPRQQH",
                      district_name="Clayton County", portal_url="https://portal.example",
                      must_change_password=False)
SAMPLES: dict[type[KeyCheck] | type[AccountView], KeyCheck | AccountView] = {
    KeyCheck: KEY_CHECK, AccountView: ACCOUNT}
ARROWS = [(state, event, target) for (state, event), target in TRANSITIONS.items()]


def _fitting(target: State) -> KeyCheck | AccountView | None:
    needed = PAYLOADS.get(target)
    return None if needed is None else SAMPLES[needed]


@pytest.mark.parametrize(("state", "event", "target"), ARROWS,
                         ids=lambda v: getattr(v, "name", ""))
def test_every_arrow_is_taken_with_the_payload_its_target_needs(
        state: State, event: Event, target: State) -> None:
    assert step(state, event, _fitting(target)) is target


@pytest.mark.parametrize(("state", "event", "target"),
                         [arrow for arrow in ARROWS if arrow[2] in PAYLOADS],
                         ids=lambda v: getattr(v, "name", ""))
def test_an_event_into_a_screen_with_data_is_refused_without_it(
        state: State, event: Event, target: State) -> None:
    with pytest.raises(PayloadRefused):
        step(state, event)


def test_the_create_account_screen_takes_the_key_check_not_an_account() -> None:
    with pytest.raises(PayloadRefused):
        step(State.ACTIVATE, Event.KEY_ACCEPTED, ACCOUNT)


@pytest.mark.parametrize(("state", "event"),
                         [(state, event) for state, event, target in ARROWS
                          if target is State.WELCOME],
                         ids=lambda v: getattr(v, "name", ""))
def test_nothing_of_a_parent_is_carried_to_welcome(state: State, event: Event) -> None:
    with pytest.raises(PayloadRefused):
        step(state, event, ACCOUNT)


def test_a_refused_payload_names_its_kind_never_its_content() -> None:
    with pytest.raises(PayloadRefused) as refused:
        step(State.ACTIVATE, Event.BACK, KEY_CHECK)
    assert "KeyCheck" in str(refused.value)
    assert KEY_CHECK.canonical_key not in str(refused.value)
    assert "Maria" not in str(refused.value)


def test_a_missing_arrow_is_refused_before_the_payload_is_looked_at() -> None:
    with pytest.raises(TransitionRefused) as refused:
        step(State.FORCED_CHANGE_PASSWORD, Event.BACK, ACCOUNT)
    assert not isinstance(refused.value, PayloadRefused)
