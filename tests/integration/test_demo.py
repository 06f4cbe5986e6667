"""`kiosk demo`: its own database, fresh keys and logins that work, the configured one untouched."""

from __future__ import annotations

import hashlib
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from kiosk.cli import main
from kiosk.db.migrate import upgrade
from kiosk.demo_district import DEMO_PASSWORD, DEMO_USERNAME, build_demo_district
from kiosk.errors import KeyNotAccepted, Refused
from kiosk.roster.importer import import_roster
from kiosk.services import activation, login
from kiosk.settings import Settings, demo_database_url

from support.builders import GOOD_PASSWORD, KIOSK, make_context

BASIC = Path(__file__).resolve().parents[1] / "data" / "roster" / "basic"
KEY = re.compile(r"\b[0-9A-Z]{5}(?:-[0-9A-Z]{5}){4}\b")


@dataclass(frozen=True)
class Sheet:
    keys: list[str]
    username: str
    password: str
    temporary_username: str
    temporary_password: str


def read_sheet(text: str) -> Sheet:
    usernames = re.findall(r"^  username: (\S+)$", text, re.MULTILINE)
    password = re.findall(r"^  password: (.+)$", text, re.MULTILINE)
    temporary = re.findall(r"^  temporary password: (\S+)$", text, re.MULTILINE)
    assert len(usernames) == 2 and len(password) == 1 and len(temporary) == 1, text
    return Sheet(keys=KEY.findall(text), username=usernames[0], password=password[0],
                 temporary_username=usernames[1], temporary_password=temporary[0])


def run_demo(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(main, ["demo", *args], env=env)


@pytest.fixture
def configured(tmp_path: Path) -> str:
    """A configured district database with a roster in it: the demo must not touch it."""
    url = f"sqlite:///{tmp_path}/configured/kiosk.db"
    upgrade(url)
    ctx = make_context(url)
    import_roster(ctx, KIOSK, BASIC)
    ctx.database.dispose()
    return url


def fingerprint(url: str) -> dict[str, str]:
    database = Path(make_url(url).database or "")
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(database.parent.iterdir())}


def test_the_demo_sheet_has_keys_that_redeem_and_logins_that_work(configured: str) -> None:
    before = fingerprint(configured)
    result = run_demo({"KIOSK_DATABASE_URL": configured}, "--no-run")
    assert result.exit_code == 0, result.output
    sheet = read_sheet(result.stdout)
    assert len(sheet.keys) == 3 and len(set(sheet.keys)) == 3
    assert (sheet.username, sheet.password) == (DEMO_USERNAME, DEMO_PASSWORD)
    assert str(Path(make_url(demo_database_url()).database or "")) in result.stdout

    ctx = make_context(demo_database_url())
    try:
        for key in sheet.keys:
            check = activation.check_key(ctx, KIOSK, key)
            assert check.guardian_given_name and check.students
        created = activation.create_account(ctx, KIOSK, sheet.keys[0], "visitor1",
                                            GOOD_PASSWORD, GOOD_PASSWORD)
        assert created.username == "visitor1" and created.students
        normal = login.log_in(ctx, KIOSK, sheet.username, sheet.password)
        assert not normal.must_change_password and normal.account.students
        temporary = login.log_in(ctx, KIOSK, sheet.temporary_username,
                                 sheet.temporary_password)
        assert temporary.must_change_password
    finally:
        ctx.database.dispose()
    assert fingerprint(configured) == before


def test_each_run_starts_a_fresh_district_with_new_keys(configured: str) -> None:
    env = {"KIOSK_DATABASE_URL": configured}
    first = read_sheet(run_demo(env, "--no-run").stdout)
    ctx = make_context(demo_database_url())
    activation.create_account(ctx, KIOSK, first.keys[0], "visitor1", GOOD_PASSWORD,
                              GOOD_PASSWORD)
    ctx.database.dispose()

    second = read_sheet(run_demo(env, "--no-run").stdout)
    assert not set(first.keys) & set(second.keys)
    assert first.temporary_password != second.temporary_password
    ctx = make_context(demo_database_url())
    try:
        with pytest.raises(KeyNotAccepted):
            activation.check_key(ctx, KIOSK, first.keys[1])
        # The visitor's account went with the old district: the username is free again.
        created = activation.create_account(ctx, KIOSK, second.keys[0], "visitor1",
                                            GOOD_PASSWORD, GOOD_PASSWORD)
        assert created.username == "visitor1"
    finally:
        ctx.database.dispose()


def test_the_demo_database_is_private_to_its_owner() -> None:
    assert run_demo({}, "--no-run").exit_code == 0
    path = Path(make_url(demo_database_url()).database or "")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_the_demo_starts_the_kiosk_on_the_demo_database(
        configured: str, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Settings] = []

    class FakeKioskApp:
        def __init__(self, *, settings: Settings) -> None:
            self.settings = settings

        def run(self) -> None:
            started.append(self.settings)

    monkeypatch.setattr("kiosk.app.KioskApp", FakeKioskApp)
    result = run_demo({"KIOSK_DATABASE_URL": configured})
    assert result.exit_code == 0, result.output
    assert len(started) == 1
    assert started[0].database_url == demo_database_url() != configured
    assert started[0].demo is True


def test_an_invalid_setting_is_one_line_and_exit_1() -> None:
    result = run_demo({"KIOSK_PASSWORD_MIN_LENGTH": "3"}, "--no-run")
    assert result.exit_code == 1
    assert result.stderr.startswith("kiosk: ") and result.stderr.count("\n") == 1
    assert "password_min_length" in result.stderr
    assert not Path(make_url(demo_database_url()).database or "").exists()


def test_build_demo_district_refuses_any_other_database(configured: str) -> None:
    before = fingerprint(configured)
    ctx = make_context(configured)
    with pytest.raises(Refused, match="only in the demo database"):
        build_demo_district(ctx)
    ctx.database.dispose()
    assert fingerprint(configured) == before


def test_build_demo_district_describes_what_it_made() -> None:
    ctx = make_context(demo_database_url())
    try:
        district = build_demo_district(ctx)
    finally:
        ctx.database.dispose()
    assert (district.schools, district.students) == (3, 40)
    assert district.guardians >= 40
    assert all(k.guardian_name and k.student_names for k in district.keys)
    assert district.login.username == DEMO_USERNAME and not district.login.temporary
    assert district.temporary_login.temporary and district.temporary_login.expires_at
    sheet = district.describe()
    for key in district.keys:
        assert key.activation_key in sheet and key.guardian_name in sheet
    assert district.temporary_login.password in sheet
    assert district.district_id in sheet
