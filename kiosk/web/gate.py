"""The password gate: nothing is served until the visitor has given the password.

A small sign-in form (no browser Basic-auth dialog, and the WebSocket carries the
cookie like any same-origin request). The password is compared in constant time on
fixed-length digests. Wrong passwords are limited per client address: after 5 in a
minute that address is told to wait (HTTP 429) and its attempts are not even checked;
nobody else waits for it, as there is no lock shared between visitors. Success sets
a cookie signed with a key made fresh at every server start: `<expiry>.<hmac>`,
HttpOnly, SameSite=Strict, Secure behind https. The password itself is never logged,
stored in the cookie, or passed to a session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from enum import Enum

from kiosk.web.clients import FailureWindow

COOKIE_NAME = "kiosk_serve_gate"
COOKIE_LIFETIME_SECONDS = 12 * 3600
MAX_FAILURES_PER_ADDRESS = 5
FAILURE_WINDOW_SECONDS = 60.0


class Attempt(Enum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    TOO_MANY = "too many"  # this address must wait; the password was not checked


class PasswordGate:
    def __init__(self, password: str, *, key: bytes | None = None,
                 lifetime_seconds: int = COOKIE_LIFETIME_SECONDS) -> None:
        if not password:
            raise ValueError("the gate needs a non-empty password")
        self._digest = hashlib.sha256(password.encode("utf-8")).digest()
        self._key = key if key is not None else secrets.token_bytes(32)
        self._lifetime = lifetime_seconds
        self.failures = FailureWindow(MAX_FAILURES_PER_ADDRESS, FAILURE_WINDOW_SECONDS)

    def __repr__(self) -> str:  # never show the digest or the key
        return "PasswordGate(<hidden>)"

    def password_matches(self, given: str) -> bool:
        """Constant time whatever the lengths: both sides are SHA-256 digests."""
        candidate = hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
        return hmac.compare_digest(candidate, self._digest)

    def attempt(self, given: str | None, address: str, now: float | None = None) -> Attempt:
        """One sign-in attempt from `address` (None: a malformed form, a wrong password).

        Synchronous and quick on purpose: on the event loop, the check and the count of a
        failure happen with nothing in between, so concurrent guesses cannot slip past.
        """
        moment = time.monotonic() if now is None else now
        if self.failures.retry_after(address, moment):
            return Attempt.TOO_MANY
        if given is not None and self.password_matches(given):
            return Attempt.ACCEPTED
        self.failures.record(address, moment)
        return Attempt.REFUSED

    def retry_after(self, address: str, now: float | None = None) -> int:
        """Seconds `address` must wait before its next attempt is checked (0: none)."""
        return self.failures.retry_after(address, time.monotonic() if now is None else now)

    def issue_cookie(self, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + self._lifetime)
        return f"{expires}.{self._sign(str(expires))}"

    def cookie_valid(self, value: str | None, now: float | None = None) -> bool:
        if not value or value.count(".") != 1:
            return False
        expires_text, signature = value.split(".")
        if not expires_text.isdigit() or not hmac.compare_digest(
                signature.encode("ascii", "replace"), self._sign(expires_text).encode("ascii")):
            return False
        return int(expires_text) > (time.time() if now is None else now)

    @property
    def lifetime_seconds(self) -> int:
        return self._lifetime

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode("ascii"), hashlib.sha256).hexdigest()
