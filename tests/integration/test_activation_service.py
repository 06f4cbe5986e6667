"""Activation on a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.audit import Actor
from kiosk.clock import FakeClock
from kiosk.db.models import Account, ActivationKey, AuditEvent
from kiosk.errors import (
    ActivationPaused,
    KeyAlreadyUsed,
    KeyExpired,
    KeyNotAccepted,
    KeyReplaced,
    KeyTypo,
    Refused,
    RulesNotMet,
    UsernameTaken,
)
from kiosk.security.keys import format_key, generate_key
from kiosk.services import activation, keys, staff
from kiosk.services.context import ServiceContext

from support.builders import GOOD_PASSWORD, KIOSK, add_family, issue_key, make_context


def _accounts(ctx: ServiceContext) -> int:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Account)) or 0)


def _key_used(ctx: ServiceContext) -> list[bool]:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return [k.used_at is not None for k in uow.session.scalars(select(ActivationKey))]


def test_a_valid_key_shows_whose_it_is_without_using_it(ctx: ServiceContext) -> None:
    family = add_family(ctx, guardians=(("Maria", "Lopez"),), students=(("Ana", "Lopez"),))
    key = issue_key(ctx, family.guardian_ids[0])
    check = activation.check_key(ctx, KIOSK, key)
    assert check.guardian_given_name == "Maria"
    assert [s.full_name for s in check.students] == ["Ana Lopez"]
    assert _key_used(ctx) == [False]


def test_a_key_is_accepted_in_lower_case_with_spaces_and_letter_o(ctx: ServiceContext) -> None:
    family = add_family(ctx)
    key = issue_key(ctx, family.guardian_ids[0])
    sloppy = key.replace("-", " ").lower().replace("0", "o").replace("1", "l")
    assert activation.check_key(ctx, KIOSK, sloppy).canonical_key == key.replace("-", "")


def test_redeeming_creates_the_account_and_uses_the_key(ctx: ServiceContext) -> None:
    family = add_family(ctx)
    key = issue_key(ctx, family.guardian_ids[0])
    view = activation.create_account(ctx, KIOSK, key, "MLopez", GOOD_PASSWORD, GOOD_PASSWORD)
    assert view.username == "MLopez"
    assert view.district_id == "JPRQQH"
    assert _accounts(ctx) == 1
    assert _key_used(ctx) == [True]


def test_a_key_is_single_use(ctx: ServiceContext) -> None:
    family = add_family(ctx)
    key = issue_key(ctx, family.guardian_ids[0])
    activation.create_account(ctx, KIOSK, key, "mlopez", GOOD_PASSWORD, GOOD_PASSWORD)
    with pytest.raises(KeyAlreadyUsed) as raised:
        activation.check_key(ctx, KIOSK, key)
    assert raised.value.reference is not None
    assert str(raised.value).endswith(raised.value.reference)


def test_a_key_expires_after_21_days(ctx: ServiceContext, clock: FakeClock) -> None:
    family = add_family(ctx)
    key = issue_key(ctx, family.guardian_ids[0])
    clock.advance(timedelta(days=21).total_seconds() - 1)
    activation.check_key(ctx, KIOSK, key)
    clock.advance(1)
    with pytest.raises(KeyExpired):
        activation.check_key(ctx, KIOSK, key)


def test_key_lifetime_follows_the_key_days_setting(migrated_database_url: str) -> None:
    clock = FakeClock()
    ctx = make_context(migrated_database_url, clock, key_days=3)
    key = issue_key(ctx, add_family(ctx).guardian_ids[0])
    clock.advance(timedelta(days=3).total_seconds())
    with pytest.raises(KeyExpired):
        activation.check_key(ctx, KIOSK, key)


def test_reissuing_revokes_the_old_key(ctx: ServiceContext) -> None:
    family = add_family(ctx)
    old = issue_key(ctx, family.guardian_ids[0])
    new = issue_key(ctx, family.guardian_ids[0])
    with pytest.raises(KeyReplaced):
        activation.check_key(ctx, KIOSK, old)
    activation.check_key(ctx, KIOSK, new)


def test_a_revoked_key_cannot_be_redeemed(ctx: ServiceContext) -> None:
    family = add_family(ctx)
    key = issue_key(ctx, family.guardian_ids[0])
    assert keys.revoke_keys(ctx, KIOSK, family.guardian_ids[0]) == 1
    with pytest.raises(KeyReplaced):
        activation.create_account(ctx, KIOSK, key, "mlopez", GOOD_PASSWORD, GOOD_PASSWORD)
    assert _accounts(ctx) == 0


def test_an_unknown_key_is_refused_with_a_reference_code(ctx: ServiceContext) -> None:
    with pytest.raises(KeyNotAccepted) as raised:
        activation.check_key(ctx, KIOSK, format_key(generate_key()))
    reference = raised.value.reference
    assert reference is not None and 4 <= len(reference) <= 8 and reference.isupper()
    with ctx.database.unit_of_work(read_only=True) as uow:
        outcome = uow.session.scalar(
            select(AuditEvent.outcome).where(AuditEvent.reference == reference))
    assert outcome == "refused"


def test_a_typo_is_told_apart_and_not_counted_as_a_guess(ctx: ServiceContext) -> None:
    key = generate_key()
    typo = key[:-1] + ("0" if key[-1] != "0" else "1")
    for _ in range(20):
        with pytest.raises(KeyTypo):
            activation.check_key(ctx, KIOSK, typo)
    # Twenty typos later the terminal is not paused: a real key still works.
    family = add_family(ctx)
    activation.check_key(ctx, KIOSK, issue_key(ctx, family.guardian_ids[0]))


def _type_unknown_keys(ctx: ServiceContext, count: int) -> None:
    """`count` well-formed keys that were never issued, each refused at the terminal."""
    for _ in range(count):
        with pytest.raises(KeyNotAccepted):
            activation.check_key(ctx, KIOSK, format_key(generate_key()))


def test_ten_bad_keys_in_ten_minutes_pause_the_terminal_for_five_minutes(
        ctx: ServiceContext, clock: FakeClock) -> None:
    good = issue_key(ctx, add_family(ctx).guardian_ids[0])
    _type_unknown_keys(ctx, 10)
    with pytest.raises(ActivationPaused) as raised:
        activation.check_key(ctx, KIOSK, good)
    assert "5 minutes" in str(raised.value)
    other_terminal = Actor(name="kiosk:lobby-2", terminal="lobby-2")
    activation.check_key(ctx, other_terminal, good)
    clock.advance(5 * 60)
    activation.check_key(ctx, KIOSK, good)


def test_bad_keys_spread_over_more_than_ten_minutes_do_not_pause(
        ctx: ServiceContext, clock: FakeClock) -> None:
    good = issue_key(ctx, add_family(ctx).guardian_ids[0])
    _type_unknown_keys(ctx, 9)
    clock.advance(10 * 60 + 1)
    _type_unknown_keys(ctx, 1)
    activation.check_key(ctx, KIOSK, good)


def test_a_taken_username_keeps_the_key(ctx: ServiceContext) -> None:
    first = add_family(ctx, guardians=(("Ann", "One"),))
    second = add_family(ctx, guardians=(("Bob", "Two"),))
    activation.create_account(ctx, KIOSK, issue_key(ctx, first.guardian_ids[0]), "parent1",
                              GOOD_PASSWORD, GOOD_PASSWORD)
    key = issue_key(ctx, second.guardian_ids[0])
    with pytest.raises(UsernameTaken):
        activation.create_account(ctx, KIOSK, key, "PARENT1", GOOD_PASSWORD, GOOD_PASSWORD)
    activation.create_account(ctx, KIOSK, key, "parent2", GOOD_PASSWORD, GOOD_PASSWORD)
    assert _accounts(ctx) == 2


def test_a_students_username_is_taken(ctx: ServiceContext) -> None:
    family = add_family(ctx, student_username="ana2031")
    key = issue_key(ctx, family.guardian_ids[0])
    with pytest.raises(UsernameTaken):
        activation.create_account(ctx, KIOSK, key, "Ana2031", GOOD_PASSWORD, GOOD_PASSWORD)
    assert _key_used(ctx) == [False]


def test_a_staff_username_is_taken(ctx: ServiceContext) -> None:
    staff.add_staff_user(ctx, KIOSK, "frontdesk", GOOD_PASSWORD + " x")
    key = issue_key(ctx, add_family(ctx).guardian_ids[0])
    with pytest.raises(UsernameTaken):
        activation.create_account(ctx, KIOSK, key, "FrontDesk", GOOD_PASSWORD, GOOD_PASSWORD)


def test_every_unmet_rule_is_reported_at_once_and_the_key_is_kept(ctx: ServiceContext) -> None:
    key = issue_key(ctx, add_family(ctx).guardian_ids[0])
    with pytest.raises(RulesNotMet) as raised:
        activation.create_account(ctx, KIOSK, key, "1234", "short", "shorter")
    problems = " ".join(raised.value.problems).lower()
    assert "letter" in problems  # all-digit username
    assert "15" in problems  # password length
    assert "match" in problems  # verify differs
    assert _key_used(ctx) == [False]


def test_no_key_is_issued_to_a_guardian_who_has_an_account(ctx: ServiceContext) -> None:
    family = add_family(ctx)
    activation.create_account(ctx, KIOSK, issue_key(ctx, family.guardian_ids[0]), "mlopez",
                              GOOD_PASSWORD, GOOD_PASSWORD)
    with pytest.raises(Refused):
        keys.issue_keys(ctx, KIOSK, list(family.guardian_ids))
    assert keys.issue_keys(ctx, KIOSK, all_without_account=True) == []


def test_each_guardian_of_a_household_has_their_own_key(ctx: ServiceContext) -> None:
    family = add_family(ctx, guardians=(("Maria", "Lopez"), ("Jose", "Lopez")))
    issued = keys.issue_keys(ctx, KIOSK, list(family.guardian_ids))
    assert len({k.activation_key for k in issued}) == 2
    activation.create_account(ctx, KIOSK, issued[0].activation_key, "maria1", GOOD_PASSWORD,
                              GOOD_PASSWORD)
    activation.create_account(ctx, KIOSK, issued[1].activation_key, "jose1", GOOD_PASSWORD,
                              GOOD_PASSWORD)
    assert _accounts(ctx) == 2


def test_only_the_key_digest_is_stored(ctx: ServiceContext) -> None:
    key = issue_key(ctx, add_family(ctx).guardian_ids[0])
    with ctx.database.unit_of_work(read_only=True) as uow:
        digests = list(uow.session.scalars(select(ActivationKey.digest)))
    assert len(digests) == 1 and len(digests[0]) == 64
    assert key.replace("-", "")[:24] not in digests[0].upper()
