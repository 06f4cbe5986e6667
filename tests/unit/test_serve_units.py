"""`kiosk serve`'s pure parts: options and origins, the session environment, the gate."""

from __future__ import annotations

import asyncio
import dataclasses
import re

import pytest

from kiosk.cli.run import TERMINAL_NAME
from kiosk.settings import Settings, load_settings
from kiosk.web.environment import session_environment, with_textual_serve_variables
from kiosk.web.gate import PasswordGate
from kiosk.web.options import ServeOptionsError, make_options, normalize_public_url, origin_of
from kiosk.web.server import KioskServer

# --- options and origins ---------------------------------------------------------------


def test_defaults_are_loopback_port_8000_ten_sessions() -> None:
    options = make_options()
    assert (options.host, options.port, options.max_sessions) == ("127.0.0.1", 8000, 10)
    assert options.base_url == "http://127.0.0.1:8000"
    assert options.origin == "http://127.0.0.1:8000"
    assert options.password is None and not options.secure


@pytest.mark.parametrize(("given", "normalized", "origin"), [
    ("https://Kiosk.Example.org/", "https://kiosk.example.org", "https://kiosk.example.org"),
    ("https://kiosk.example.org:443", "https://kiosk.example.org", "https://kiosk.example.org"),
    ("http://kiosk.example.org:8080/", "http://kiosk.example.org:8080",
     "http://kiosk.example.org:8080"),
    ("https://example.org/kiosk/", "https://example.org/kiosk", "https://example.org"),
    ("https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443"),
])
def test_public_url_is_normalized_and_gives_the_origin(given: str, normalized: str,
                                                      origin: str) -> None:
    options = make_options(public_url=given)
    assert options.base_url == normalized
    assert options.origin == origin
    assert options.secure == normalized.startswith("https://")


@pytest.mark.parametrize("bad", [
    "ftp://kiosk.example.org", "kiosk.example.org", "https://", "https://a@kiosk.example.org",
    "https://kiosk.example.org/?x=1", "https://kiosk.example.org/#top",
    "https://kiosk.example.org:99999",
])
def test_a_bad_public_url_is_refused(bad: str) -> None:
    with pytest.raises(ServeOptionsError, match="--public-url"):
        normalize_public_url(bad)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])  # noqa: S104 - refused, never bound
def test_a_wildcard_host_needs_a_public_url(host: str) -> None:
    with pytest.raises(ServeOptionsError, match="--public-url"):
        make_options(host=host)
    assert make_options(host=host, public_url="https://k.example.org").host == host


def test_an_ipv6_host_gets_brackets_in_its_url() -> None:
    assert make_options(host="::1", port=9000).base_url == "http://[::1]:9000"
    assert make_options(host="[::1]", port=9000).host == "::1"


@pytest.mark.parametrize(("kwargs", "option"), [
    ({"port": 0}, "--port"), ({"port": 65536}, "--port"),
    ({"max_sessions": 0}, "--max-sessions"), ({"host": "a b"}, "--host"),
    ({"host": "evil.example/x"}, "--host"), ({"password": ""}, "password"),
])
def test_impossible_values_name_their_option(kwargs: dict[str, object], option: str) -> None:
    with pytest.raises(ServeOptionsError, match=option):
        make_options(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("header", "origin"), [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("HTTPS://Kiosk.Example.org:443", "https://kiosk.example.org"),
    ("null", "://"),
    ("", "://"),
])
def test_origin_of_a_header(header: str, origin: str) -> None:
    assert origin_of(header) == origin


# --- session environment ---------------------------------------------------------------

SERVER_ENV = {
    "PATH": "/usr/bin", "HOME": "/home/kiosk", "LANG": "C.UTF-8", "LC_TIME": "C",
    "TERM": "xterm", "PGPASSWORD": "pg-secret", "AWS_SECRET_ACCESS_KEY": "aws-secret",
    "KIOSK_CONFIG": "/etc/kiosk.toml", "KIOSK_TEST_POSTGRES_URL": "postgresql://x:pw@h/db",
    "KIOSK_DATABASE_URL": "postgresql+psycopg://kiosk:dbpw@db/kiosk",
}


POSTGRESQL_CLIENT_ENV = {
    "PGPASSFILE": "/etc/portal-kiosk/pgpass", "PGSERVICEFILE": "/etc/portal-kiosk/pg_service.conf",
    "PGSERVICE": "kiosk", "PGSSLMODE": "verify-full",
    "PGSSLROOTCERT": "/etc/ssl/district-ca.pem", "PGSSLCERT": "/etc/portal-kiosk/client.crt",
    "PGSSLKEY": "/etc/portal-kiosk/client.key", "PGSSLCRL": "/etc/ssl/district.crl",
    "PGHOST": "db.district.example", "PGPORT": "5433", "PGUSER": "kiosk",
    "PGDATABASE": "portal", "PGCONNECT_TIMEOUT": "5",
}


def test_the_session_environment_is_an_allowlist_plus_the_settings() -> None:
    settings = dataclasses.replace(Settings(database_url="sqlite:////srv/demo.db"), demo=True)
    environment = session_environment(SERVER_ENV, settings)
    assert {k for k in environment if not k.startswith("KIOSK_")} == {
        "PATH", "HOME", "LANG", "LC_TIME", "TERM"}
    assert environment["KIOSK_DATABASE_URL"] == "sqlite:////srv/demo.db"
    assert environment["KIOSK_DEMO"] == "1"
    for leaked in ("pg-secret", "aws-secret", "/etc/kiosk.toml", "dbpw", "x:pw"):
        assert leaked not in "\n".join(environment.values())
    assert "KIOSK_CONFIG" not in environment and "KIOSK_TEST_POSTGRES_URL" not in environment


def test_the_settings_read_back_from_the_session_environment_are_the_same() -> None:
    settings = Settings(database_url="sqlite:////srv/kiosk.db", district_name="Lakeside",
                        idle_seconds=300, password_min_length=16)
    assert load_settings(session_environment({}, settings)) == settings


def test_only_textual_serve_driver_variables_are_added() -> None:
    textual_serve_copy = dict(SERVER_ENV, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver",
                              COLUMNS="100", ROWS="30", TEXTUAL="debug,devtools")
    environment = with_textual_serve_variables({"PATH": "/usr/bin"}, textual_serve_copy)
    assert environment == {"PATH": "/usr/bin", "COLUMNS": "100", "ROWS": "30",
                           "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver"}


# --- password gate ---------------------------------------------------------------------

def test_the_gate_accepts_only_the_exact_password() -> None:
    gate = PasswordGate("lobby sesame 42")
    assert gate.password_matches("lobby sesame 42")
    for wrong in ("", "lobby sesame 4", "lobby sesame 42 ", "LOBBY SESAME 42", "x" * 10_000):
        assert not gate.password_matches(wrong)
    assert "sesame" not in repr(gate)


def test_a_failed_attempt_is_slow_and_a_good_one_is_not(monkeypatch: pytest.MonkeyPatch,
                                                        ) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("kiosk.web.gate.asyncio.sleep", fake_sleep)
    gate = PasswordGate("lobby sesame 42")
    assert asyncio.run(gate.attempt("lobby sesame 42")) and slept == []
    assert not asyncio.run(gate.attempt("guess")) and slept == [1.0]


def test_gate_cookies_are_signed_expire_and_die_with_the_server() -> None:
    gate = PasswordGate("lobby sesame 42", key=b"k" * 32, lifetime_seconds=60)
    cookie = gate.issue_cookie(now=1_000)
    assert "sesame" not in cookie
    assert gate.cookie_valid(cookie, now=1_030)
    assert not gate.cookie_valid(cookie, now=1_061)  # expired
    expires, signature = cookie.split(".")
    assert not gate.cookie_valid(f"{int(expires) + 999}.{signature}", now=1_030)  # extended
    assert not gate.cookie_valid(f"{expires}.{'0' * len(signature)}", now=1_030)
    for junk in (None, "", "abc", "1.2.3", "-5.abc", f"{expires}.é"):
        assert not gate.cookie_valid(junk, now=1_030)
    restarted = PasswordGate("lobby sesame 42", key=b"j" * 32, lifetime_seconds=60)
    assert not restarted.cookie_valid(cookie, now=1_030)


def test_postgresql_client_variables_are_passed_but_never_the_password() -> None:
    server_env = dict(SERVER_ENV, **POSTGRESQL_CLIENT_ENV, PGSSLPASSWORD="key-passphrase")
    environment = session_environment(server_env, Settings(database_url="postgresql+psycopg:///"))
    for name, value in POSTGRESQL_CLIENT_ENV.items():
        assert environment[name] == value, name
    assert "PGPASSWORD" not in environment and "PGSSLPASSWORD" not in environment
    assert "pg-secret" not in "\n".join(environment.values())
    assert "key-passphrase" not in "\n".join(environment.values())


# --- one terminal name per session ----------------------------------------------------------

RUN = ["/usr/bin/python3", "-m", "kiosk.cli", "run"]


def _server(session_terminal: str | None = None) -> KioskServer:
    return KioskServer(make_options(), session_argv=RUN, session_environment={},
                       title="test", session_terminal=session_terminal)


def test_every_session_gets_its_own_short_terminal_name() -> None:
    server = _server(session_terminal="web")
    commands = [server.session_command() for _ in range(200)]
    names = [terminal for _argv, terminal in commands]
    for argv, terminal in commands:
        assert argv == [*RUN, "--terminal", terminal]
        assert terminal is not None and re.fullmatch(r"web-[0-9a-f]{8}", terminal)
        assert TERMINAL_NAME.match(terminal)  # what `kiosk run --terminal` accepts
        assert len(terminal) <= 64  # the audit log's and the throttle table's column
    assert len(set(names)) == len(names)


def test_without_a_terminal_prefix_the_command_is_left_as_given() -> None:
    assert _server().session_command() == (RUN, None)
