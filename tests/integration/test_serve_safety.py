"""`kiosk serve`'s safe defaults, against the real server in a subprocess.

Each test starts `kiosk serve` on a free port with a temporary SQLite database and
secrets planted in its environment, drives it over HTTP and WebSocket (aiohttp), and
at the end stops it with SIGTERM and checks that no session process is left.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from textual_serve.download_manager import DownloadManager

from kiosk.web.session import SessionProcess

from support.migrated import migrated_sqlite_url
from support.serve_process import ServeProcess, environment_of, is_running, start_serve, wait_until

pytestmark = pytest.mark.slow

GATE_PASSWORD = "lobby demo sesame 4417"
PLANTED_SECRETS = {
    "PGPASSWORD": "pg-secret-7c1d",
    "KIOSK_TEST_SECRET": "kiosk-test-secret-93af",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-5e0b",
    "KIOSK_SERVE_PASSWORD": "not-a-setting-2b77",
}
FIRST_FRAME_TIMEOUT = 60.0
# libpq's connection variables: a session needs them to reach a district's PostgreSQL
# (none of them is a password; the password belongs in the file PGPASSFILE names).
POSTGRESQL_CLIENT = {
    "PGPASSFILE": "/etc/portal-kiosk/pgpass", "PGSERVICEFILE": "/etc/portal-kiosk/pg_service",
    "PGSERVICE": "kiosk", "PGSSLMODE": "verify-full", "PGSSLROOTCERT": "/etc/ssl/ca.pem",
    "PGSSLCERT": "/etc/portal-kiosk/client.crt", "PGSSLKEY": "/etc/portal-kiosk/client.key",
    "PGSSLCRL": "/etc/ssl/district.crl", "PGHOST": "db.district.example", "PGPORT": "5433",
    "PGUSER": "kiosk", "PGDATABASE": "portal", "PGCONNECT_TIMEOUT": "5",
}


def client(source: str | None = None) -> aiohttp.ClientSession:
    """A client that keeps cookies set by 127.0.0.1 (aiohttp refuses IP cookies by default).

    `source` is the local address it connects from: any 127.0.0.0/8 address is loopback
    on Linux, so 127.0.0.2 is a second visitor to the server on 127.0.0.1.
    """
    connector = aiohttp.TCPConnector(local_addr=(source, 0)) if source else None
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                 connector=connector)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return migrated_sqlite_url(tmp_path / "kiosk.db")


@pytest.fixture
def server_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PLANTED_SECRETS)
    env["KIOSK_DATABASE_URL"] = database_url
    return env


@pytest.fixture
def servers() -> Iterator[list[ServeProcess]]:
    """Every server a test starts: stopped with SIGTERM after it, with no session left."""
    started: list[ServeProcess] = []
    yield started
    problems = []
    for served in started:
        status = served.stop(signal.SIGTERM)
        try:
            wait_until(functools.partial(_no_sessions_left, served), 10,
                       what="session processes to end")
        except AssertionError:
            problems.append(f"sessions left running: {served.leftover_sessions()}")
        if status != 0:
            problems.append(f"kiosk serve exited with {status}: {served.stderr()[-2000:]}")
        served.kill_leftovers()
    assert not problems, problems


def _no_sessions_left(served: ServeProcess) -> bool:
    return not served.leftover_sessions()


def serve(servers: list[ServeProcess], tmp_path: Path, env: dict[str, str],
          *args: str) -> ServeProcess:
    served = start_serve(args, env=env, workdir=tmp_path)
    servers.append(served)
    return served


async def open_session(http: aiohttp.ClientSession, served: ServeProcess,
                       origin: str | None = None, headers: dict[str, str] | None = None,
                       ) -> aiohttp.ClientWebSocketResponse:
    """A WebSocket session from the served page's origin, after its first frame."""
    websocket = await http.ws_connect(
        f"{served.base_url}/ws?width=100&height=30",
        headers={"Origin": origin if origin is not None else served.base_url,
                 **(headers or {})})
    message = await asyncio.wait_for(websocket.receive(), FIRST_FRAME_TIMEOUT)
    assert message.type == aiohttp.WSMsgType.BINARY, message
    return websocket


async def handshake_status(http: aiohttp.ClientSession, served: ServeProcess,
                           headers: dict[str, str]) -> tuple[int, str]:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"{served.base_url}/ws", headers=headers)
    return refused.value.status, refused.value.message


# --- binding ---------------------------------------------------------------------------

def _listening_addresses(port: int) -> list[str]:
    """Local addresses in LISTEN state on `port`, from /proc/net/tcp and tcp6."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":
                found.append(address)
    return found


def test_binds_to_loopback_by_default(servers: list[ServeProcess], tmp_path: Path,
                                      server_env: dict[str, str]) -> None:
    served = serve(servers, tmp_path, server_env)
    assert _listening_addresses(served.port) == ["0100007F"]  # 127.0.0.1, and nothing else
    assert "http://127.0.0.1:" in served.stdout()


# --- Origin ----------------------------------------------------------------------------

async def test_websocket_from_a_foreign_origin_is_refused_with_403(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    served = serve(servers, tmp_path, server_env)
    async with client() as http:
        for origin in ("http://evil.example", f"http://localhost.evil.example:{served.port}",
                       f"https://127.0.0.1:{served.port}", "null"):
            status, _ = await handshake_status(http, served, {"Origin": origin})
            assert status == 403, origin
        status, _ = await handshake_status(http, served, {})  # no Origin at all
        assert status == 403
        assert served.session_pids() == []
        websocket = await open_session(http, served)  # the served origin is welcome
        assert len(served.session_pids()) == 1
        await websocket.close()


async def test_a_malformed_origin_is_refused_with_403_without_a_traceback(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    served = serve(servers, tmp_path, server_env)
    async with client() as http:
        for origin in (f"http://127.0.0.1:{served.port}.evil.example", "http://[::1",
                       "http://127.0.0.1:99999", "http://[::1]:x", "::::%%"):
            status, _ = await handshake_status(http, served, {"Origin": origin})
            assert status == 403, origin
    assert served.session_pids() == []
    assert "Traceback" not in served.stderr()
    assert "a session failed" not in served.stderr()


async def test_public_url_sets_the_only_accepted_origin(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    served = serve(servers, tmp_path, server_env, "--public-url", "https://kiosk.example.org/")
    async with client() as http:
        status, _ = await handshake_status(http, served, {"Origin": served.base_url})
        assert status == 403
        async with http.get(f"{served.base_url}/") as page:
            assert page.status == 200
            assert "wss://kiosk.example.org/ws" in await page.text()
        websocket = await open_session(http, served, origin="https://kiosk.example.org")
        await websocket.close()


# --- session cap -----------------------------------------------------------------------

async def test_the_visitor_after_max_sessions_gets_the_busy_page(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    served = serve(servers, tmp_path, server_env, "--max-sessions", "2")
    async with client() as http:
        first = await open_session(http, served)
        second = await open_session(http, served)
        assert len(served.wait_for_sessions(2)) == 2

        async with http.get(f"{served.base_url}/") as page:
            body = await page.text()
            assert page.status == 503
            assert page.headers["Retry-After"].isdigit()
            assert "try again shortly" in body
            assert "textual-terminal" not in body
        status, _ = await handshake_status(http, served, {"Origin": served.base_url})
        assert status == 503
        assert len(served.session_pids()) == 2  # the refused visitor started nothing

        await first.close()
        wait_until(lambda: len(served.session_pids()) == 1, 20, what="a session to end")

        async def page_status() -> int:
            async with http.get(f"{served.base_url}/") as page:
                return page.status

        for _ in range(50):  # the slot frees when the handler finishes
            if await page_status() == 200:
                break
            await asyncio.sleep(0.2)
        assert await page_status() == 200
        third = await open_session(http, served)
        await asyncio.gather(second.close(), third.close())


async def test_one_client_address_holds_at_most_three_sessions(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    served = serve(servers, tmp_path, server_env)  # 10 seats in all
    async with client() as http, client("127.0.0.2") as other:
        sockets = [await open_session(http, served) for _ in range(3)]
        status, _ = await handshake_status(http, served, {"Origin": served.base_url})
        assert status == 429
        async with http.get(f"{served.base_url}/") as page:
            assert page.status == 429
            assert "already has 3 kiosk sessions open" in await page.text()
        assert len(served.session_pids()) == 3  # the refused one started nothing
        sockets.append(await open_session(other, served))  # another address gets in
        assert len(served.wait_for_sessions(4)) == 4
        for websocket in sockets:
            await websocket.close()


# --- password --------------------------------------------------------------------------

async def test_without_the_password_nothing_is_served(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    password_file = tmp_path / "gate-password"
    password_file.write_text(GATE_PASSWORD + "\n")
    password_file.chmod(0o600)
    served = serve(servers, tmp_path, server_env, "--password-file", str(password_file))
    async with client() as http:
        for path in ("/", "/static/js/textual.js", "/static/css/xterm.css", "/download/x"):
            async with http.get(f"{served.base_url}{path}", allow_redirects=False) as response:
                body = await response.text()
                assert response.status == 401, path
                assert "textual-terminal" not in body and "/ws" not in body, path
                assert "xterm" not in body.lower(), path
        status, _ = await handshake_status(http, served, {"Origin": served.base_url})
        assert status == 401
        async with http.post(f"{served.base_url}/login", data={"password": "guess"},
                             allow_redirects=False) as wrong:
            assert wrong.status == 401
            assert "not right" in await wrong.text()
        async with http.post(f"{served.base_url}/login", data={"password": GATE_PASSWORD},
                             allow_redirects=False) as right:
            assert right.status == 303
            cookie = right.cookies["kiosk_serve_gate"]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
            assert GATE_PASSWORD not in cookie.value
        async with http.get(f"{served.base_url}/") as page:  # the cookie jar sends it now
            assert page.status == 200
            assert "textual-terminal" in await page.text()
        websocket = await open_session(http, served)
        await websocket.close()
    assert GATE_PASSWORD not in served.stdout() + served.stderr()


async def test_a_forged_or_expired_gate_cookie_is_refused(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    password_file = tmp_path / "gate-password"
    password_file.write_text(GATE_PASSWORD)
    served = serve(servers, tmp_path, server_env, "--password-file", str(password_file))
    async with client() as http:
        for forged in ("9999999999.00", "9999999999." + "0" * 64, "1.abc", "x"):
            async with http.get(f"{served.base_url}/",
                                headers={"Cookie": f"kiosk_serve_gate={forged}"}) as page:
                assert page.status == 401, forged


def _password_file(tmp_path: Path) -> Path:
    password_file = tmp_path / "gate-password"
    password_file.write_text(GATE_PASSWORD + "\n")
    password_file.chmod(0o600)
    return password_file


async def _sign_in(http: aiohttp.ClientSession, served: ServeProcess,
                   password: str) -> aiohttp.ClientResponse:
    async with http.post(f"{served.base_url}/login", data={"password": password},
                         allow_redirects=False) as response:
        await response.read()
        return response


async def test_wrong_passwords_from_one_address_get_429_after_five_a_minute(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    served = serve(servers, tmp_path, server_env, "--password-file", str(_password_file(tmp_path)))
    async with client() as http:
        statuses = [(await _sign_in(http, served, f"guess {i}")).status for i in range(6)]
        assert statuses == [401] * 5 + [429]
        refused = await _sign_in(http, served, GATE_PASSWORD)  # not even checked now
        assert refused.status == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "kiosk_serve_gate" not in refused.cookies
    assert GATE_PASSWORD not in served.stdout() + served.stderr()


async def test_wrong_passwords_from_one_address_do_not_delay_a_sign_in_from_another(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    served = serve(servers, tmp_path, server_env, "--password-file", str(_password_file(tmp_path)))
    async with client("127.0.0.2") as attacker, client() as parent:
        guesses = asyncio.gather(*(_sign_in(attacker, served, f"guess {i}") for i in range(20)))
        await asyncio.sleep(0.3)  # the guesses are in first
        started = time.monotonic()
        signed_in = await _sign_in(parent, served, GATE_PASSWORD)
        elapsed = time.monotonic() - started
        statuses = sorted(response.status for response in await guesses)
    assert signed_in.status == 303
    assert elapsed < 2.0, f"a correct sign-in waited {elapsed:.1f} s behind another address"
    assert statuses == [401] * 5 + [429] * 15


# --- the session environment -----------------------------------------------------------

async def test_sessions_get_an_allowlisted_environment(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str],
        database_url: str) -> None:
    password_file = tmp_path / "gate-password"
    password_file.write_text(GATE_PASSWORD)
    config = tmp_path / "kiosk.toml"
    config.write_text('[kiosk]\ndistrict_name = "Lakeside Unified"\n')
    env = dict(server_env, KIOSK_CONFIG=str(config), **POSTGRESQL_CLIENT)
    env.pop("KIOSK_DISTRICT_NAME", None)  # the suite's own would win over the file
    served = serve(servers, tmp_path, env, "--password-file", str(password_file))
    async with client() as http:
        async with http.post(f"{served.base_url}/login", data={"password": GATE_PASSWORD}):
            pass
        websocket = await open_session(http, served)
        [pid] = served.session_pids()
        session_env = environment_of(pid)
        await websocket.close()

    everything = "\n".join(f"{k}={v}" for k, v in session_env.items())
    for name, secret in PLANTED_SECRETS.items():
        assert name not in session_env
        assert secret not in everything
    assert GATE_PASSWORD not in everything and str(password_file) not in everything
    assert "KIOSK_CONFIG" not in session_env
    assert session_env["KIOSK_DATABASE_URL"] == database_url
    assert session_env["KIOSK_DISTRICT_NAME"] == "Lakeside Unified"  # settings carried over
    assert session_env["KIOSK_DEMO"] == "0"
    assert session_env["TEXTUAL_DRIVER"].endswith(":WebDriver")
    for name, value in POSTGRESQL_CLIENT.items():
        assert session_env[name] == value, name


# --- one terminal name per session -----------------------------------------------------

def _terminal_of(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().rstrip("\0").split("\0")
    assert argv[-3:-1] == ["kiosk.web.browser_session", "--terminal"], argv
    return argv[-1]


async def test_each_session_is_a_terminal_of_its_own(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    served = serve(servers, tmp_path, server_env, "--max-sessions", "3")
    async with client() as http:
        sockets = [await open_session(http, served) for _ in range(2)]
        terminals = [_terminal_of(pid) for pid in served.wait_for_sessions(2)]
        for websocket in sockets:
            await websocket.close()

    assert len(set(terminals)) == 2, terminals
    for terminal in terminals:
        assert re.fullmatch(r"web-[0-9a-f]{8}", terminal), terminal
        assert f"is terminal {terminal}" in served.stderr()


# --- the client address reaches the session ------------------------------------------

async def test_each_session_learns_its_client_address_from_the_server(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    env = dict(server_env, KIOSK_WEB_CLIENT_ADDRESS="203.0.113.99")  # never passed on
    served = serve(servers, tmp_path, env)
    async with client("127.0.0.2") as http:
        websocket = await open_session(http, served,
                                       headers={"X-Forwarded-For": "198.51.100.7"})
        [pid] = served.session_pids()
        address = environment_of(pid)["KIOSK_WEB_CLIENT_ADDRESS"]
        await websocket.close()
    assert address == "127.0.0.2"  # the peer: no proxy is trusted, the header is not


async def test_behind_the_trusted_proxy_the_session_gets_the_forwarded_address(
        servers: list[ServeProcess], tmp_path: Path, server_env: dict[str, str]) -> None:
    served = serve(servers, tmp_path, server_env, "--trusted-proxy", "127.0.0.1")
    async with client() as proxy, client("127.0.0.2") as stranger:
        via_proxy = await open_session(proxy, served,
                                       headers={"X-Forwarded-For": "10.9.8.7, 198.51.100.7"})
        [proxied] = served.wait_for_sessions(1)
        direct = await open_session(stranger, served,
                                    headers={"X-Forwarded-For": "198.51.100.8"})
        [other] = [pid for pid in served.wait_for_sessions(2) if pid != proxied]
        addresses = (environment_of(proxied)["KIOSK_WEB_CLIENT_ADDRESS"],
                     environment_of(other)["KIOSK_WEB_CLIENT_ADDRESS"])
        await asyncio.gather(via_proxy.close(), direct.close())
    assert addresses == ("198.51.100.7", "127.0.0.2")


def test_a_browser_session_does_not_start_without_its_client_address(
        server_env: dict[str, str]) -> None:
    env = {k: v for k, v in server_env.items() if k != "KIOSK_WEB_CLIENT_ADDRESS"}
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.web.browser_session", "--terminal", "web-1"], env=env,
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "KIOSK_WEB_CLIENT_ADDRESS" in result.stderr and "Traceback" not in result.stderr


# --- shutdown --------------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_stopping_the_server_ends_every_session(
        tmp_path: Path, server_env: dict[str, str], signum: int) -> None:
    served = start_serve(["--max-sessions", "3"], env=server_env, workdir=tmp_path)
    try:
        async with client() as http:
            sockets = [await open_session(http, served) for _ in range(3)]
            pids = served.wait_for_sessions(3)
            assert all(is_running(pid) for pid in pids)
            status = await asyncio.to_thread(served.stop, signum)
            assert status == 0, served.stderr()[-2000:]
            assert not [pid for pid in pids if is_running(pid)]
            for websocket in sockets:  # each one was closed by the server
                await asyncio.wait_for(_drain_until_closed(websocket), 10)
            assert "every session has ended" in served.stdout()
            assert "Traceback" not in served.stderr()
    finally:
        served.kill_leftovers()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
async def test_sessions_end_even_if_the_server_is_killed(
        tmp_path: Path, server_env: dict[str, str]) -> None:
    served = start_serve(["--max-sessions", "2"], env=server_env, workdir=tmp_path)
    try:
        async with client() as http:
            sockets = [await open_session(http, served) for _ in range(2)]
            pids = served.wait_for_sessions(2)
            served.process.kill()  # SIGKILL: no chance to clean up
            served.process.wait(10)
            wait_until(lambda: not [pid for pid in pids if is_running(pid)], 15,
                       what="the sessions of a killed server to end")
            for websocket in sockets:
                await websocket.close()
    finally:
        served.kill_leftovers()


async def _drain_until_closed(websocket: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in websocket:  # frames the app sent before it was stopped
        pass
    assert websocket.closed


# --- refusals --------------------------------------------------------------------------

def _kiosk_serve(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "serve", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("args", "message"), [
    (["--port", "0"], "--port"),
    (["--port", "70000"], "--port"),
    (["--max-sessions", "0"], "--max-sessions"),
    (["--host", "0.0.0.0"], "--public-url"),  # noqa: S104 - refused, never bound
    (["--public-url", "ftp://kiosk.example.org"], "--public-url"),
    (["--public-url", "https://user:pw@kiosk.example.org"], "--public-url"),
    (["--public-url", "https://"], "--public-url"),
    (["--password-file", "/"], "--password-file"),  # a folder
    (["--host", "192.0.2.2"], "--no-password"),
    (["--host", "0.0.0.0", "--public-url", "https://kiosk.example.org"],  # noqa: S104
     "--no-password"),
    (["--password-file", "/etc/hostname", "--no-password"], "cannot be used together"),
    (["--trusted-proxy", "proxy.example.org"], "--trusted-proxy"),
])
def test_bad_usage_exits_2_with_a_clear_message(server_env: dict[str, str], args: list[str],
                                                message: str) -> None:
    result = _kiosk_serve(*args, env=server_env)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_refusals_exit_1_without_a_traceback(tmp_path: Path,
                                            server_env: dict[str, str]) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    unreadable = tmp_path / "unreadable"
    unreadable.write_text(GATE_PASSWORD)
    unreadable.chmod(0)
    cases = [
        (["--password-file", str(tmp_path / "missing")], "does not exist"),
        (["--password-file", str(empty)], "empty"),
    ]
    if os.geteuid() != 0:  # root reads any file
        cases.append((["--password-file", str(unreadable)], "permission denied"))
    for args, message in cases:
        result = _kiosk_serve(*args, env=server_env)
        assert result.returncode == 1, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert GATE_PASSWORD not in result.stderr + result.stdout


def test_a_port_in_use_is_refused_with_exit_1(server_env: dict[str, str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _kiosk_serve("--port", str(port), env=server_env)
    assert result.returncode == 1, result.stderr
    assert f"port {port}" in result.stderr and "Traceback" not in result.stderr


def test_an_invalid_setting_is_refused_with_exit_1(server_env: dict[str, str]) -> None:
    result = _kiosk_serve(env=dict(server_env, KIOSK_IDLE_SECONDS="soon"))
    assert result.returncode == 1
    assert "idle_seconds" in result.stderr and "Traceback" not in result.stderr


# --- one session process, on its own ---------------------------------------------------

STUBBORN_APP = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "sys.stdout.write('__GANGLION__\\n'); sys.stdout.flush()\n"
    "time.sleep(120)\n"
)


async def _no_output(_data: object) -> None:
    return None


async def _no_close() -> None:
    return None


def _session(argv: list[str]) -> SessionProcess:
    return SessionProcess(argv, {"PATH": os.environ["PATH"]}, write_bytes=_no_output,
                          write_str=_no_output, close=_no_close,
                          download_manager=DownloadManager())


async def test_a_session_that_ignores_quit_and_sigterm_is_killed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kiosk.web.session.QUIT_GRACE_SECONDS", 0.5)
    monkeypatch.setattr("kiosk.web.session.TERMINATE_GRACE_SECONDS", 0.5)
    session = _session([sys.executable, "-c", STUBBORN_APP])
    await session.start(80, 24)
    pid = session.pid
    assert pid is not None and is_running(pid)
    await asyncio.wait_for(asyncio.gather(session.stop(), session.stop()), 15)
    assert not session.running and not is_running(pid)
    await session.stop()  # again: nothing left to do


async def test_a_session_stopped_while_it_starts_is_still_ended() -> None:
    session = _session([sys.executable, "-c", "import time; time.sleep(120)"])
    starting = asyncio.ensure_future(session.start(80, 24))
    await session.stop()  # before the process exists
    await starting
    pid = session.pid
    assert pid is not None
    await asyncio.wait_for(session.stop(), 15)
    assert not session.running and not is_running(pid)
