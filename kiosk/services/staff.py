"""Staff services: log in, find a household, reset, unlock, disable, manage staff.

Every change is audited with the staff member's name and SSH client address.
`StaffServices` binds a logged-in staff session and enforces the admin-only rules;
the module functions take an `Actor` and are shared with the `kiosk` CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from kiosk import audit
from kiosk.audit import Action, Actor, AuditEntry, AuditFilter
from kiosk.db.models import (
    Account,
    ActivationKey,
    Guardian,
    GuardianStudent,
    StaffUser,
    Student,
)
from kiosk.errors import LoginFailed, NotAllowed, NotFound, Refused, RulesNotMet, UsernameTaken
from kiosk.security.policy import canonical_username, unmet_username_rules
from kiosk.security.temp_passwords import generate_temporary_password
from kiosk.services import files, keys, queries, throttle
from kiosk.services.attempts import reserved_attempt
from kiosk.services.context import ServiceContext
from kiosk.services.views import (
    AccountState,
    GuardianDetail,
    GuardianSummary,
    Household,
    IssuedKey,
    KeyState,
    SearchPage,
    StaffSession,
    StaffUserView,
    TemporaryPassword,
)

if TYPE_CHECKING:
    from kiosk.roster.importer import ImportSummary
    from kiosk.signin.store import ClientSummary

ROLES = ("staff", "admin")
MAX_PAGE_SIZE = 100


# --- staff login -------------------------------------------------------------------

def staff_log_in(ctx: ServiceContext, actor: Actor, username: str,
                 password: str) -> StaffSession:
    """The staff password is the second factor after the SSH key. Same throttling as parents."""
    canonical = canonical_username(username)
    with ctx.database.unit_of_work(read_only=True) as uow:
        user = uow.session.scalar(
            select(StaffUser).where(StaffUser.username_canonical == canonical))
        snapshot = None if user is None else (
            user.id, user.role, user.disabled,
            throttle.is_locked(user.hard_locked, user.locked_until, ctx.clock.now()))
    if snapshot is None:
        ctx.hashing.dummy_verify(password)
        raise _audited_failure(ctx, actor, "", "unknown username")
    user_id, role, disabled, locked = snapshot
    # Counted before the password is checked, and only while not locked: no burst of
    # guesses gets more checks than the failures left (see kiosk/services/attempts.py).
    with reserved_attempt(ctx, StaffUser, user_id, known_locked=locked or disabled) as attempt:
        if attempt.failures is None:
            ctx.hashing.dummy_verify(password)
            raise _audited_failure(ctx, actor, canonical,
                                   "disabled" if disabled and not locked else "locked")
        checked = attempt.password_hash or ""
        if not ctx.hashing.verify(checked, password):
            with attempt.outcome() as uow:
                reference = audit.record(
                    uow.session, ctx.clock, actor, Action.STAFF_LOGIN, outcome="failed",
                    subject=canonical, detail=f"wrong password, {attempt.failures} in a row",
                    with_reference=True)
                uow.commit()
            raise LoginFailed(reference=reference)
        values: dict[str, object] = {"last_login_at": ctx.clock.now()}
        if ctx.hashing.needs_rehash(checked):
            values["password_hash"] = throttle.rehashed(StaffUser, checked,
                                                        ctx.hashing.hash(password))
        with attempt.outcome() as uow:
            throttle.reset_login_failures(uow.session, StaffUser, user_id, **values)
            audit.record(uow.session, ctx.clock, actor, Action.STAFF_LOGIN, subject=canonical)
            uow.commit()
    return StaffSession(username=canonical, role=role)


def _audited_failure(ctx: ServiceContext, actor: Actor, subject: str, detail: str) -> LoginFailed:
    with ctx.database.unit_of_work() as uow:
        reference = audit.record(uow.session, ctx.clock, actor, Action.STAFF_LOGIN,
                                 outcome="failed", subject=subject, detail=detail,
                                 with_reference=True)
        uow.commit()
    return LoginFailed(reference=reference)


# --- search and household -------------------------------------------------------------

def search_guardians(ctx: ServiceContext, query: str, page: int = 0,
                     page_size: int = 20) -> SearchPage:
    """Prefix search on names (either order), usernames, student names and numbers.

    Every branch is a range scan on an index, so a page costs the same at 1,000 or
    150,000 guardians.
    """
    text = " ".join(query.split()).lower()
    if not text:
        raise Refused("Type part of a name, a username or a student number.")
    page = max(page, 0)
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    by_guardian = select(Guardian.id).where(
        or_(_prefix(Guardian.search_name, text), _prefix(Guardian.search_family, text)))
    by_account = select(Account.guardian_id).where(_prefix(Account.username_canonical, text))
    by_student = (select(GuardianStudent.guardian_id)
                  .join(Student, Student.id == GuardianStudent.student_id)
                  .where(or_(_prefix(Student.search_name, text),
                             _prefix(Student.search_family, text),
                             Student.student_number == query.strip())))
    ids = by_guardian.union(by_account, by_student).subquery()
    # Plain columns, the username joined in: a page of 20 namesakes costs about what a
    # page of one does.
    statement = (select(Guardian.id, Guardian.sourced_id, Guardian.given_name,
                        Guardian.family_name, Account.username)
                 .outerjoin(Account, Account.guardian_id == Guardian.id)
                 .where(Guardian.id.in_(select(ids)))
                 .order_by(Guardian.family_name, Guardian.given_name, Guardian.id)
                 .offset(page * page_size).limit(page_size + 1))
    with ctx.database.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(statement).all()
        # The students of the whole page in one query, not one per result.
        students = queries.student_names_of(uow.session, [row.id for row in rows[:page_size]])
    results = tuple(
        GuardianSummary(guardian_id=row.id, sourced_id=row.sourced_id,
                        given_name=row.given_name, family_name=row.family_name,
                        username=row.username, student_names=students[row.id])
        for row in rows[:page_size])
    return SearchPage(query=query, page=page, page_size=page_size, results=results,
                      has_more=len(rows) > page_size)


def _prefix(column: InstrumentedAttribute[str], text: str) -> ColumnElement[bool]:
    """`column LIKE 'text%'` as a range both SQLite and PostgreSQL serve from a B-tree."""
    return (column >= text) & (column < text + "\U0010ffff")


def household(ctx: ServiceContext, guardian_id: int) -> Household:
    with ctx.database.unit_of_work(read_only=True) as uow:
        session = uow.session
        first = session.get(Guardian, guardian_id)
        if first is None:
            raise NotFound(what="guardian", name=str(guardian_id))
        student_ids = select(GuardianStudent.student_id).where(
            GuardianStudent.guardian_id == guardian_id)
        others = session.scalars(
            select(Guardian).join(GuardianStudent, GuardianStudent.guardian_id == Guardian.id)
            .where(GuardianStudent.student_id.in_(student_ids), Guardian.id != guardian_id)
            .distinct().order_by(Guardian.family_name, Guardian.given_name, Guardian.id))
        now = ctx.clock.now()
        details = tuple(_guardian_detail(session, g, now) for g in [first, *others])
        return Household(guardians=details, students=queries.students_of(session, guardian_id))


def _guardian_detail(session: Session, guardian: Guardian, now: datetime) -> GuardianDetail:
    account = guardian.account
    state = None
    if account is not None:
        state = AccountState(
            username=account.username, created_at=account.created_at,
            disabled=account.disabled,
            active=not account.disabled and queries.guardian_is_active(session, guardian.id),
            failed_logins=account.failed_logins,
            locked_until=account.locked_until
            if account.locked_until is not None and account.locked_until > now else None,
            hard_locked=account.hard_locked,
            must_change_password=account.must_change_password,
            last_login_at=account.last_login_at)
    key_rows = session.scalars(select(ActivationKey)
                               .where(ActivationKey.guardian_id == guardian.id)
                               .order_by(ActivationKey.issued_at.desc(), ActivationKey.id.desc()))
    return GuardianDetail(
        guardian_id=guardian.id, sourced_id=guardian.sourced_id, given_name=guardian.given_name,
        family_name=guardian.family_name, email=guardian.email, in_roster=guardian.in_roster,
        account=state, keys=tuple(_key_state(k, now) for k in key_rows))


def _key_state(key: ActivationKey, now: datetime) -> KeyState:
    if key.used_at is not None:
        state = "used"
    elif key.revoked_at is not None:
        state = "revoked"
    elif key.expires_at <= now:
        state = "expired"
    else:
        state = "active"
    return KeyState(issued_at=key.issued_at, expires_at=key.expires_at, used_at=key.used_at,
                    revoked_at=key.revoked_at, state=state)


# --- account actions ---------------------------------------------------------------------

def reset_password(ctx: ServiceContext, actor: Actor, username: str) -> TemporaryPassword:
    """Generate a temporary password (staff never choose it); it is shown once.

    The account's sign-in tokens (portal, mobile app) are revoked in the same
    transaction: whoever had them must log in again with the new password.
    """
    from kiosk.signin.store import revoke_account_tokens

    canonical = canonical_username(username)
    temporary = generate_temporary_password(ctx.policy, username=canonical)
    temporary_hash = ctx.hashing.hash(temporary)
    with ctx.database.unit_of_work() as uow:
        account = _account(uow.session, canonical)
        now = ctx.clock.now()
        expires = now + timedelta(hours=ctx.settings.temp_password_hours)
        uow.session.execute(update(Account).where(Account.id == account.id).values(
            password_hash=temporary_hash, must_change_password=True,
            temporary_expires_at=expires, failed_logins=0, locked_until=None,
            hard_locked=False))
        ended = revoke_account_tokens(uow.session, account.id, now)
        audit.record(uow.session, ctx.clock, actor, Action.PASSWORD_RESET,
                     guardian_id=account.guardian_id, subject=canonical,
                     detail=f"temporary password valid until {expires.isoformat()}"
                     + (f"; {ended} sign-in token issue(s) revoked" if ended else ""))
        uow.commit()
    return TemporaryPassword(username=account.username, temporary_password=temporary,
                             expires_at=expires)


def unlock(ctx: ServiceContext, actor: Actor, username: str) -> None:
    canonical = canonical_username(username)
    with ctx.database.unit_of_work() as uow:
        account = _account(uow.session, canonical)
        throttle.reset_login_failures(uow.session, Account, account.id)
        audit.record(uow.session, ctx.clock, actor, Action.UNLOCK,
                     guardian_id=account.guardian_id, subject=canonical)
        uow.commit()


def set_account_disabled(ctx: ServiceContext, actor: Actor, username: str,
                         disabled: bool) -> None:
    """Disable (or enable) a portal account. A disable revokes its sign-in tokens in the
    same transaction, so enabling it again does not bring them back."""
    from kiosk.signin.store import revoke_account_tokens

    canonical = canonical_username(username)
    with ctx.database.unit_of_work() as uow:
        account = _account(uow.session, canonical)
        uow.session.execute(update(Account).where(Account.id == account.id)
                            .values(disabled=disabled))
        ended = (revoke_account_tokens(uow.session, account.id, ctx.clock.now())
                 if disabled else 0)
        audit.record(uow.session, ctx.clock, actor,
                     Action.DISABLE if disabled else Action.ENABLE,
                     guardian_id=account.guardian_id, subject=canonical,
                     detail=f"{ended} sign-in token issue(s) revoked" if ended else "")
        uow.commit()


def _account(session: Session, canonical: str) -> Account:
    account = queries.account_by_username(session, canonical)
    if account is None:
        raise NotFound(what="portal account", name=repr(canonical))
    return account


# --- staff users -----------------------------------------------------------------------

def add_staff_user(ctx: ServiceContext, actor: Actor, username: str, password: str,
                   role: str = "staff") -> StaffUserView:
    if role not in ROLES:
        raise Refused("A staff role is 'staff' or 'admin', not {role}.", role=repr(role))
    username = username.strip()
    problems = unmet_username_rules(username) + ctx.policy.unmet(password, username=username)
    if problems:
        raise RulesNotMet(problems)
    canonical = canonical_username(username)
    password_hash = ctx.hashing.hash(password)
    try:
        with ctx.database.unit_of_work() as uow:
            if queries.username_in_use(uow.session, canonical):
                raise UsernameTaken()
            now = ctx.clock.now()
            user = StaffUser(username=username, username_canonical=canonical,
                             password_hash=password_hash, role=role, disabled=False,
                             created_at=now, failed_logins=0, hard_locked=False)
            uow.session.add(user)
            uow.session.flush()
            audit.record(uow.session, ctx.clock, actor, Action.STAFF_USER_ADD,
                         subject=canonical, detail=f"role {role}")
            view = _staff_view(user)
            uow.commit()
    except IntegrityError:
        raise UsernameTaken() from None
    return view


def set_staff_user(ctx: ServiceContext, actor: Actor, username: str, *,
                   role: str | None = None, disabled: bool | None = None,
                   unlock_user: bool = False) -> StaffUserView:
    if role is not None and role not in ROLES:
        raise Refused("A staff role is 'staff' or 'admin', not {role}.", role=repr(role))
    canonical = canonical_username(username)
    with ctx.database.unit_of_work() as uow:
        user = uow.session.scalar(select(StaffUser)
                                  .where(StaffUser.username_canonical == canonical))
        if user is None:
            raise NotFound(what="staff user", name=repr(canonical))
        changes = []
        if role is not None:
            user.role = role
            changes.append(f"role {role}")
        if disabled is not None:
            user.disabled = disabled
            changes.append("disabled" if disabled else "enabled")
        if unlock_user:
            user.failed_logins, user.locked_until, user.hard_locked = 0, None, False
            changes.append("unlocked")
        audit.record(uow.session, ctx.clock, actor, Action.STAFF_USER_CHANGE,
                     subject=canonical, detail=", ".join(changes))
        view = _staff_view(user)
        uow.commit()
    return view


def list_staff_users(ctx: ServiceContext) -> list[StaffUserView]:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return [_staff_view(u) for u in uow.session.scalars(
            select(StaffUser).order_by(StaffUser.username_canonical))]


def _staff_view(user: StaffUser) -> StaffUserView:
    return StaffUserView(username=user.username, role=user.role, disabled=user.disabled,
                         created_at=user.created_at, last_login_at=user.last_login_at)


def audit_events(ctx: ServiceContext, audit_filter: AuditFilter) -> list[AuditEntry]:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return audit.query_events(uow.session, audit_filter)


# --- the console's view: a logged-in staff member -----------------------------------------

@dataclass
class StaffServices:
    """What a logged-in staff member may do. Admin-only actions check the role."""

    context: ServiceContext
    session: StaffSession
    client_address: str = ""

    @property
    def actor(self) -> Actor:
        self._check_access()
        return Actor(name=f"staff:{self.session.username}", client_address=self.client_address)

    def _check_access(self) -> None:
        """Re-read the staff member on every action: a disable or demotion takes effect now."""
        with self.context.database.unit_of_work(read_only=True) as uow:
            row = uow.session.execute(
                select(StaffUser.role, StaffUser.disabled, StaffUser.hard_locked)
                .where(StaffUser.username_canonical == self.session.username)).one_or_none()
        if row is None or row.disabled or row.hard_locked:
            raise NotAllowed("Your staff account is no longer active. Please log in again.")
        if row.role != self.session.role:
            self.session = StaffSession(username=self.session.username, role=row.role)

    def _require_admin(self) -> None:
        self._check_access()
        if not self.session.is_admin:
            raise NotAllowed()

    def search(self, query: str, page: int = 0, page_size: int = 20) -> SearchPage:
        self._check_access()
        return search_guardians(self.context, query, page, page_size)

    def household(self, guardian_id: int) -> Household:
        self._check_access()
        return household(self.context, guardian_id)

    def issue_key(self, guardian_sourced_id: str) -> IssuedKey:
        return keys.issue_keys(self.context, self.actor, [guardian_sourced_id])[0]

    def revoke_keys(self, guardian_sourced_id: str) -> int:
        return keys.revoke_keys(self.context, self.actor, guardian_sourced_id)

    def reset_password(self, username: str) -> TemporaryPassword:
        return reset_password(self.context, self.actor, username)

    def unlock(self, username: str) -> None:
        unlock(self.context, self.actor, username)

    def set_account_disabled(self, username: str, disabled: bool) -> None:
        set_account_disabled(self.context, self.actor, username, disabled)

    def audit_events(self, audit_filter: AuditFilter) -> list[AuditEntry]:
        self._check_access()
        return audit_events(self.context, audit_filter)

    def add_staff_user(self, username: str, password: str, role: str = "staff") -> StaffUserView:
        self._require_admin()
        return add_staff_user(self.context, self.actor, username, password, role)

    def set_staff_user(self, username: str, *, role: str | None = None,
                       disabled: bool | None = None, unlock_user: bool = False) -> StaffUserView:
        self._require_admin()
        return set_staff_user(self.context, self.actor, username, role=role, disabled=disabled,
                              unlock_user=unlock_user)

    def list_staff_users(self) -> list[StaffUserView]:
        self._require_admin()
        return list_staff_users(self.context)

    def list_signin_clients(self) -> list[ClientSummary]:
        """The portals and apps registered with `kiosk signin client add` (admin only,
        the role read again now). Read-only: no secret, not even its hash."""
        from kiosk.signin.store import client_summaries

        self._require_admin()
        return client_summaries(self.context.database)

    def import_roster(self, path: Path, *, dry_run: bool = False,
                      max_withdrawals: int | None = None,
                      progress: Callable[[int, int], None] | None = None) -> ImportSummary:
        """Admin only, the role read again now: an admin demoted since login is refused."""
        from kiosk.roster.importer import import_roster

        self._require_admin()
        return import_roster(self.context, self.actor, path, dry_run=dry_run,
                             max_withdrawals=max_withdrawals, progress=progress)

    def write_letters(self, path: Path, issued: Sequence[IssuedKey]) -> Path:
        """Activation letters to a new private PDF file, audited."""
        from kiosk.letters import write_letters

        actor = self.actor
        write_letters(path, issued, self.context.settings)
        files.audit_file_written(self.context, actor, Action.LETTERS_WRITE, path,
                                 letters=len(issued))
        return path

    def export_audit(self, path: Path, audit_filter: AuditFilter) -> int:
        """The audit events that match, to a new private CSV file; audited. How many."""
        from kiosk.audit_csv import write_csv

        actor = self.actor
        count = write_csv(path, audit_events(self.context, audit_filter))
        files.audit_file_written(self.context, actor, Action.AUDIT_EXPORT, path, events=count)
        return count

