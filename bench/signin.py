"""The sign-in provider: a login POST vs raw argon2, and token exchanges with 1 vs 2 processes.

Both run real `kiosk signin serve` processes. The login figure times the POST of the
login form to /authorize (the kiosk's login service, product argon2 parameters, the
redirect with a code) against one raw argon2 verify of the same stored hash. The scale
figure (PostgreSQL only: several provider hosts share one PostgreSQL and nothing else)
redeems codes made beforehand at one provider process and at two, turn about, and
compares exchanges per second.

The scale figure is only worth something on a machine that can carry it, so it also
says what the machine did: the load comes from a process of its own (bench.signin_load:
keep-alive connections, 32 at once), and the CPU that the providers, the PostgreSQL
server and that load process used per exchange is read from /proc around each timed
run, with the CPU that other work on the machine took meanwhile. From those costs it
gives the ratio an otherwise idle machine would allow (see `ceiling`): one provider
process uses at most one core (the GIL), two can use them all.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import argon2
import psycopg
import requests
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench import district
from bench.databases import Databases
from bench.report import INFO, MET, MISSED, Row, median, ms, progress, ratio_row
from kiosk.audit import Actor
from kiosk.db.models import Account
from kiosk.security.hashing import PasswordHashing
from kiosk.signin import store

LOGIN_TARGET = 1.2
SCALE_TARGET = 1.5
LOGIN_FIGURE = "sign-in: one login POST to /authorize vs one raw argon2 verify"
SCALE_FIGURE = "sign-in: code-for-token exchanges/s, 2 provider processes vs 1"
REDIRECT = "https://portal.example.org/callback"
READY = "Serving sign-in (OpenID Connect) at "
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
CONCURRENCY = 32
EXCHANGES = 800
CORES = os.cpu_count() or 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Provider:
    def __init__(self, url: str, folder: Path) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.out = folder / f"signin-{self.port}.out"
        with self.out.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kiosk.cli", "signin", "serve", "--port",
                 str(self.port)], env={**os.environ, "KIOSK_DATABASE_URL": url},
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while READY not in self.out.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("kiosk signin serve did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _prepare(databases: Databases, folder: Path, label: str
             ) -> tuple[str, str, store.NewClient, str]:
    url = databases.migrated(label)
    district.populate(url, district.write(folder, 20))
    ctx = district.context(url, PasswordHashing())
    username = district.accounts_for(ctx, district.active_guardians(ctx, 1))[0]
    with ctx.database.unit_of_work(read_only=True) as uow:
        stored = uow.session.scalars(select(Account.password_hash).where(
            Account.username_canonical == username)).one()
    client = store.add_client(ctx.database, ctx.clock, Actor(name="bench"), "bench",
                              [REDIRECT], public=False)
    ctx.database.dispose()
    return url, username, client, stored


def _login_once(base_url: str, client_id: str, username: str) -> float:
    session = requests.Session()
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
             "scope": "openid", "state": secrets.token_urlsafe(8),
             "nonce": secrets.token_urlsafe(8)}
    page = session.get(f"{base_url}/authorize", params=query, timeout=60)
    form = dict(HIDDEN.findall(page.text))
    start = time.perf_counter()
    answer = session.post(page.url, data={**form, "username": username,
                                          "password": district.PASSWORD},
                          allow_redirects=False, timeout=60)
    elapsed = time.perf_counter() - start
    if answer.status_code != 302:
        raise RuntimeError(f"login POST answered {answer.status_code}")
    return elapsed


def login_row(databases: Databases, folder: Path, rounds: int) -> Row:
    url, username, client, stored = _prepare(databases, folder, "signin-login")
    parameters = PasswordHashing().parameters
    raw = argon2.PasswordHasher(time_cost=parameters.time_cost,
                                memory_cost=parameters.memory_cost,
                                parallelism=parameters.parallelism, type=argon2.Type.ID)
    provider = Provider(url, folder)
    try:
        progress(f"sign-in login POST vs argon2 verify on {databases.kind}: {rounds} runs each")
        _login_once(provider.base_url, client.client_id, username)  # warm
        posts, verifies = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            raw.verify(stored, district.PASSWORD.encode())
            verifies.append(time.perf_counter() - start)
            posts.append(_login_once(provider.base_url, client.client_id, username))
    finally:
        provider.stop()
    post, verify = median(posts), median(verifies)
    return ratio_row(LOGIN_FIGURE, databases.kind, LOGIN_TARGET, post, verify,
                     f"{ms(post)} vs {ms(verify)}")


def _codes(url: str, client_id: str, count: int) -> list[str]:
    """Codes issued as the provider issues them (the store), without `count` logins."""
    ctx = district.context(url, PasswordHashing())
    with ctx.database.unit_of_work(read_only=True) as uow:
        account_id = uow.session.scalars(select(Account.id)).first()
    assert account_id is not None
    codes = [secrets.token_urlsafe(36) for _ in range(count)]
    for code in codes:
        store.save_code(ctx.database, ctx.clock, code, client_id=client_id,
                        account_id=account_id, redirect_uri=REDIRECT, scope="openid",
                        nonce=None, code_challenge=None, code_challenge_method=None,
                        locale="en")
    ctx.database.dispose()
    return codes


@dataclass(frozen=True)
class Turn:
    """One timed run of the load generator against 1 or 2 provider processes."""

    providers: int
    rate: float  # exchanges per second
    exchanges: int
    provider_cpu: float  # CPU seconds of the provider processes, together
    postgres_cpu: float | None  # of the server's processes (None: not on this machine)
    load_cpu: float  # of the load generator
    busy_cores: float  # the whole machine's CPU use over the run, in cores

    def ms(self, cpu: float | None) -> float | None:
        """CPU milliseconds per exchange."""
        return None if cpu is None else cpu / self.exchanges * 1000

    @property
    def own_ms(self) -> float:
        """CPU ms per exchange of everything the exchange runs on: providers, server, load."""
        return (self.provider_cpu + (self.postgres_cpu or 0.0) + self.load_cpu) \
            / self.exchanges * 1000

    @property
    def other_cores(self) -> float:
        """Cores that other work on the machine took during the run."""
        return max(0.0, self.busy_cores - self.own_ms * self.rate / 1000)

    def describe(self) -> str:
        return (f"{self.providers} provider(s): {self.rate:.0f}/s; CPU ms per exchange: "
                f"providers {_ms(self.ms(self.provider_cpu))}, PostgreSQL "
                f"{_ms(self.ms(self.postgres_cpu))}, load {_ms(self.ms(self.load_cpu))}; "
                f"machine busy {self.busy_cores:.2f} of {CORES} cores, other work "
                f"{self.other_cores:.2f}")


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def ceiling(one: Sequence[Turn], two: Sequence[Turn], cores: int) -> float:
    """The 2-vs-1 ratio that the measured CPU costs (medians) allow on an otherwise idle
    machine.

    One provider process runs its Python on one core at a time (the GIL), so it can do
    at most 1000 / (its ms per exchange) exchanges a second, and no more than all the
    cores can carry with the server and the load generator beside it. Two processes
    can use every core: at most cores * 1000 / (all ms per exchange).
    """
    provider_ms = median([t.ms(t.provider_cpu) or 0.0 for t in one]) or 1.0
    own_one = median([t.own_ms for t in one])
    own_two = median([t.own_ms for t in two])
    alone = min(1000 / provider_ms, cores * 1000 / own_one)
    return (cores * 1000 / own_two) / alone


def _median_ms(turns: Sequence[Turn], part: str) -> str:
    values = [t.ms(getattr(t, part)) for t in turns]
    known = [v for v in values if v is not None]
    return _ms(median(known) if known else None)


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (those gone since count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def _machine_busy() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / _TICK, sum(fields) / _TICK


def _postmaster(url: str) -> int | None:
    """The process id of the PostgreSQL server, when it runs on this machine."""
    try:
        with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(
                hide_password=False), connect_timeout=10) as connection:
            folder = connection.execute("SHOW data_directory").fetchone()
        if folder is None:
            return None
        return int((Path(str(folder[0])) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError, TypeError, psycopg.Error):
        return None


def _postgres_cpu(postmaster: int) -> float:
    """CPU seconds of the whole server: the postmaster, its live children (backends,
    writers) and, through the postmaster's own count of them, the children that ended."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid = int(stat.parent.name)
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        if pid == postmaster:
            ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        elif int(fields[1]) == postmaster:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / _TICK


def _turn(postmaster: int | None, providers: list[Provider], client: store.NewClient,
          codes: list[str], warm: list[str]) -> Turn:
    """Redeem `codes` from a load generator process of its own, spread over `providers`,
    and read every process's CPU clock around the timed part."""
    job = {"base_urls": [p.base_url for p in providers], "client_id": client.client_id,
           "client_secret": client.client_secret or "", "redirect_uri": REDIRECT,
           "codes": codes, "warm_codes": warm, "concurrency": CONCURRENCY}
    load = subprocess.Popen([sys.executable, "-m", "bench.signin_load"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert load.stdin is not None and load.stdout is not None
    try:
        load.stdin.write(json.dumps(job) + "\n")
        load.stdin.flush()
        if load.stdout.readline().strip() != "warm":
            raise RuntimeError("the load generator did not start")
        provider_pids = [p.process.pid for p in providers]
        before = (_cpu_seconds(provider_pids),
                  _postgres_cpu(postmaster) if postmaster else None, _machine_busy())
        load.stdin.write("go\n")
        load.stdin.flush()
        result = json.loads(load.stdout.readline())
        after = (_cpu_seconds(provider_pids),
                 _postgres_cpu(postmaster) if postmaster else None, _machine_busy())
    finally:
        load.stdin.close()
        load.wait(60)
    if result["failures"]:
        raise RuntimeError(f"{result['failures']} exchanges failed: {result['statuses']}")
    busy = (after[2][0] - before[2][0]) / max(after[2][1] - before[2][1], 1e-9)
    return Turn(providers=len(providers), rate=result["rate"], exchanges=result["exchanges"],
                provider_cpu=after[0] - before[0],
                postgres_cpu=(after[1] - before[1]
                              if after[1] is not None and before[1] is not None else None),
                load_cpu=result["cpu_seconds"], busy_cores=busy * CORES)


def scale_row(databases: Databases, folder: Path, rounds: int) -> Row:
    """2 provider processes vs 1, measured turn about, each run from a fresh load process.

    The rounds alternate which setup goes first (1, 2 then 2, 1, ...), so a change in
    the machine's other load during the bench falls on both alike. Besides the rates,
    the CPU each part used per exchange is reported: on a 2-core machine that also
    runs PostgreSQL and the load generator, a second provider process can only help as
    far as one process leaves CPU idle.
    """
    if databases.kind != "postgresql":
        return Row(SCALE_FIGURE, databases.kind, "(PostgreSQL only)", "-",
                   "several provider hosts share one PostgreSQL", INFO)
    url, _username, client, _stored = _prepare(databases, folder, "signin-scale")
    turns: dict[int, list[Turn]] = {1: [], 2: []}
    providers = [Provider(url, folder), Provider(url, folder)]
    postmaster = _postmaster(url)
    try:
        progress(f"sign-in token exchanges, 1 vs 2 provider processes, turn about: "
                 f"{rounds} rounds of {EXCHANGES} each, {CONCURRENCY} keep-alive clients")
        for round_number in range(rounds):
            order = (1, 2) if round_number % 2 == 0 else (2, 1)
            for count in order:
                codes = _codes(url, client.client_id, EXCHANGES + CONCURRENCY)
                turn = _turn(postmaster, providers[:count], client, codes[CONCURRENCY:],
                             codes[:CONCURRENCY])
                progress("  " + turn.describe())
                turns[count].append(turn)
    finally:
        for provider in providers:
            provider.stop()
    ratio = median([t.rate for t in turns[2]]) / median([t.rate for t in turns[1]])
    other = median([t.other_cores for t in turns[1] + turns[2]])
    absolute = (f"{median([t.rate for t in turns[2]]):.0f}/s vs "
                f"{median([t.rate for t in turns[1]]):.0f}/s; CPU ms/exchange: providers "
                f"{_median_ms(turns[1], 'provider_cpu')} (1) "
                f"{_median_ms(turns[2], 'provider_cpu')} (2), PostgreSQL "
                f"{_median_ms(turns[1] + turns[2], 'postgres_cpu')}, load "
                f"{_median_ms(turns[1] + turns[2], 'load_cpu')}; other work took "
                f"{other:.1f} of {CORES} cores; idle-machine ceiling "
                f"{ceiling(turns[1], turns[2], CORES):.2f}×")
    return Row(SCALE_FIGURE, databases.kind, f"≥ {SCALE_TARGET:g}×", f"{ratio:.2f}×",
               absolute, MET if ratio >= SCALE_TARGET else MISSED)


def run(databases: Databases, folder: Path, rounds: int) -> list[Row]:
    return [login_row(databases, folder, rounds), scale_row(databases, folder, rounds)]
