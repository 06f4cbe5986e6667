"""What the provider needs to know besides the kiosk settings: its issuer and lifetimes."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080

CODE_LIFETIME = timedelta(seconds=60)
ID_TOKEN_LIFETIME = timedelta(minutes=5)
ACCESS_TOKEN_LIFETIME = timedelta(minutes=10)
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
# How long a pending login (temporary password, change-password page) and a form's
# CSRF token stay good.
FORM_LIFETIME = timedelta(minutes=15)
# Clocks of relying parties drift: a retired key stays in /jwks this much longer.
CLOCK_LEEWAY = timedelta(minutes=1)

SCOPES = ("openid", "profile", "students")
SIGNING_ALGORITHM = "ES256"


class SigninOptionsError(ValueError):
    """An option value that cannot work; the message names the option."""


@dataclass(frozen=True)
class SigninConfig:
    issuer: str  # no trailing slash
    trusted_proxy: str | None = None

    @property
    def secure(self) -> bool:
        return self.issuer.startswith("https://")

    @property
    def base_path(self) -> str:
        """The path prefix a reverse proxy serves the provider under ("" at the root)."""
        return urlsplit(self.issuer).path.rstrip("/")

    def url(self, path: str) -> str:
        return f"{self.issuer}{path}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def make_config(*, host: str, port: int, issuer: str | None,
                trusted_proxy: str | None) -> SigninConfig:
    """Check the serve options; the issuer defaults to http://HOST:PORT."""
    if not 1 <= port <= 65535:
        raise SigninOptionsError(f"--port must be between 1 and 65535, not {port}")
    if issuer:
        parts = urlsplit(issuer.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise SigninOptionsError(
                f"--issuer must be an https:// URL such as https://signin.example.org, "
                f"not {issuer!r}")
        if parts.query or parts.fragment:
            raise SigninOptionsError("--issuer must not have a query or a fragment")
        normalized = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise SigninOptionsError(
                "--issuer must be https:// for any host but loopback: put the provider "
                "behind a TLS proxy and give its https:// address")
    else:
        if not is_loopback(host):
            raise SigninOptionsError(
                f"--host {host} can be reached from other machines: give --issuer with "
                "the https:// address of your TLS proxy")
        shown = f"[{host}]" if ":" in host else host
        normalized = f"http://{shown}:{port}"
    proxy = None
    if trusted_proxy:
        try:
            proxy = str(ipaddress.ip_address(trusted_proxy.strip()))
        except ValueError:
            raise SigninOptionsError(
                f"--trusted-proxy must be an IP address, not {trusted_proxy!r}") from None
    return SigninConfig(issuer=normalized, trusted_proxy=proxy)
