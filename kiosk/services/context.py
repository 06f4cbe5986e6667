"""What every service needs, built once per app from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from kiosk.clock import Clock, SystemClock
from kiosk.db.uow import Database
from kiosk.security.policy import PasswordPolicy
from kiosk.settings import Settings

if TYPE_CHECKING:
    from kiosk.security.hashing import PasswordHashing


@dataclass
class ServiceContext:
    settings: Settings
    database: Database
    hashing: PasswordHashing
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def policy(self) -> PasswordPolicy:
        return PasswordPolicy.from_settings(self.settings)

    @classmethod
    def from_settings(cls, settings: Settings, *, hashing: PasswordHashing | None = None,
                      clock: Clock | None = None) -> ServiceContext:
        from kiosk.security.hashing import PasswordHashing

        return cls(settings=settings, database=Database(settings.connection_url()),
                   hashing=hashing if hashing is not None else PasswordHashing(),
                   clock=clock if clock is not None else SystemClock())
