"""The load generator of the sign-in scale figure, run as a process of its own.

    python -m bench.signin_load   (the job on stdin's first line, "go" on the second)

The job (one line of JSON on stdin) names the provider addresses, the client's id and secret, the
redirect URI, the codes to redeem and the concurrency. Each of the `concurrency`
workers holds one keep-alive connection to one provider (the workers are dealt out
over the providers in turn) and redeems codes one after another on it, so the
measurement pays for no TCP handshakes and no connection pool churn. Once every
connection is open and warm it prints "warm" and waits for a line on stdin, so the
bench can read the other processes' CPU clocks right before the timed part. The answer
(one line of JSON on stdout) is the exchanges per second, the wall time, the failures and the CPU
seconds this process itself used.

Running it as its own process keeps the client's work off the providers' CPU
accounting, and out of the bench process, which watches the CPU of the others.
"""

from __future__ import annotations

import asyncio
import base64
import json
import resource
import sys
import time
from typing import Any

import aiohttp


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _run(job: dict[str, Any]) -> dict[str, Any]:
    base_urls: list[str] = job["base_urls"]
    codes: list[str] = list(job["codes"])
    concurrency: int = job["concurrency"]
    credentials = f"{job['client_id']}:{job['client_secret']}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")}
    redirect_uri: str = job["redirect_uri"]
    failures = 0
    statuses: dict[int, int] = {}

    async def redeem(session: aiohttp.ClientSession, url: str, queue: list[str]) -> None:
        nonlocal failures
        while queue:
            code = queue.pop()
            async with session.post(url, headers=headers, data={
                    "grant_type": "authorization_code", "code": code,
                    "redirect_uri": redirect_uri}) as answer:
                await answer.read()
                if answer.status != 200:
                    failures += 1
                    statuses[answer.status] = statuses.get(answer.status, 0) + 1

    # One connection per worker, kept alive for all its requests; the workers are
    # dealt out over the providers in turn.
    sessions = [aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
                for _ in range(concurrency)]
    urls = [f"{base_urls[n % len(base_urls)]}/token" for n in range(concurrency)]
    try:
        # Each connection is opened and used once before the clock starts.
        warm: list[str] = list(job["warm_codes"])
        await asyncio.gather(*(redeem(s, u, [warm.pop()])
                               for s, u in zip(sessions, urls, strict=True) if warm))
        failures = 0
        # The bench reads the other processes' CPU clocks now, then says "go".
        print("warm", flush=True)
        sys.stdin.readline()
        count = len(codes)
        cpu_before = _cpu_seconds()
        start = time.perf_counter()
        await asyncio.gather(*(redeem(s, u, codes) for s, u in zip(sessions, urls, strict=True)))
        elapsed = time.perf_counter() - start
    finally:
        for session in sessions:
            await session.close()
    return {"exchanges": count, "seconds": elapsed, "rate": count / elapsed,
            "failures": failures, "statuses": statuses,
            "cpu_seconds": _cpu_seconds() - cpu_before}


def main() -> int:
    job = json.loads(sys.stdin.readline())
    print(json.dumps(asyncio.run(_run(job))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
