"""`kiosk doctor` against each broken setup, and admin commands naming the real cause.

Real parts: a PostgreSQL with TLS on and SCRAM passwords (a private CA made by
openssl), the session's PostgreSQL for roles and schemas, a port nobody listens on
for a server that is down, and the `kiosk` command itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

from kiosk.cli import main
from kiosk.db.migrate import upgrade
from kiosk.doctor import check_file_modes, check_ssh_force_command
from kiosk.errors import ServiceUnavailable
from kiosk.settings import Settings

from support.pg_server import connect, create_database, free_port
from support.pg_tls import TlsPostgresServer

PASSWORD = "tls-test-password-7Hq"
DISTRICT = {"KIOSK_DISTRICT_NAME": "Lakeside Unified", "KIOSK_DISTRICT_ID": "LKSD01",
            "KIOSK_PORTAL_URL": "https://portal.lakeside.example.org/"}


@pytest.fixture(scope="module")
def tls_server() -> Iterator[TlsPostgresServer]:
    server = TlsPostgresServer.launch_with_password(PASSWORD)
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A district with its settings, no settings file on this machine touched."""
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "kiosk.toml"))
    (tmp_path / "kiosk.toml").write_text("")
    for name, value in DISTRICT.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def doctor(*args: str) -> Result:
    return CliRunner().invoke(main, ["doctor", "--role", "serve", *args],
                              catch_exceptions=False)


def doctor_fails_naming(*phrases: str) -> str:
    """The doctor's report, after checking that it failed and names every phrase."""
    result = doctor()
    assert result.exit_code == 1, result.output
    for phrase in phrases:
        assert phrase in result.output
    return result.output


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _migrated(url: str, revision: str = "head") -> str:
    upgrade(url, revision)
    return url


# --- the doctor, each broken setup ------------------------------------------------------

def test_doctor_passes_on_a_sound_setup(setup: pytest.MonkeyPatch, tmp_path: Path) -> None:
    setup.setenv("KIOSK_DATABASE_URL", _migrated(f"sqlite:///{tmp_path}/db/kiosk.db"))
    result = doctor()
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output


@pytest.mark.postgres
def test_doctor_over_tls_with_the_ca_passes(setup: pytest.MonkeyPatch,
                                            tls_server: TlsPostgresServer) -> None:
    url = tls_server.url_with(password=PASSWORD, ca_file=tls_server.ca_file)
    setup.setenv("KIOSK_DATABASE_URL", _migrated(create_database(url)))
    result = doctor()
    assert result.exit_code == 0, result.output


@pytest.mark.postgres
def test_doctor_names_a_missing_ca_certificate(setup: pytest.MonkeyPatch,
                                               tls_server: TlsPostgresServer) -> None:
    setup.setenv("KIOSK_DATABASE_URL", tls_server.url_with(password=PASSWORD))
    output = doctor_fails_naming("CA certificate", "root.crt")
    assert "not set up" not in output


@pytest.mark.postgres
def test_doctor_names_a_wrong_password(setup: pytest.MonkeyPatch,
                                       tls_server: TlsPostgresServer) -> None:
    setup.setenv("KIOSK_DATABASE_URL", tls_server.url_with(password="not-the-password",
                                                           ca_file=tls_server.ca_file))
    output = doctor_fails_naming("refused the password")
    assert "not-the-password" not in output


def test_doctor_names_a_missing_role(setup: pytest.MonkeyPatch, migrated_url: str) -> None:
    url = make_url(migrated_url).set(username="kiosk_nobody")
    setup.setenv("KIOSK_DATABASE_URL", url.render_as_string(hide_password=False))
    doctor_fails_naming("refused this role", "kiosk db roles")


def test_doctor_names_a_server_that_is_down(setup: pytest.MonkeyPatch) -> None:
    setup.setenv("KIOSK_DATABASE_URL", f"postgresql://kiosk@127.0.0.1:{free_port()}/kiosk")
    doctor_fails_naming("cannot be reached", "PostgreSQL is running")


def test_doctor_names_a_schema_behind_this_kiosk(setup: pytest.MonkeyPatch,
                                                 postgres_server_url: str) -> None:
    setup.setenv("KIOSK_DATABASE_URL", _migrated(create_database(postgres_server_url), "0002"))
    doctor_fails_naming("behind this kiosk", "kiosk db upgrade")


def test_doctor_names_a_schema_ahead_of_this_kiosk(setup: pytest.MonkeyPatch,
                                                   migrated_url: str) -> None:
    _make_newer(migrated_url)
    setup.setenv("KIOSK_DATABASE_URL", migrated_url)
    doctor_fails_naming("this kiosk is older than the database", "upgrade the kiosk")


def test_doctor_names_a_missing_schema(setup: pytest.MonkeyPatch,
                                       postgres_server_url: str) -> None:
    setup.setenv("KIOSK_DATABASE_URL", create_database(postgres_server_url))
    doctor_fails_naming("no kiosk schema yet", "kiosk db upgrade")


def test_doctor_names_unset_district_settings(setup: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in DISTRICT:
        setup.delenv(name)
    setup.setenv("KIOSK_DATABASE_URL", _migrated(f"sqlite:///{tmp_path}/db/kiosk.db"))
    doctor_fails_naming("district settings are not set",
                        "district_name, district_id, portal_url")


def test_doctor_names_an_unreadable_settings_file(setup: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    setup.setenv("KIOSK_CONFIG", str(tmp_path / "missing.toml"))
    doctor_fails_naming("missing.toml")


def test_a_database_file_open_to_others_fails_the_file_mode_check(tmp_path: Path) -> None:
    path = tmp_path / "db" / "kiosk.db"
    _migrated(f"sqlite:///{path}")
    path.chmod(0o644)
    check = check_file_modes(Settings(database_url=f"sqlite:///{path}"))
    assert not check.ok and "0644" in check.what and "chmod 600" in check.fix


def test_ssh_force_command_for_the_staff_user_passes(tmp_path: Path) -> None:
    config = tmp_path / "sshd_config"
    config.write_text("PasswordAuthentication no\nMatch User frontdesk\n"
                      "    ForceCommand /opt/portal-kiosk/venv/bin/kiosk staff\n")
    assert check_ssh_force_command("frontdesk", config).ok


def test_ssh_without_force_command_for_the_staff_user_fails(tmp_path: Path) -> None:
    config = tmp_path / "sshd_config"
    config.write_text("Match User someoneelse\n    ForceCommand /usr/bin/kiosk staff\n")
    check = check_ssh_force_command("frontdesk", config)
    assert not check.ok and "ForceCommand" in check.fix


# --- admin commands name the real cause ---------------------------------------------------

@pytest.fixture
def migrated_url(postgres_server_url: str) -> str:
    return _migrated(create_database(postgres_server_url))


def _make_newer(url: str) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")


@pytest.mark.postgres
def test_admin_command_without_the_ca_names_the_certificate_not_an_empty_database(
        setup: pytest.MonkeyPatch, tls_server: TlsPostgresServer) -> None:
    setup.setenv("KIOSK_DATABASE_URL", tls_server.url_with(password=PASSWORD))
    result = run("audit")
    assert result.exit_code == 1
    assert "CA certificate" in result.stderr
    assert "not set up" not in result.stderr and "kiosk db upgrade" not in result.stderr


def test_admin_command_with_a_missing_role_names_the_role(setup: pytest.MonkeyPatch,
                                                          migrated_url: str) -> None:
    url = make_url(migrated_url).set(username="kiosk_nobody")
    setup.setenv("KIOSK_DATABASE_URL", url.render_as_string(hide_password=False))
    result = run("unlock", "mlopez")
    assert result.exit_code == 1
    assert "refused this role" in result.stderr and "not set up" not in result.stderr


def test_admin_command_with_the_server_down_names_it_not_the_front_desk(
        setup: pytest.MonkeyPatch) -> None:
    setup.setenv("KIOSK_DATABASE_URL", f"postgresql://kiosk@127.0.0.1:{free_port()}/kiosk")
    result = run("audit")
    assert result.exit_code == 1
    assert "cannot be reached" in result.stderr
    assert ServiceUnavailable.message not in result.stderr


@pytest.mark.postgres
def test_admin_command_with_a_wrong_password_shows_no_password(
        setup: pytest.MonkeyPatch, tls_server: TlsPostgresServer) -> None:
    setup.setenv("KIOSK_DATABASE_URL", tls_server.url_with(password="hunter2-wrong",
                                                           ca_file=tls_server.ca_file))
    result = run("audit")
    assert result.exit_code == 1
    assert "refused the password" in result.stderr
    assert "hunter2-wrong" not in result.output + result.stderr


def test_admin_command_on_a_newer_schema_says_to_upgrade_the_kiosk(
        setup: pytest.MonkeyPatch, migrated_url: str) -> None:
    _make_newer(migrated_url)
    # A newer release may have renamed what this one reads: the audit table here.
    with connect(migrated_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_events RENAME TO audit_log")
    setup.setenv("KIOSK_DATABASE_URL", migrated_url)
    result = run("audit")
    assert result.exit_code == 1
    assert "older than the database" in result.stderr


def test_admin_command_on_an_empty_database_asks_for_db_upgrade(
        setup: pytest.MonkeyPatch, postgres_server_url: str) -> None:
    setup.setenv("KIOSK_DATABASE_URL", create_database(postgres_server_url))
    result = run("audit")
    assert result.exit_code == 1
    assert "kiosk db upgrade" in result.stderr


def test_a_parent_on_a_newer_schema_sees_the_calm_message(migrated_url: str) -> None:
    from kiosk.errors import SchemaTooNew
    from kiosk.services import login

    from support.builders import KIOSK, make_context

    _make_newer(migrated_url)
    with connect(migrated_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE accounts RENAME TO portal_accounts")
    ctx = make_context(migrated_url)
    with pytest.raises(SchemaTooNew) as raised:
        login.log_in(ctx, KIOSK, "mlopez", "some password or other")
    assert isinstance(raised.value, ServiceUnavailable)  # screens show the calm message
    assert "upgrade the kiosk" in raised.value.cause
