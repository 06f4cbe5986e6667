"""What `kiosk serve` was asked to do, checked before anything starts.

`ServeOptionsError` carries a message for the command line (bad usage, exit 2).
The served origin is what the WebSocket's Origin header must equal: the origin of
`--public-url` when given, else `http://HOST:PORT` as textual-serve builds it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_SESSIONS = 10
MAX_SESSIONS_LIMIT = 1000
# One client address (one device, or one household behind its router) holds at most
# this many sessions, so a few idle tabs cannot take every seat.
MAX_SESSIONS_PER_CLIENT = 3
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "", "*"})  # noqa: S104 - we detect, not bind


class ServeOptionsError(ValueError):
    """An option value that cannot work; the message names the option."""


@dataclass(frozen=True)
class ServeOptions:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_sessions: int = DEFAULT_MAX_SESSIONS
    public_url: str = ""  # normalized: scheme://host[:port][/prefix], no trailing slash
    password: str | None = None  # the gate's password, never logged
    demo: bool = False
    # The reverse proxy whose X-Forwarded-For / Forwarded header names the visitor's
    # address; from any other peer those headers are ignored.
    trusted_proxy: str | None = None

    @property
    def base_url(self) -> str:
        """The address browsers use, without a trailing slash."""
        return self.public_url or local_url(self.host, self.port)

    @property
    def origin(self) -> str:
        """The only Origin a session WebSocket may come from."""
        return origin_of(self.base_url)

    @property
    def base_path(self) -> str:
        """The path prefix a reverse proxy serves us under ("" at the root)."""
        return urlsplit(self.base_url).path.rstrip("/")

    @property
    def secure(self) -> bool:
        return self.base_url.startswith("https://")


def make_options(*, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 max_sessions: int = DEFAULT_MAX_SESSIONS, public_url: str | None = None,
                 password: str | None = None, no_password: bool = False,
                 trusted_proxy: str | None = None, demo: bool = False) -> ServeOptions:
    """Validate and normalize; raises ServeOptionsError naming the bad option.

    Anything but a loopback host is reachable by others, so it needs the password gate,
    or `no_password` to say explicitly that the kiosk is meant to be open.
    """
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not 1 <= port <= 65535:
        raise ServeOptionsError(f"--port must be between 1 and 65535, not {port}")
    if not 1 <= max_sessions <= MAX_SESSIONS_LIMIT:
        raise ServeOptionsError(
            f"--max-sessions must be between 1 and {MAX_SESSIONS_LIMIT}, not {max_sessions}")
    normalized = normalize_public_url(public_url) if public_url else ""
    if host in WILDCARD_HOSTS and not normalized:
        raise ServeOptionsError(
            f"--host {host or '(empty)'} listens on every address, so the address browsers "
            "use is unknown; also give --public-url (for example https://kiosk.example.org)")
    if any(ch.isspace() or ch in "/?#@" for ch in host):
        raise ServeOptionsError(f"--host must be a host name or an IP address, not {host!r}")
    if password is not None and not password:
        raise ServeOptionsError("the password must not be empty")
    if password is not None and no_password:
        raise ServeOptionsError("--password-file and --no-password cannot be used together")
    if password is None and not no_password and not is_loopback(host):
        raise ServeOptionsError(
            f"--host {host} can be reached from other machines: give --password-file FILE, "
            "or --no-password to serve the kiosk to anyone who can reach it")
    proxy = normalize_address(trusted_proxy, "--trusted-proxy") if trusted_proxy else None
    return ServeOptions(host=host, port=port, max_sessions=max_sessions,
                        public_url=normalized, password=password, demo=demo,
                        trusted_proxy=proxy)


def normalize_address(text: str, option: str) -> str:
    """An IP address in its canonical form (an IPv4-mapped IPv6 address as IPv4)."""
    try:
        address = ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        raise ServeOptionsError(f"{option} must be an IP address, not {text!r}") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def normalize_public_url(url: str) -> str:
    """`https://host[:port][/prefix]`, lower-case scheme and host, no trailing slash."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ServeOptionsError(f"--public-url is not a valid URL: {url!r}") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise ServeOptionsError(
            f"--public-url must start with https:// (or http://), not {url!r}")
    if not parts.hostname:
        raise ServeOptionsError(f"--public-url must name a host: {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ServeOptionsError("--public-url must not contain a user name or password")
    if parts.query or parts.fragment:
        raise ServeOptionsError(f"--public-url must not have a query or fragment: {url!r}")
    scheme = parts.scheme.lower()
    path = parts.path.rstrip("/")
    return f"{scheme}://{_netloc(scheme, parts.hostname.lower(), port)}{path}"


def origin_matches(header: str, expected: str) -> bool:
    """Whether an Origin header names `expected`; a malformed one never does."""
    try:
        return origin_of(header) == expected
    except ValueError:  # "http://[::1", "http://host:80.evil.example", ...
        return False


def origin_of(url: str) -> str:
    """The Origin a browser sends for pages at `url` (default ports omitted).

    Raises ValueError for a URL that cannot be parsed (a bad port or IPv6 literal).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    return f"{scheme}://{_netloc(scheme, host, parts.port)}"


def local_url(host: str, port: int) -> str:
    return f"http://{_netloc('http', host, port)}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _netloc(scheme: str, host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return shown if port is None or port == default else f"{shown}:{port}"
