"""Settings: defaults that work with nothing set, a TOML file, then `KIOSK_*` variables.

Precedence: environment over `KIOSK_CONFIG` file over defaults. An invalid value is
refused with a message that names the setting; nothing is silently corrected.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.errors import ConfigurationError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

APP_NAME = "portal-kiosk"
PASSWORD_MIN_LENGTH_FLOOR = 8
PASSWORD_MAX_LENGTH = 128
DATABASE_SCHEMES = frozenset({"sqlite", "sqlite+pysqlite", "postgresql", "postgres",
                              "postgresql+psycopg", "postgresql+psycopg2"})


def user_data_dir() -> Path:
    """Where the embedded database lives when no URL is set (created 0700)."""
    if sys.platform.startswith("linux"):
        # The XDG rule platformdirs applies on Linux, without its import on the
        # lobby terminal's start-up path.
        base = os.environ.get("XDG_DATA_HOME", "").strip()
        return Path(base or Path.home() / ".local" / "share") / APP_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_database_url() -> str:
    return f"sqlite:///{user_data_dir() / 'kiosk.db'}"


def demo_database_url() -> str:
    """The demo district's own database: never the configured one."""
    return f"sqlite:///{user_data_dir() / 'demo.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    district_name: str = "Clayton County Public Schools"
    district_id: str = "JPRQQH"
    portal_url: str = "https://www.clayton.k12.ga.us/"
    support_text: str = "Please ask the front desk for help."
    kiosk_location: str = "the school front office"
    timezone: str = "America/New_York"
    password_min_length: int = 15
    key_days: int = 21
    temp_password_hours: int = 24
    idle_seconds: int = 120
    idle_warning_seconds: int = 20
    staff_idle_seconds: int = 900
    demo: bool = False
    # The sign-in provider (`kiosk signin serve`): the issuer URL portals and apps
    # see (empty: http://HOST:PORT), and the reverse proxy whose X-Forwarded-For is
    # believed (empty: none).
    signin_issuer: str = ""
    signin_trusted_proxy: str = ""

    @property
    def zone(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)


# Settings a file or variable may set, with (minimum, maximum) for the numbers.
_INT_BOUNDS: dict[str, tuple[int, int]] = {
    "password_min_length": (PASSWORD_MIN_LENGTH_FLOOR, PASSWORD_MAX_LENGTH),
    "key_days": (1, 365),
    "temp_password_hours": (1, 24 * 14),
    "idle_seconds": (10, 24 * 3600),
    "idle_warning_seconds": (5, 600),
    "staff_idle_seconds": (60, 24 * 3600),
}
_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings now (never at import), from `environ` or `os.environ`."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    config_path = env.get("KIOSK_CONFIG")
    if config_path:
        raw.update(_read_config_file(Path(config_path)))
    for name in _FIELDS:
        value = env.get(f"KIOSK_{name.upper()}")
        if value is not None:
            raw[name] = value
    values = {name: _validate(name, value) for name, value in raw.items()}
    if not values.get("database_url"):
        values["database_url"] = default_database_url()
    return Settings(**values)


def _read_config_file(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"KIOSK_CONFIG: cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"KIOSK_CONFIG: {path} is not valid TOML: {exc}") from None
    table = data.get("kiosk", data)
    if not isinstance(table, dict):
        raise ConfigurationError(f"KIOSK_CONFIG: {path}: [kiosk] must be a table")
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise ConfigurationError(f"KIOSK_CONFIG: {path}: unknown setting {unknown[0]!r}")
    return dict(table)


def _validate(name: str, value: Any) -> Any:
    if name not in _FIELDS:
        raise ConfigurationError(f"unknown setting {name!r}")
    if name in _INT_BOUNDS:
        return _validate_int(name, value)
    if name == "demo":
        return _validate_bool(name, value)
    if not isinstance(value, str):
        raise ConfigurationError(f"setting {name} must be text, not {value!r}")
    text = value.strip()
    if name == "database_url":
        scheme = text.split("://", 1)[0].lower() if "://" in text else ""
        if scheme not in DATABASE_SCHEMES:
            # The URL may hold a password: name the scheme, never echo the URL.
            raise ConfigurationError(
                "setting database_url must be sqlite:///PATH or "
                "postgresql://USER@HOST/DATABASE"
                + (f", not a {scheme!r} URL" if scheme else ""))
        return text
    if name == "signin_issuer" and not text.startswith(("https://", "http://")):
        raise ConfigurationError(
            f"setting signin_issuer must start with https://, not {text!r}")
    if name == "signin_trusted_proxy":
        import ipaddress

        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise ConfigurationError(
                f"setting signin_trusted_proxy must be an IP address, not {text!r}") from None
    if name == "portal_url" and not text.startswith(("https://", "http://")):
        raise ConfigurationError(f"setting portal_url must start with https://, not {text!r}")
    if name == "timezone":
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(f"setting timezone: unknown time zone {text!r}") from None
    if name == "district_id" and not (text.isascii() and text.isalnum() and 1 <= len(text) <= 16):
        raise ConfigurationError(
            f"setting district_id must be 1-16 letters and digits, not {text!r}")
    if not text:
        raise ConfigurationError(f"setting {name} must not be empty")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ConfigurationError(f"setting {name} must not contain control characters")
    return text


def _validate_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigurationError(f"setting {name} must be a whole number, not {value!r}")
    if isinstance(value, int):
        number = value
    else:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ConfigurationError(
                f"setting {name} must be a whole number, not {value!r}") from None
    low, high = _INT_BOUNDS[name]
    if not low <= number <= high:
        raise ConfigurationError(f"setting {name} must be between {low} and {high}, not {number}")
    return number


def _validate_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigurationError(f"setting {name} must be true or false, not {value!r}")
