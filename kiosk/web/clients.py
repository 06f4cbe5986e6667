"""Who is on the other end: the client address, and what one address may do.

The client address is the TCP peer's. Behind a reverse proxy every peer is the proxy,
so its X-Forwarded-For (or Forwarded) header is believed, but only when the peer is
the proxy named by `--trusted-proxy`: from anyone else those headers are ignored, as
a visitor could write anything there. Of the header we take the last entry, the one
the proxy itself added (earlier entries come from the visitor's side).

`FailureWindow` counts failures per address over a sliding window, in memory: the
password gate uses it to answer "too many attempts" to one address without making
anyone else wait.
"""

from __future__ import annotations

import ipaddress
import math
from collections import deque
from collections.abc import Iterable

UNKNOWN_ADDRESS = "unknown"


def canonical_address(text: str) -> str | None:
    """An IP address in its canonical form, or None if `text` is not one.

    Accepts what proxies write: `[2001:db8::1]`, `"[2001:db8::1]:4711"`,
    `192.0.2.7:4711`; an IPv4-mapped IPv6 address becomes plain IPv4.
    """
    value = text.strip().strip('"').strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def client_address(peer: str | None, *, trusted_proxy: str | None,
                   forwarded_for: Iterable[str] = (), forwarded: Iterable[str] = ()) -> str:
    """The visitor's address: the peer's, or the trusted proxy's header when it sent one.

    `forwarded_for` are the X-Forwarded-For header lines, `forwarded` the Forwarded ones
    (RFC 7239); X-Forwarded-For wins when both are present.
    """
    peer_address = canonical_address(peer or "") or UNKNOWN_ADDRESS
    if trusted_proxy is None or peer_address != trusted_proxy:
        return peer_address
    entries = [entry for line in forwarded_for for entry in line.split(",") if entry.strip()]
    if entries:
        return canonical_address(entries[-1]) or peer_address
    elements = [element for line in forwarded for element in line.split(",") if element.strip()]
    if elements:
        for pair in elements[-1].split(";"):
            name, _, value = pair.partition("=")
            if name.strip().lower() == "for":
                return canonical_address(value) or peer_address
    return peer_address


class FailureWindow:
    """At most `limit` failures per address in any `window_seconds`; times are monotonic.

    Memory stays bounded: an address whose failures have all aged out is forgotten,
    and past `max_addresses` the oldest addresses are dropped.
    """

    def __init__(self, limit: int, window_seconds: float, *, max_addresses: int = 10_000) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_addresses = max_addresses
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, address: str, now: float) -> int:
        """0 when `address` may try now, else the whole seconds until it may."""
        failures = self._recent(address, now)
        if failures is None or len(failures) < self.limit:
            return 0
        return max(1, math.ceil(failures[0] + self.window_seconds - now))

    def record(self, address: str, now: float) -> None:
        failures = self._recent(address, now)
        if failures is None:
            if len(self._failures) >= self.max_addresses:
                self._forget_oldest(now)
            failures = self._failures[address] = deque(maxlen=self.limit)
        failures.append(now)

    def _recent(self, address: str, now: float) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures

    def _forget_oldest(self, now: float) -> None:
        for address in list(self._failures):
            self._recent(address, now)
        while len(self._failures) >= self.max_addresses:
            del self._failures[next(iter(self._failures))]
