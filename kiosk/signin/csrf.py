"""CSRF protection for the sign-in forms, and the pending-login token.

Each browser gets a random value in an HttpOnly, SameSite cookie; every form carries
that value signed (itsdangerous, with a secret every provider process shares through
the database) in a hidden input. A POST is accepted only when the signature is good,
fresh, and signs the value of the browser's own cookie: another site can make the
browser send the cookie, but cannot read the page to learn the signed token.

The same signer carries a pending login from the login page to the forced
change-password page (the account id, never a password), good for a few minutes.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadData, URLSafeTimedSerializer

from kiosk.signin.config import FORM_LIFETIME

COOKIE = "kiosk_signin_csrf"
_CSRF_SALT = "kiosk.signin.csrf"
_PENDING_SALT = "kiosk.signin.pending"


class FormSigner:
    def __init__(self, secret: str) -> None:
        self._csrf = URLSafeTimedSerializer(secret, salt=_CSRF_SALT)
        self._pending = URLSafeTimedSerializer(secret, salt=_PENDING_SALT)
        self._max_age = int(FORM_LIFETIME.total_seconds())

    @staticmethod
    def new_cookie_value() -> str:
        return secrets.token_urlsafe(24)

    @staticmethod
    def usable_cookie(value: str | None) -> bool:
        return (value is not None and 20 <= len(value) <= 64
                and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in value))

    def token_for(self, cookie_value: str) -> str:
        return str(self._csrf.dumps(cookie_value))

    def token_matches(self, token: str | None, cookie_value: str | None) -> bool:
        if not token or not cookie_value or len(token) > 512:
            return False
        try:
            signed = self._csrf.loads(token, max_age=self._max_age)
        except BadData:
            return False
        return isinstance(signed, str) and hmac.compare_digest(signed, cookie_value)

    def pending_for(self, account_id: int, cookie_value: str) -> str:
        return str(self._pending.dumps([account_id, cookie_value]))

    def pending_account(self, token: str | None, cookie_value: str | None) -> int | None:
        """The account of a pending login made in this same browser, or None."""
        if not token or not cookie_value or len(token) > 512:
            return None
        try:
            value = self._pending.loads(token, max_age=self._max_age)
        except BadData:
            return None
        if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
                or not isinstance(value[1], str)
                or not hmac.compare_digest(value[1], cookie_value)):
            return None
        return value[0]
