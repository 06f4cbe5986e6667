"""One login (the service call, product argon2 parameters) vs one raw argon2 verify.

The raw verify uses argon2-cffi directly, at the parameters the product hashes with,
on the very hash stored for the account. Runs alternate; each side's median is used.
"""

from __future__ import annotations

import time
from pathlib import Path

import argon2
from sqlalchemy import select

from bench import district
from bench.databases import Databases
from bench.report import Row, median, ms, progress, ratio_row
from kiosk.db.models import Account
from kiosk.security.hashing import PasswordHashing
from kiosk.services.parent import ParentServices

TARGET = 1.15
FIGURE = "one login (service call) vs one raw argon2 verify"


def prepare(databases: Databases, folder: Path, label: str) -> tuple[ParentServices, str]:
    """A small district with one activated account, hashed at the product parameters."""
    url = databases.migrated(label)
    district.populate(url, district.write(folder, 20))
    ctx = district.context(url, PasswordHashing())
    sourced_id = district.active_guardians(ctx, 1)[0]
    username = district.accounts_for(ctx, [sourced_id])[0]
    return ParentServices(ctx, terminal="bench"), username


def run(databases: Databases, folder: Path, rounds: int) -> list[Row]:
    services, username = prepare(databases, folder, "login")
    ctx = services.context
    try:
        with ctx.database.unit_of_work(read_only=True) as uow:
            stored = uow.session.scalars(
                select(Account.password_hash).where(Account.username_canonical == username)
            ).one()
        parameters = ctx.hashing.parameters
        raw = argon2.PasswordHasher(time_cost=parameters.time_cost,
                                    memory_cost=parameters.memory_cost,
                                    parallelism=parameters.parallelism, type=argon2.Type.ID)
        secret = district.PASSWORD.encode()
        progress(f"login vs argon2 verify on {databases.kind}: {rounds} runs each "
                 f"(t={parameters.time_cost}, m={parameters.memory_cost} KiB, "
                 f"p={parameters.parallelism})")
        services.log_in(username, district.PASSWORD)  # connections and caches warm
        raw.verify(stored, secret)
        logins: list[float] = []
        verifies: list[float] = []
        for _ in range(rounds):
            start = time.perf_counter()
            raw.verify(stored, secret)
            verifies.append(time.perf_counter() - start)
            start = time.perf_counter()
            services.log_in(username, district.PASSWORD)
            logins.append(time.perf_counter() - start)
    finally:
        ctx.database.dispose()
    login, verify = median(logins), median(verifies)
    return [ratio_row(FIGURE, databases.kind, TARGET, login, verify,
                      f"{ms(login)} vs {ms(verify)}")]
