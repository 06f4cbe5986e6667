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
accounting, and out of the bench process, which watches the CPU of the others. It
shares the machine's cores with what it measures, so it is kept lean: every request
is built as bytes before the clock starts and written to a plain socket, and an answer
is read only as far as its status line and Content-Length (aiohttp's client cost three
times the CPU per exchange, 0.6 ms against 0.2, taken from the providers' cores).
"""

from __future__ import annotations

import asyncio
import base64
import json
import resource
import sys
import time
from typing import Any
from urllib.parse import urlencode, urlsplit


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _request(host: str, authorization: str, body: bytes) -> bytes:
    """One POST /token, whole, as it goes on the wire (HTTP/1.1, kept alive)."""
    return (f"POST /token HTTP/1.1\r\nHost: {host}\r\nAuthorization: {authorization}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("ascii") + body


async def _answer_status(reader: asyncio.StreamReader) -> int:
    """Read one answer off the connection; its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    await reader.readexactly(length)
    return status


async def _run(job: dict[str, Any]) -> dict[str, Any]:
    base_urls: list[str] = job["base_urls"]
    concurrency: int = job["concurrency"]
    credentials = f"{job['client_id']}:{job['client_secret']}".encode()
    authorization = "Basic " + base64.b64encode(credentials).decode("ascii")
    redirect_uri: str = job["redirect_uri"]
    failures = 0
    statuses: dict[int, int] = {}
    # Worker n talks to provider n % len(base_urls); its requests are made here, now.
    addresses = [urlsplit(base_urls[n % len(base_urls)]) for n in range(concurrency)]

    def requests_for(codes: list[str]) -> list[list[bytes]]:
        dealt: list[list[bytes]] = [[] for _ in range(concurrency)]
        for index, code in enumerate(codes):
            body = urlencode({"grant_type": "authorization_code", "code": code,
                              "redirect_uri": redirect_uri}).encode("ascii")
            address = addresses[index % concurrency]
            dealt[index % concurrency].append(_request(address.netloc, authorization, body))
        return dealt

    async def redeem(connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                     requests: list[bytes]) -> None:
        nonlocal failures
        reader, writer = connection
        for request in requests:
            writer.write(request)
            status = await _answer_status(reader)
            if status != 200:
                failures += 1
                statuses[status] = statuses.get(status, 0) + 1

    connections = [await asyncio.open_connection(a.hostname, a.port) for a in addresses]
    try:
        # Each connection is opened and used once before the clock starts.
        warm = requests_for(list(job["warm_codes"]))
        await asyncio.gather(*(redeem(c, w) for c, w in zip(connections, warm, strict=True)))
        failures = 0
        timed = requests_for(list(job["codes"]))
        count = sum(len(batch) for batch in timed)
        # The bench reads the other processes' CPU clocks now, then says "go".
        print("warm", flush=True)
        sys.stdin.readline()
        cpu_before = _cpu_seconds()
        start = time.perf_counter()
        await asyncio.gather(*(redeem(c, t) for c, t in zip(connections, timed, strict=True)))
        elapsed = time.perf_counter() - start
    finally:
        for _reader, writer in connections:
            writer.close()
    return {"exchanges": count, "seconds": elapsed, "rate": count / elapsed,
            "failures": failures, "statuses": statuses,
            "cpu_seconds": _cpu_seconds() - cpu_before}


def main() -> int:
    job = json.loads(sys.stdin.readline())
    print(json.dumps(asyncio.run(_run(job))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
