"""The services a parent's kiosk session uses, bound to one terminal.

Screens receive this object; every method is one unit of work, blocking (call it
from a thread worker), returns a plain dataclass and raises `KioskError`s.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from kiosk.audit import Actor
from kiosk.errors import ServiceUnavailable
from kiosk.services import activation, login
from kiosk.services.context import ServiceContext
from kiosk.services.views import AccountView, KeyCheck, LoginResult
from kiosk.settings import Settings

log = logging.getLogger("kiosk.services")
P = ParamSpec("P")
R = TypeVar("R")


def _logs_outages(method: Callable[P, R]) -> Callable[P, R]:
    """A parent sees "temporarily unavailable"; the log gets the real cause, one line
    (the cause has no secret in it; nothing the parent typed is logged)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except ServiceUnavailable as error:
            services = args[0]
            terminal = services.terminal if isinstance(services, ParentServices) else "?"
            log.warning("terminal %s: %s shows \"unavailable\": %s", terminal,
                        method.__name__, error.cause or type(error).__name__)
            raise

    return wrapper


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

    @_logs_outages
    def check_key(self, raw_key: str) -> KeyCheck:
        return activation.check_key(self.context, self.actor, raw_key)

    @_logs_outages
    def create_account(self, raw_key: str, username: str, password: str,
                       verify: str) -> AccountView:
        return activation.create_account(self.context, self.actor, raw_key, username,
                                         password, verify)

    @_logs_outages
    def log_in(self, username: str, password: str) -> LoginResult:
        return login.log_in(self.context, self.actor, username, password)

    @_logs_outages
    def change_password(self, account_id: int, current: str, new: str,
                        verify: str) -> AccountView:
        return login.change_password(self.context, self.actor, account_id, current, new,
                                     verify)

    @_logs_outages
    def health_check(self) -> None:
        """Raise ServiceUnavailable while the database cannot be reached."""
        health_check(self.context)


def health_check(context: ServiceContext) -> None:
    """A cheap read of a real table: a server that answers but has no schema is not ready."""
    from sqlalchemy import select

    from kiosk.db.models import Account

    with context.database.unit_of_work(read_only=True) as uow:
        uow.session.execute(select(Account.id).limit(1))
