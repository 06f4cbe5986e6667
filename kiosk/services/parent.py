"""The services a parent's kiosk session uses, bound to one terminal.

Screens receive this object; every method is one unit of work, blocking (call it
from a thread worker), returns a plain dataclass and raises `KioskError`s.
"""

from __future__ import annotations

from kiosk.audit import Actor
from kiosk.security.policy import PasswordPolicy
from kiosk.services import activation, login
from kiosk.services.context import ServiceContext
from kiosk.services.views import AccountView, KeyCheck, LoginResult
from kiosk.settings import Settings


class ParentServices:
    def __init__(self, context: ServiceContext, terminal: str = "kiosk", *,
                 client_address: str | None = None) -> None:
        """`client_address` makes this a browser session's services (`kiosk serve`)."""
        self.context = context
        self.terminal = terminal
        if client_address is None:
            self.actor = Actor(name=f"kiosk:{terminal}", terminal=terminal)
        else:
            self.actor = Actor(name=f"web:{terminal}", client_address=client_address,
                               terminal=terminal, browser=True)

    @property
    def settings(self) -> Settings:
        return self.context.settings

    @property
    def policy(self) -> PasswordPolicy:
        return self.context.policy

    def check_key(self, raw_key: str) -> KeyCheck:
        return activation.check_key(self.context, self.actor, raw_key)

    def create_account(self, raw_key: str, username: str, password: str,
                       verify: str) -> AccountView:
        return activation.create_account(self.context, self.actor, raw_key, username,
                                         password, verify)

    def log_in(self, username: str, password: str) -> LoginResult:
        return login.log_in(self.context, self.actor, username, password)

    def change_password(self, account_id: int, current: str, new: str,
                        verify: str) -> AccountView:
        return login.change_password(self.context, self.actor, account_id, current, new,
                                     verify)

    def account_view(self, account_id: int) -> AccountView:
        return login.account_view(self.context, account_id)

    def health_check(self) -> None:
        """Raise ServiceUnavailable while the database cannot be reached."""
        health_check(self.context)


def health_check(context: ServiceContext) -> None:
    """A cheap read of a real table: a server that answers but has no schema is not ready."""
    from sqlalchemy import select

    from kiosk.db.models import Account

    with context.database.unit_of_work(read_only=True) as uow:
        uow.session.execute(select(Account.id).limit(1))
