"""Temporary passwords: random, at least 80 bits, and always within the policy."""

from __future__ import annotations

import math
import re
import secrets

import pytest

from kiosk.errors import ConfigurationError
from kiosk.security.policy import PasswordPolicy
from kiosk.security.temp_passwords import TEMPORARY_ALPHABET, generate_temporary_password

DISTRICT = "Clayton County Public Schools"


def test_a_temporary_password_is_groups_of_five_unambiguous_symbols() -> None:
    password = generate_temporary_password(PasswordPolicy(15, DISTRICT))
    assert re.fullmatch(r"[23456789a-hjkmnp-z]{5}(-[23456789a-hjkmnp-z]{5}){3}", password)


def test_the_alphabet_has_no_look_alike_symbols() -> None:
    assert not set(TEMPORARY_ALPHABET) & set("01ilo")
    assert len(set(TEMPORARY_ALPHABET)) == len(TEMPORARY_ALPHABET) == 31


def test_a_temporary_password_carries_at_least_80_bits() -> None:
    password = generate_temporary_password(PasswordPolicy(8))
    symbols = password.replace("-", "")
    assert len(symbols) * math.log2(len(TEMPORARY_ALPHABET)) >= 80


def test_temporary_passwords_differ() -> None:
    policy = PasswordPolicy(15, DISTRICT)
    passwords = {generate_temporary_password(policy) for _ in range(50)}
    assert len(passwords) == 50


@pytest.mark.parametrize("min_length", [8, 15, 24, 30, 100, 126, 127, 128])
def test_a_temporary_password_meets_any_minimum_length(min_length: int) -> None:
    policy = PasswordPolicy(min_length, DISTRICT)
    password = generate_temporary_password(policy, username="maria2")
    assert policy.problems(password, username="maria2") == []


def test_a_temporary_password_is_drawn_again_until_the_policy_is_met(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The first draw contains the username; the generator must not return it.
    draws = iter("abcd" + "e" * 16 + "k7m2px9q4rtz8wnc3vhe")
    monkeypatch.setattr(secrets, "choice", lambda _alphabet: next(draws))
    password = generate_temporary_password(PasswordPolicy(15), username="abcd")
    assert password == "k7m2p-x9q4r-tz8wn-c3vhe"


def test_an_impossible_policy_is_reported_instead_of_hanging(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "choice", lambda _alphabet: "a")
    with pytest.raises(ConfigurationError):
        generate_temporary_password(PasswordPolicy(15))
