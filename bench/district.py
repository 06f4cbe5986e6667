"""Synthetic districts for the benchmarks, built only through the product's own paths.

A district is a seeded OneRoster bundle from `kiosk.roster.synthetic`, imported with
`kiosk.roster.importer.import_roster`; keys come from `kiosk.services.keys.issue_keys`
and accounts from `kiosk.services.activation.create_account`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import exists, select

from kiosk.audit import Actor
from kiosk.clock import SystemClock
from kiosk.db.models import Guardian, GuardianStudent, Student
from kiosk.db.uow import Database
from kiosk.roster.importer import import_roster
from kiosk.roster.synthetic import generate, write_bundle
from kiosk.security.hashing import FAST_FOR_TESTS, PasswordHashing
from kiosk.services.activation import create_account
from kiosk.services.context import ServiceContext
from kiosk.services.keys import issue_keys
from kiosk.settings import Settings

SEED = 2026
CLERK = Actor(name="cli:bench")
KIOSK = Actor(name="kiosk:bench", terminal="bench")
PASSWORD = "lobby kiosk morning blue heron"  # noqa: S105 - the bench parents' password
# About 1.5 guardians per student in the synthetic districts: 670 students ≈ 1,000 guardians.
GUARDIANS_PER_STUDENT = 1.49


def students_for(guardians: int) -> int:
    return max(1, round(guardians / GUARDIANS_PER_STUDENT))


@dataclass(frozen=True)
class Bundle:
    path: Path
    students: int
    guardians: int


def write(folder: Path, students: int, seed: int = SEED) -> Bundle:
    """Write (once) a seeded bundle of `students` students into `folder`."""
    target = folder / f"roster-{students}-{seed}"
    district = generate(students, seed)
    if not target.exists():
        write_bundle(district, target)
    return Bundle(target, district.students, district.guardians)


def context(url: str, hashing: PasswordHashing | None = None) -> ServiceContext:
    """Services on `url`; cheap argon2 unless `hashing` is given (lookups measure the DB)."""
    return ServiceContext(
        settings=replace(Settings(), database_url=url), database=Database(url),
        hashing=hashing if hashing is not None
        else PasswordHashing(FAST_FOR_TESTS, allow_below_floor=True),
        clock=SystemClock())


def populate(url: str, bundle: Bundle) -> None:
    """Import the bundle into the (migrated, empty) database at `url`."""
    ctx = context(url)
    try:
        import_roster(ctx, CLERK, bundle.path)
    finally:
        ctx.database.dispose()


def active_guardians(ctx: ServiceContext, count: int, seed: int = SEED) -> list[str]:
    """sourcedIds of `count` guardians (sampled, seeded) with an enrolled student."""
    statement = (select(Guardian.sourced_id).where(exists().where(
        GuardianStudent.guardian_id == Guardian.id, GuardianStudent.student_id == Student.id,
        Student.enrolled.is_(True))).order_by(Guardian.id))
    with ctx.database.unit_of_work(read_only=True) as uow:
        candidates = list(uow.session.scalars(statement))
    return random.Random(seed).sample(candidates, min(count, len(candidates)))


def keys_for(ctx: ServiceContext, sourced_ids: Sequence[str]) -> list[str]:
    return [issued.activation_key for issued in issue_keys(ctx, CLERK, list(sourced_ids))]


def accounts_for(ctx: ServiceContext, sourced_ids: Sequence[str],
                 prefix: str = "bench") -> list[str]:
    """Activate an account for each guardian; return the usernames."""
    usernames = []
    for number, key in enumerate(keys_for(ctx, sourced_ids), start=1):
        username = f"{prefix}{number}"
        create_account(ctx, KIOSK, key, username, PASSWORD, PASSWORD)
        usernames.append(username)
    return usernames
