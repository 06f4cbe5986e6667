"""Password hashing: argon2id round trips, parameter floor, rehash, never leaking."""

from __future__ import annotations

import dataclasses

import argon2
import pytest

from kiosk.errors import ConfigurationError
from kiosk.security.hashing import (
    FAST_FOR_TESTS,
    FLOOR,
    PRODUCTION,
    HashParameters,
    PasswordHashing,
)

SECRET = "correct horse battery staple"


@pytest.fixture
def hashing() -> PasswordHashing:
    return PasswordHashing(FAST_FOR_TESTS, allow_below_floor=True)


def test_production_is_the_rfc_9106_low_memory_profile() -> None:
    profile = argon2.profiles.RFC_9106_LOW_MEMORY
    assert HashParameters(time_cost=3, memory_cost=65536, parallelism=4) == PRODUCTION
    assert (PRODUCTION.time_cost, PRODUCTION.memory_cost, PRODUCTION.parallelism) == (
        profile.time_cost, profile.memory_cost, profile.parallelism)


def test_the_floor_is_owasps_minimum() -> None:
    assert HashParameters(time_cost=2, memory_cost=19456, parallelism=1) == FLOOR


def test_the_default_parameters_are_production() -> None:
    assert PasswordHashing().parameters == PRODUCTION


def test_a_hash_is_argon2id_and_verifies_its_password(hashing: PasswordHashing) -> None:
    encoded = hashing.hash(SECRET)
    assert encoded.startswith("$argon2id$")
    assert SECRET not in encoded
    assert hashing.verify(encoded, SECRET)


def test_a_wrong_password_does_not_verify(hashing: PasswordHashing) -> None:
    assert not hashing.verify(hashing.hash(SECRET), SECRET + "!")


def test_two_hashes_of_one_password_differ(hashing: PasswordHashing) -> None:
    assert hashing.hash(SECRET) != hashing.hash(SECRET)


def test_the_password_is_nfkc_normalised_before_hashing(hashing: PasswordHashing) -> None:
    # A fullwidth "Ａ" and a composed "é" typed as e + combining accent are the same password.
    encoded = hashing.hash("\uff21pple cr\u00e8me")
    assert hashing.verify(encoded, "Apple cre\u0300me")


@pytest.mark.parametrize("garbage", [
    "", "garbage", "$argon2id$v=19$m=8,t=1,p=1$", "$argon2id$v=19$m=8,t=1,p=1$xx$yy",
    "é$argon2id$", "\x00", "$argon2id$v=19$m=-1,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
])
def test_an_invalid_hash_verifies_as_false(hashing: PasswordHashing, garbage: str) -> None:
    assert hashing.verify(garbage, SECRET) is False


def test_a_password_that_cannot_be_encoded_verifies_as_false(hashing: PasswordHashing) -> None:
    assert hashing.verify(hashing.hash(SECRET), "\ud800") is False


def test_a_hash_made_with_the_current_parameters_needs_no_rehash(
        hashing: PasswordHashing) -> None:
    assert not hashing.needs_rehash(hashing.hash(SECRET))


def test_a_hash_made_with_other_parameters_needs_a_rehash(hashing: PasswordHashing) -> None:
    stronger = PasswordHashing(dataclasses.replace(FAST_FOR_TESTS, time_cost=2),
                               allow_below_floor=True)
    old = hashing.hash(SECRET)
    assert stronger.needs_rehash(old)
    assert stronger.verify(old, SECRET)


def test_an_unreadable_hash_needs_a_rehash(hashing: PasswordHashing) -> None:
    assert hashing.needs_rehash("garbage")


@pytest.mark.parametrize("name", ["time_cost", "memory_cost", "parallelism"])
def test_parameters_below_the_floor_are_refused_naming_the_parameter(name: str) -> None:
    weak = dataclasses.replace(FLOOR, **{name: getattr(FLOOR, name) - 1})
    with pytest.raises(ConfigurationError, match=name):
        PasswordHashing(weak)


def test_the_floor_itself_is_accepted() -> None:
    assert PasswordHashing(FLOOR).parameters == FLOOR


def test_test_parameters_need_an_explicit_opt_in() -> None:
    with pytest.raises(ConfigurationError, match="time_cost"):
        PasswordHashing(FAST_FOR_TESTS)


def test_parameters_argon2_cannot_run_are_refused_even_in_tests() -> None:
    with pytest.raises(ConfigurationError, match="memory_cost"):
        PasswordHashing(HashParameters(time_cost=1, memory_cost=8, parallelism=2),
                        allow_below_floor=True)


@pytest.mark.parametrize("password", [SECRET, "", "\x00", "\ud800", "é" * 300])
def test_dummy_verify_runs_a_real_argon2_verify_against_the_dummy_hash(
        password: str, monkeypatch: pytest.MonkeyPatch) -> None:
    parameters = HashParameters(time_cost=2, memory_cost=16, parallelism=1)
    hashing = PasswordHashing(parameters, allow_below_floor=True)
    verified: list[tuple[str, bytes]] = []
    real_verify = argon2.PasswordHasher.verify

    def recording_verify(self: argon2.PasswordHasher, encoded: str, secret: bytes) -> bool:
        verified.append((encoded, secret))
        return real_verify(self, encoded, secret)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", recording_verify)

    hashing.dummy_verify(password)  # never raises, whatever was typed

    dummy = hashing._dummy_hash
    assert dummy is not None and dummy.startswith("$argon2id$")
    # The same work as verifying a real account's hash: this instance's parameters.
    made_with = argon2.extract_parameters(dummy)
    assert (made_with.time_cost, made_with.memory_cost, made_with.parallelism) == (
        parameters.time_cost, parameters.memory_cost, parameters.parallelism)
    assert made_with.type is argon2.Type.ID
    assert not hashing.needs_rehash(dummy)
    # One real verify of what was typed (as the login would hash it) against that hash.
    [(encoded, secret)] = verified
    assert encoded == dummy
    expected = b"" if password == "\ud800" else password.encode("utf-8")
    assert secret == expected
    # The dummy hash is of nothing anyone can type.
    assert not hashing.verify(dummy, password)


def _count_argon2_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real_hash, real_verify = argon2.PasswordHasher.hash, argon2.PasswordHasher.verify

    def counting_hash(self: argon2.PasswordHasher, secret: str | bytes,
                      **kwargs: object) -> str:
        calls.append("hash")
        return real_hash(self, secret)

    def counting_verify(self: argon2.PasswordHasher, encoded: str, secret: bytes) -> bool:
        calls.append("verify")
        return real_verify(self, encoded, secret)

    monkeypatch.setattr(argon2.PasswordHasher, "hash", counting_hash)
    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    return calls


def test_a_first_unknown_and_a_first_known_username_cost_the_same_argon2_work(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """So a process's first attempt does not tell whether the username exists."""
    account_hash = PasswordHashing(FAST_FOR_TESTS, allow_below_floor=True).hash(SECRET)
    calls = _count_argon2_calls(monkeypatch)
    PasswordHashing(FAST_FOR_TESTS, allow_below_floor=True).verify(account_hash, "wrong")
    known = list(calls)
    calls.clear()
    PasswordHashing(FAST_FOR_TESTS, allow_below_floor=True).dummy_verify("wrong")
    assert known == calls == ["hash", "verify"]


def test_once_prepared_every_check_is_one_verify_and_no_hash(
        monkeypatch: pytest.MonkeyPatch) -> None:
    hashing = PasswordHashing(FAST_FOR_TESTS, allow_below_floor=True)
    account_hash = hashing.hash(SECRET)
    hashing.prepare()
    calls = _count_argon2_calls(monkeypatch)
    hashing.dummy_verify("first")
    hashing.verify(account_hash, "second")
    hashing.prepare()
    assert calls == ["verify", "verify"]


def test_the_password_never_appears_in_an_exception() -> None:
    secret = "my secret \ud800 password"
    with pytest.raises(ValueError) as caught:
        PasswordHashing(FAST_FOR_TESTS, allow_below_floor=True).hash(secret)
    text = str(caught.value) + repr(caught.value)
    assert "secret" not in text
    # Nor in a chained UnicodeEncodeError, whose text would quote the password.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
