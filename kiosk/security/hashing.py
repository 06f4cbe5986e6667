"""Password hashing with argon2id. The only module in the project that imports argon2.

Passwords are NFKC-normalised before hashing so that the same password typed on
different keyboards (or pasted from a different source) verifies. Exceptions raised
here never contain the password.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import unicodedata
from dataclasses import dataclass

import argon2
from argon2.exceptions import VerificationError

from kiosk.errors import ConfigurationError


@dataclass(frozen=True)
class HashParameters:
    time_cost: int
    memory_cost: int  # KiB
    parallelism: int


PRODUCTION = HashParameters(
    time_cost=argon2.profiles.RFC_9106_LOW_MEMORY.time_cost,
    memory_cost=argon2.profiles.RFC_9106_LOW_MEMORY.memory_cost,
    parallelism=argon2.profiles.RFC_9106_LOW_MEMORY.parallelism,
)
# OWASP's minimum for argon2id; nothing weaker is accepted outside tests.
FLOOR = HashParameters(time_cost=2, memory_cost=19456, parallelism=1)
# Tests only (allow_below_floor=True): fast enough to hash thousands of times.
FAST_FOR_TESTS = HashParameters(time_cost=1, memory_cost=8, parallelism=1)


class PasswordHashing:
    """Hash and verify passwords at fixed argon2id parameters."""

    def __init__(self, parameters: HashParameters = PRODUCTION, *,
                 allow_below_floor: bool = False) -> None:
        _check_parameters(parameters, allow_below_floor=allow_below_floor)
        self._parameters = parameters
        self._hasher = argon2.PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost,
            parallelism=parameters.parallelism,
            type=argon2.Type.ID,
        )
        # The stand-in hash an unknown username is checked against. It is made by
        # `prepare()`, which every verify calls first, known name or not: made only for
        # unknown names, a process's first attempt would cost a hash and a verify where a
        # known name costs one verify, and so tell whether the name exists. The apps call
        # `prepare()` in a worker as soon as they start, so it is ready before anyone has
        # typed a password, and commands that never check one never pay for it.
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    @property
    def parameters(self) -> HashParameters:
        return self._parameters

    def hash(self, password: str) -> str:
        """The encoded argon2id hash of the NFKC form of `password`."""
        encoded = _encode(password)
        if encoded is None:
            raise ValueError("the password contains characters that cannot be stored")
        return self._hasher.hash(encoded)

    def prepare(self) -> None:
        """Make the stand-in hash for unknown usernames, once (blocking: off the UI loop)."""
        if self._dummy_hash is None:
            with self._dummy_lock:
                if self._dummy_hash is None:
                    self._dummy_hash = self._hasher.hash(secrets.token_hex(16))

    def verify(self, encoded: str, password: str) -> bool:
        """True if `password` matches; False on a mismatch or an unreadable hash."""
        self.prepare()  # the same first-call cost as `dummy_verify`
        secret = _encode(password)
        if secret is None:
            # Still pay for one hash so such input takes as long as any other.
            self.dummy_verify("")
            return False
        try:
            return self._hasher.verify(encoded, secret)
        except (VerificationError, ValueError):
            # ValueError covers InvalidHashError and a hash that is not ASCII.
            return False

    def needs_rehash(self, encoded: str) -> bool:
        """True if `encoded` was not made with these parameters (or cannot be read)."""
        try:
            return self._hasher.check_needs_rehash(encoded)
        except ValueError:  # InvalidHashError, or a hash that is not ASCII
            return True

    def dummy_verify(self, password: str) -> None:
        """Spend the time of one verify, so an unknown username costs what a known one does.

        The dummy hash is of random text nobody can type, made with this hasher's
        parameters by `prepare()`, which `verify` calls too: the first call of either
        costs the same.
        """
        self.prepare()
        assert self._dummy_hash is not None
        secret = _encode(password) or b""
        with contextlib.suppress(VerificationError):
            self._hasher.verify(self._dummy_hash, secret)


def _encode(password: str) -> bytes | None:
    """UTF-8 of the NFKC form, or None for text that cannot be encoded (lone surrogates)."""
    try:
        return unicodedata.normalize("NFKC", password).encode("utf-8")
    except UnicodeEncodeError:
        return None


def _check_parameters(parameters: HashParameters, *, allow_below_floor: bool) -> None:
    # argon2's own hard limits hold even in tests.
    if parameters.time_cost < 1:
        raise ConfigurationError(
            f"hash parameter time_cost must be at least 1, not {parameters.time_cost}")
    if parameters.parallelism < 1:
        raise ConfigurationError(
            f"hash parameter parallelism must be at least 1, not {parameters.parallelism}")
    if parameters.memory_cost < 8 * parameters.parallelism:
        raise ConfigurationError(
            f"hash parameter memory_cost must be at least 8 KiB per lane "
            f"({8 * parameters.parallelism}), not {parameters.memory_cost}")
    if allow_below_floor:
        return
    for name in ("time_cost", "memory_cost", "parallelism"):
        value: int = getattr(parameters, name)
        floor: int = getattr(FLOOR, name)
        if value < floor:
            raise ConfigurationError(
                f"hash parameter {name} must be at least {floor}, not {value}")
