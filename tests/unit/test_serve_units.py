"""`kiosk serve`'s pure parts: options and origins, the session environment, the gate."""

from __future__ import annotations

import dataclasses
import re

import pytest

from kiosk.launcher import TERMINAL_NAME
from kiosk.settings import Settings, load_settings
from kiosk.web.clients import FailureWindow, client_address
from kiosk.web.environment import session_environment, with_textual_serve_variables
from kiosk.web.gate import Attempt, PasswordGate
from kiosk.web.options import (
    ServeOptionsError,
    make_options,
    normalize_public_url,
    origin_matches,
    origin_of,
)
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
    assert make_options(host=host, public_url="https://k.example.org",
                        no_password=True).host == host


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


@pytest.mark.parametrize("header", [
    "http://127.0.0.1:18765.evil.example", "http://[::1", "http://127.0.0.1:99999",
    "http://[::1]:x", "\x00\xff garbage",
])
def test_a_malformed_origin_never_matches(header: str) -> None:
    assert not origin_matches(header, "http://127.0.0.1:8000")


# --- exposure: a password for anything but loopback ---------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_needs_no_password(host: str) -> None:
    assert make_options(host=host).password is None


@pytest.mark.parametrize("host", ["192.0.2.2", "kiosk.example.org", "::"])
def test_any_other_host_needs_a_password_or_no_password(host: str) -> None:
    url = "https://kiosk.example.org"
    with pytest.raises(ServeOptionsError, match=r"--password-file.*--no-password"):
        make_options(host=host, public_url=url)
    assert make_options(host=host, public_url=url, password="pw").password == "pw"
    assert make_options(host=host, public_url=url, no_password=True).password is None


def test_a_password_and_no_password_together_are_refused() -> None:
    with pytest.raises(ServeOptionsError, match="cannot be used together"):
        make_options(password="pw", no_password=True)


# --- client addresses ------------------------------------------------------------------

def test_the_client_address_is_the_peer_s_without_a_trusted_proxy() -> None:
    assert client_address("192.0.2.7", trusted_proxy=None,
                          forwarded_for=["203.0.113.5"]) == "192.0.2.7"
    assert client_address("::ffff:192.0.2.7", trusted_proxy=None) == "192.0.2.7"
    assert client_address(None, trusted_proxy=None) == "unknown"


def test_forwarded_headers_from_any_other_peer_are_ignored() -> None:
    assert client_address("192.0.2.66", trusted_proxy="10.0.0.1",
                          forwarded_for=["203.0.113.5"],
                          forwarded=["for=203.0.113.6"]) == "192.0.2.66"


@pytest.mark.parametrize(("forwarded_for", "forwarded", "expected"), [
    (["203.0.113.5"], [], "203.0.113.5"),
    (["198.51.100.1, 203.0.113.5"], [], "203.0.113.5"),  # the proxy's own entry is last
    (["198.51.100.1", "203.0.113.5"], [], "203.0.113.5"),
    ([], ['for="[2001:db8::1]:4711";proto=https'], "2001:db8::1"),
    ([], ["for=198.51.100.1, for=203.0.113.5:8443"], "203.0.113.5"),
    (["not-an-address"], [], "10.0.0.1"),  # unusable: the proxy's own address
    ([], ["for=unknown"], "10.0.0.1"),
    ([], [], "10.0.0.1"),
])
def test_the_trusted_proxy_s_header_names_the_client(
        forwarded_for: list[str], forwarded: list[str], expected: str) -> None:
    assert client_address("10.0.0.1", trusted_proxy="10.0.0.1", forwarded_for=forwarded_for,
                          forwarded=forwarded) == expected


def test_the_trusted_proxy_must_be_an_ip_address() -> None:
    assert make_options(trusted_proxy=" [::1] ").trusted_proxy == "::1"
    with pytest.raises(ServeOptionsError, match="--trusted-proxy"):
        make_options(trusted_proxy="proxy.example.org")


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


def test_the_gate_refuses_an_address_after_five_wrong_passwords_a_minute() -> None:
    gate = PasswordGate("lobby sesame 42")
    outcomes = [gate.attempt("guess", "192.0.2.7", now=100.0 + i) for i in range(6)]
    assert outcomes == [Attempt.REFUSED] * 5 + [Attempt.TOO_MANY]
    # Not even the right password is checked while the address waits...
    assert gate.attempt("lobby sesame 42", "192.0.2.7", now=110.0) is Attempt.TOO_MANY
    assert gate.retry_after("192.0.2.7", now=110.0) == 50
    # ...but it is again once the first failure is a minute old.
    assert gate.attempt("lobby sesame 42", "192.0.2.7", now=160.0) is Attempt.ACCEPTED


def test_one_address_s_wrong_passwords_never_hold_back_another() -> None:
    gate = PasswordGate("lobby sesame 42")
    for i in range(20):
        gate.attempt("guess", "192.0.2.7", now=100.0 + i / 100)
    assert gate.attempt("lobby sesame 42", "198.51.100.9", now=100.5) is Attempt.ACCEPTED
    assert gate.retry_after("198.51.100.9", now=100.5) == 0


def test_a_malformed_sign_in_form_counts_as_a_wrong_password() -> None:
    gate = PasswordGate("lobby sesame 42")
    assert gate.attempt(None, "192.0.2.7", now=1.0) is Attempt.REFUSED


def test_the_failure_window_forgets_old_addresses_and_stays_bounded() -> None:
    window = FailureWindow(5, 60.0, max_addresses=100)
    for i in range(1_000):
        window.record(f"10.0.{i // 256}.{i % 256}", now=float(i))
    assert len(window._failures) <= 100
    assert window.retry_after("10.0.3.231", now=999.0) == 0  # one failure is under the limit


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
