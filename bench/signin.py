"""The sign-in provider: a login POST vs raw argon2, and token exchanges with 1 vs 2 processes.

Both run real `kiosk signin serve` processes. The login figure times the POST of the
login form to /authorize (the kiosk's login service, product argon2 parameters, the
redirect with a code) against one raw argon2 verify of the same stored hash. The scale
figure (PostgreSQL only: several provider hosts share one PostgreSQL and nothing else)
redeems codes made beforehand, from many concurrent clients, first at one provider
process and then spread over two, and compares exchanges per second.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import argon2
import requests
from sqlalchemy import select

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
CONCURRENCY = 16
EXCHANGES = 600


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


async def _exchange_all(base_urls: list[str], client: store.NewClient,
                        codes: list[str]) -> float:
    auth = aiohttp.BasicAuth(client.client_id, client.client_secret or "")
    queue = list(enumerate(codes))
    failures = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        while queue:
            index, code = queue.pop()
            base_url = base_urls[index % len(base_urls)]
            async with session.post(f"{base_url}/token", auth=auth, data={
                    "grant_type": "authorization_code", "code": code,
                    "redirect_uri": REDIRECT}) as answer:
                await answer.read()
                failures += answer.status != 200

    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{failures} exchanges failed")
    return len(codes) / elapsed


def scale_row(databases: Databases, folder: Path, rounds: int) -> Row:
    if databases.kind != "postgresql":
        return Row(SCALE_FIGURE, databases.kind, "(PostgreSQL only)", "-",
                   "several provider hosts share one PostgreSQL", INFO)
    url, _username, client, _stored = _prepare(databases, folder, "signin-scale")
    rates: dict[int, list[float]] = {1: [], 2: []}
    providers = [Provider(url, folder), Provider(url, folder)]
    try:
        progress(f"sign-in token exchanges, 1 vs 2 provider processes: {rounds} runs of "
                 f"{EXCHANGES} each")
        for _ in range(rounds):
            for count in (1, 2):
                codes = _codes(url, client.client_id, EXCHANGES)
                base_urls = [p.base_url for p in providers[:count]]
                rates[count].append(asyncio.run(_exchange_all(base_urls, client, codes)))
    finally:
        for provider in providers:
            provider.stop()
    one, two = median(rates[1]), median(rates[2])
    ratio = two / one
    return Row(SCALE_FIGURE, databases.kind, f"≥ {SCALE_TARGET:g}×", f"{ratio:.2f}×",
               f"{two:.0f}/s vs {one:.0f}/s", MET if ratio >= SCALE_TARGET else MISSED)


def run(databases: Databases, folder: Path, rounds: int) -> list[Row]:
    return [login_row(databases, folder, rounds), scale_row(databases, folder, rounds)]
