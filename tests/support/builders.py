"""Test data builders: a context on a real database, families, keys and accounts."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import update

from kiosk.audit import Actor
from kiosk.clock import FakeClock
from kiosk.db.models import Guardian, GuardianStudent, School, Student
from kiosk.db.uow import Database
from kiosk.security.hashing import FAST_FOR_TESTS, PasswordHashing
from kiosk.services import activation, keys
from kiosk.services.context import ServiceContext
from kiosk.services.views import AccountView
from kiosk.settings import Settings

KIOSK = Actor(name="kiosk:test", terminal="test")
CLERK = Actor(name="staff:clerk", client_address="192.0.2.10")
GOOD_PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "purple elephants dance at noon"

_sequence = itertools.count(1)

# The district the tests run for (the product's own defaults are placeholders).
TEST_DISTRICT = {"district_name": "Clayton County Public Schools", "district_id": "JPRQQH",
                 "portal_url": "https://www.clayton.k12.ga.us/"}


def fast_hashing() -> PasswordHashing:
    return PasswordHashing(FAST_FOR_TESTS, allow_below_floor=True)


def make_context(url: str, clock: FakeClock | None = None, **overrides: Any) -> ServiceContext:
    """Services on an already migrated database, cheap argon2, and a fake clock."""
    settings = replace(Settings(database_url=url), **(TEST_DISTRICT | overrides))
    return ServiceContext(settings=settings, database=Database(url), hashing=fast_hashing(),
                          clock=clock or FakeClock())


@dataclass(frozen=True)
class Family:
    guardian_ids: tuple[str, ...]  # roster sourcedIds
    student_ids: tuple[str, ...]


def add_family(ctx: ServiceContext, *,
               guardians: tuple[tuple[str, str], ...] = (("Maria", "Lopez"),),
               students: tuple[tuple[str, str], ...] = (("Ana", "Lopez"),),
               school: str = "Lakeside Elementary", enrolled: bool = True,
               student_username: str | None = None, student_number: str | None = None) -> Family:
    n = next(_sequence)
    with ctx.database.unit_of_work() as uow:
        session = uow.session
        school_row = School(sourced_id=f"sch-{n}", name=school, org_type="school")
        session.add(school_row)
        session.flush()
        student_rows = []
        for i, (given, family) in enumerate(students):
            row = Student(sourced_id=f"stu-{n}-{i}", given_name=given, family_name=family,
                          student_number=student_number or f"{n:05d}{i}",
                          username_canonical=student_username.lower() if student_username else None,
                          grades="03", school_id=school_row.id, enrolled=enrolled,
                          search_name=f"{given} {family}".lower(),
                          search_family=f"{family} {given}".lower())
            session.add(row)
            student_rows.append(row)
        guardian_rows = []
        for i, (given, family) in enumerate(guardians):
            guardian = Guardian(sourced_id=f"gua-{n}-{i}", given_name=given, family_name=family,
                           email="", role="guardian", in_roster=True,
                           search_name=f"{given} {family}".lower(),
                           search_family=f"{family} {given}".lower())
            session.add(guardian)
            guardian_rows.append(guardian)
        session.flush()
        for g in guardian_rows:
            for s in student_rows:
                session.add(GuardianStudent(guardian_id=g.id, student_id=s.id))
        uow.commit()
        return Family(tuple(g.sourced_id for g in guardian_rows),
                      tuple(s.sourced_id for s in student_rows))


def issue_key(ctx: ServiceContext, guardian_sourced_id: str) -> str:
    """A fresh activation key for the guardian, formatted as printed on the letter."""
    return keys.issue_keys(ctx, CLERK, [guardian_sourced_id])[0].activation_key


def add_account(ctx: ServiceContext, username: str = "mlopez", password: str = GOOD_PASSWORD,
                **family: Any) -> AccountView:
    """A family whose first guardian has activated an account.

    With `enrolled=False` the account is made while the students are enrolled and they
    are withdrawn afterwards, as a later roster import would: an inactive guardian can
    neither get nor redeem a key.
    """
    enrolled = family.pop("enrolled", True)
    fam = add_family(ctx, **family)
    key = issue_key(ctx, fam.guardian_ids[0])
    view = activation.create_account(ctx, KIOSK, key, username, password, password)
    if not enrolled:
        withdraw(ctx, fam)
    return view


def withdraw(ctx: ServiceContext, family: Family) -> None:
    """The family's students leave, as a later roster import would record."""
    with ctx.database.unit_of_work() as uow:
        uow.session.execute(update(Student).where(Student.sourced_id.in_(family.student_ids))
                            .values(enrolled=False))
        uow.commit()
