"""The demo district: a small school district in its own database, ready to try.

`build_demo_district` deletes the demo database (`kiosk.settings.demo_database_url()`,
never the configured one), creates it again, imports a generated roster of three
schools, and prepares what a visitor needs to try every parent path:
- activation keys for a few guardians (new random keys on every run);
- a guardian who already has an account (a fixed, readable demo password);
- a guardian whose password staff have just reset (a fresh temporary password);
- a demo staff login, so F12 closes the demo as it would close a real kiosk.
The demo runs for its own made-up district, whatever the configured district is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from kiosk.audit import Actor
from kiosk.demo_sheet import DemoSheet, sheet_path, write_sheet
from kiosk.errors import Refused
from kiosk.roster.importer import ImportSummary, apply_roster
from kiosk.roster.parser import parse_files
from kiosk.roster.synthetic import District, generate
from kiosk.security.temp_passwords import generate_temporary_password
from kiosk.services import activation, keys, staff
from kiosk.services.context import ServiceContext
from kiosk.settings import Settings, demo_database_url, load_settings

DEMO_ACTOR = Actor(name="demo")
DEMO_SEED = 2026
DEMO_STUDENTS = 40
DEMO_SCHOOLS = 3
DEMO_KEY_COUNT = 3
DEMO_USERNAME = "demoparent"
DEMO_PASSWORD = "maple lantern river 42"  # noqa: S105 - published on the demo sheet
DEMO_RESET_USERNAME = "demoreset"
DEMO_STAFF_USERNAME = "demostaff"
DEMO_STAFF_PASSWORD = "harbor violet candle 57"  # noqa: S105 - published on the demo sheet
# The made-up district the demo runs for (a `.invalid` address: never a real portal).
DEMO_DISTRICT = {"district_name": "Maple Valley Schools (demo)", "district_id": "DEMO01",
                 "portal_url": "https://portal.maple-valley.invalid/"}


@dataclass(frozen=True)
class DemoKey:
    guardian_name: str
    student_names: tuple[str, ...]
    activation_key: str
    expires_at: datetime


@dataclass(frozen=True)
class DemoLogin:
    guardian_name: str
    username: str
    password: str
    temporary: bool  # a temporary password: the kiosk asks for a new one at once
    expires_at: datetime | None = None


@dataclass(frozen=True)
class DemoDistrict:
    """Everything `kiosk demo` prints."""

    database_url: str
    district_name: str
    district_id: str
    schools: int
    students: int
    guardians: int
    keys: tuple[DemoKey, ...]
    login: DemoLogin
    temporary_login: DemoLogin
    staff_username: str
    staff_password: str

    @property
    def database_location(self) -> str:
        """The demo database's file (or URL, for a server)."""
        return make_url(self.database_url).database or self.database_url

    def describe(self) -> str:
        """The printed sheet: what to type at the kiosk, and why."""
        lines = [
            f"Demo district ready: {self.district_name} (District ID {self.district_id})",
            f"  {self.schools} schools, {self.students} students, {self.guardians} guardians",
            f"  in its own demo database: {self.database_location}",
            "",
            "Activation keys (choose \"I have an activation key\"; each key works once):",
        ]
        for key in self.keys:
            children = ", ".join(key.student_names)
            lines.append(f"  {key.activation_key}   {key.guardian_name}"
                         + (f" (parent of {children})" if children else ""))
        lines += [
            "",
            f"Log in with an existing account (choose \"Log in\"), as {self.login.guardian_name}:",
            f"  username: {self.login.username}",
            f"  password: {self.login.password}",
            "",
            f"Log in with a temporary password from the front desk, as "
            f"{self.temporary_login.guardian_name}",
            "(the kiosk then asks you to choose a new password):",
            f"  username: {self.temporary_login.username}",
            f"  temporary password: {self.temporary_login.password}",
            "",
            "Leave the demo with F12 and this staff login:",
            f"  staff username: {self.staff_username}",
            f"  staff password: {self.staff_password}",
        ]
        return "\n".join(lines)


def demo_settings(base: Settings | None = None) -> Settings:
    """The given (or configured) settings, pointed at the demo database, in demo mode,
    for the demo's own district. No password file: the demo database is SQLite."""
    settings = base if base is not None else load_settings()
    return replace(settings, database_url=demo_database_url(), database_password_file="",
                   demo=True, district_name=DEMO_DISTRICT["district_name"],
                   district_id=DEMO_DISTRICT["district_id"],
                   portal_url=DEMO_DISTRICT["portal_url"])


def demo_context(base: Settings | None = None) -> ServiceContext:
    return ServiceContext.from_settings(demo_settings(base))


def build_demo_district(ctx: ServiceContext) -> DemoDistrict:
    """Recreate the demo district in `ctx`'s database, which must be the demo database."""
    url = ctx.settings.database_url
    if url != demo_database_url():
        raise Refused("The demo district is built only in the demo database ({demo}), "
                      "never in {url}.", demo=demo_database_url(), url=url)
    ctx.database.dispose()
    _delete_sqlite_files(url)
    from kiosk.db.migrate import upgrade

    upgrade(url)
    district = generate(DEMO_STUDENTS, DEMO_SEED, schools=DEMO_SCHOOLS, tricky_names=False,
                        withdrawn_rate=0.0)
    summary = apply_roster(ctx, DEMO_ACTOR, parse_files(district.files, source="demo district"))
    return _prepare_guardians(ctx, district, summary)


def _delete_sqlite_files(url: str) -> None:
    database = make_url(url).database
    if not database:
        return
    path = Path(database)
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    sheet = sheet_path(url)
    if sheet is not None:
        sheet.unlink(missing_ok=True)


def _prepare_guardians(ctx: ServiceContext, district: District,
                       summary: ImportSummary) -> DemoDistrict:
    # One guardian per household, so each key or login belongs to a different family.
    guardians = [household.guardian_ids[0] for household in district.households]
    needed = DEMO_KEY_COUNT + 2
    if len(guardians) < needed:
        raise Refused("The demo district has too few families.")
    issued = keys.issue_keys(ctx, DEMO_ACTOR, guardians[:DEMO_KEY_COUNT])
    demo_keys = tuple(DemoKey(guardian_name=k.guardian_name, student_names=k.student_names,
                              activation_key=k.activation_key, expires_at=k.expires_at)
                      for k in issued)
    password = DEMO_PASSWORD
    if ctx.policy.problems(password, username=DEMO_USERNAME):  # a stricter configured policy
        password = generate_temporary_password(ctx.policy, username=DEMO_USERNAME)
    login_key = keys.issue_keys(ctx, DEMO_ACTOR, [guardians[DEMO_KEY_COUNT]])[0]
    activation.create_account(ctx, DEMO_ACTOR, login_key.activation_key, DEMO_USERNAME,
                              password, password)
    reset_key = keys.issue_keys(ctx, DEMO_ACTOR, [guardians[DEMO_KEY_COUNT + 1]])[0]
    # The first password is never shown: staff reset it straight away.
    forgotten = generate_temporary_password(ctx.policy, username=DEMO_RESET_USERNAME)
    activation.create_account(ctx, DEMO_ACTOR, reset_key.activation_key, DEMO_RESET_USERNAME,
                              forgotten, forgotten)
    temporary = staff.reset_password(ctx, DEMO_ACTOR, DEMO_RESET_USERNAME)
    staff_password = DEMO_STAFF_PASSWORD
    if ctx.policy.problems(staff_password, username=DEMO_STAFF_USERNAME):
        staff_password = generate_temporary_password(ctx.policy, username=DEMO_STAFF_USERNAME)
    staff.add_staff_user(ctx, DEMO_ACTOR, DEMO_STAFF_USERNAME, staff_password)
    write_sheet(ctx.settings.database_url, DemoSheet(
        keys=tuple(k.activation_key for k in demo_keys), username=DEMO_USERNAME,
        password=password, temporary_username=temporary.username,
        temporary_password=temporary.temporary_password,
        staff_username=DEMO_STAFF_USERNAME, staff_password=staff_password))
    return DemoDistrict(
        database_url=ctx.settings.database_url, district_name=ctx.settings.district_name,
        district_id=ctx.settings.district_id, schools=district.schools,
        students=summary.students_added, guardians=summary.guardians_added, keys=demo_keys,
        login=DemoLogin(guardian_name=login_key.guardian_name, username=DEMO_USERNAME,
                        password=password, temporary=False),
        temporary_login=DemoLogin(guardian_name=reset_key.guardian_name,
                                  username=temporary.username,
                                  password=temporary.temporary_password, temporary=True,
                                  expires_at=temporary.expires_at),
        staff_username=DEMO_STAFF_USERNAME, staff_password=staff_password)
