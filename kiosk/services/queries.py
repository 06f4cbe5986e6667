"""Reads shared by several services. Each takes an open session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from kiosk.db.models import Account, Guardian, GuardianStudent, School, StaffUser, Student
from kiosk.services.views import StudentSummary
from kiosk.settings import Settings

from .views import AccountView


def students_of(session: Session, guardian_id: int) -> tuple[StudentSummary, ...]:
    rows = session.execute(
        select(Student, School.name)
        .join(GuardianStudent, GuardianStudent.student_id == Student.id)
        .outerjoin(School, School.id == Student.school_id)
        .where(GuardianStudent.guardian_id == guardian_id)
        .order_by(Student.given_name, Student.family_name, Student.id)
    ).all()
    return tuple(
        StudentSummary(given_name=s.given_name, family_name=s.family_name,
                       student_number=s.student_number, school_name=school or "",
                       grades=s.grades, enrolled=s.enrolled)
        for s, school in rows
    )


def student_names_of(session: Session,
                     guardian_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Each guardian's students' full names, in `students_of` order, in one query."""
    rows = session.execute(
        select(GuardianStudent.guardian_id, Student.given_name, Student.family_name)
        .join(Student, Student.id == GuardianStudent.student_id)
        .where(GuardianStudent.guardian_id.in_(guardian_ids))
        .order_by(GuardianStudent.guardian_id, Student.given_name, Student.family_name,
                  Student.id)
    ).all()
    names: dict[int, list[str]] = {guardian_id: [] for guardian_id in guardian_ids}
    for guardian_id, given, family in rows:
        names[guardian_id].append(f"{given} {family}".strip())
    return {guardian_id: tuple(found) for guardian_id, found in names.items()}


def guardian_active_clause() -> ColumnElement[bool]:
    """SQL for "this guardian's account is active", correlated to `Guardian`.

    Active while the guardian's own row is in the latest full roster import as active and
    enabled (`in_roster`), and at least one linked student is enrolled. A district cuts a
    guardian's portal access with `enabledUser=false` (a custody order, say), so a guardian
    who is cut off keeps no access through their children.
    """
    return Guardian.in_roster.is_(True) & exists().where(
        GuardianStudent.guardian_id == Guardian.id,
        GuardianStudent.student_id == Student.id,
        Student.enrolled.is_(True),
    )


def guardian_is_active(session: Session, guardian_id: int) -> bool:
    """See `guardian_active_clause`."""
    return bool(session.scalar(
        select(Guardian.id).where(Guardian.id == guardian_id, guardian_active_clause())))


def username_in_use(session: Session, canonical: str) -> bool:
    """Usernames are unique case-insensitively among guardians, staff and students.

    On PostgreSQL the answer comes from `kiosk_username_taken`, a function that runs
    with the schema owner's rights: the lobby's role may ask whether a name is taken
    but may not read staff rows. SQLite has no roles and reads the tables.
    """
    if session.get_bind().dialect.name == "postgresql":
        return bool(session.scalar(select(func.kiosk_username_taken(canonical))))
    return bool(session.scalar(select(
        exists().where(Account.username_canonical == canonical)
        | exists().where(StaffUser.username_canonical == canonical)
        | exists().where(Student.username_canonical == canonical)
    )))


@dataclass(frozen=True)
class AccountHolder:
    """An account and its guardian's name: what an account view needs beside the students."""

    account_id: int
    username: str
    must_change_password: bool
    guardian_id: int
    guardian_given_name: str
    guardian_family_name: str


def holder_of(session: Session, account: Account) -> AccountHolder:
    guardian = session.get(Guardian, account.guardian_id)
    assert guardian is not None  # foreign key
    return AccountHolder(
        account_id=account.id, username=account.username,
        must_change_password=account.must_change_password, guardian_id=guardian.id,
        guardian_given_name=guardian.given_name, guardian_family_name=guardian.family_name)


def account_view(session: Session, settings: Settings, holder: AccountHolder) -> AccountView:
    return AccountView(
        account_id=holder.account_id, username=holder.username,
        guardian_given_name=holder.guardian_given_name,
        guardian_family_name=holder.guardian_family_name,
        students=students_of(session, holder.guardian_id),
        district_id=settings.district_id, district_name=settings.district_name,
        portal_url=settings.portal_url, must_change_password=holder.must_change_password,
    )


def account_by_username(session: Session, canonical: str) -> Account | None:
    return session.scalar(select(Account).where(Account.username_canonical == canonical))
