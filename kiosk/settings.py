"""Settings: defaults that work with nothing set, TOML files, then `KIOSK_*` variables.

Precedence, lowest first: the defaults; the host's file (`KIOSK_CONFIG`, or
/etc/portal-kiosk/kiosk.toml when `KIOSK_CONFIG` is unset), which every OS user on the
host reads; the user's own file (`~/.config/portal-kiosk/kiosk.toml`); then `KIOSK_*`
variables. A missing file is skipped (a named `KIOSK_CONFIG` must exist). An invalid
value is refused with a message that names the setting; nothing is silently corrected.

The district defaults are placeholders, never a real district: `unset_district_settings`
names those still at their placeholder, and the kiosk and the letters refuse until
they are set. The database password never sits in a URL in the host's shared file: it
comes from `.pgpass`, libpq's variables, or `database_password_file` (a file readable by
that OS user only), which `connection_url` adds to the URL in memory.
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


def user_config_file() -> Path:
    """The OS user's own settings file (read after the host's, before `KIOSK_*`)."""
    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_CONFIG_HOME", "").strip()
        return Path(base or Path.home() / ".config") / APP_NAME / "kiosk.toml"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "kiosk.toml"


def default_database_url() -> str:
    return f"sqlite:///{user_data_dir() / 'kiosk.db'}"


def demo_database_url() -> str:
    """The demo district's own database: never the configured one."""
    return f"sqlite:///{user_data_dir() / 'demo.db'}"


SYSTEM_CONFIG_FILE = Path("/etc/portal-kiosk/kiosk.toml")

# The district settings a district must set: these defaults are placeholders, and a
# kiosk (outside the demo) or a letter refuses while any is left as it is.
PLACEHOLDER_DISTRICT = {
    "district_name": "Example School District",
    "district_id": "EXAMPLE",
    "portal_url": "https://parent-portal.example.invalid/",
}


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    # A file holding the database password (one line), readable by this OS user only.
    database_password_file: str = ""
    district_name: str = PLACEHOLDER_DISTRICT["district_name"]
    district_id: str = PLACEHOLDER_DISTRICT["district_id"]
    portal_url: str = PLACEHOLDER_DISTRICT["portal_url"]
    # Text a parent sees or reads: each has a Spanish value for the Spanish screens
    # and the Spanish half of the letters.
    support_text: str = "Please ask the front desk for help."
    support_text_es: str = "Por favor, pida ayuda en la recepción."
    kiosk_location: str = "the school front office"
    kiosk_location_es: str = "la oficina principal de la escuela"
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
    # Speech output of the parent kiosk: on from the start (a terminal whose only sound
    # device is the headphones), and a folder to write each utterance into as NNNN.wav
    # and NNNN.txt instead of playing it (for tests, and for hearing a translation).
    speech: bool = False
    speech_output: str = ""
    # Where `kiosk run` and `kiosk staff` write their log lines (empty: stderr, which
    # systemd's journal keeps when they run as services).
    log_file: str = ""

    @property
    def zone(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    def unset_district_settings(self) -> tuple[str, ...]:
        """The district settings still at their placeholder value, in a fixed order."""
        return tuple(name for name, placeholder in PLACEHOLDER_DISTRICT.items()
                     if getattr(self, name) == placeholder)

    def require_district(self, what: str) -> None:
        """Refuse `what` (one line naming the settings) until the district is set."""
        unset = self.unset_district_settings()
        if unset:
            raise ConfigurationError(
                f"{what} needs this district's settings; set {', '.join(unset)} "
                f"in {SYSTEM_CONFIG_FILE} (or KIOSK_{unset[0].upper()} ...)")

    def connection_url(self) -> str:
        """The database URL to connect with: `database_url`, plus the password from
        `database_password_file` when one is set. Never printed, never stored."""
        if not self.database_password_file:
            return self.database_url
        from sqlalchemy.engine import make_url

        password = read_password_file(Path(self.database_password_file))
        try:
            url = make_url(self.database_url)
        except Exception:  # the URL may hold a password: never echo it
            raise ConfigurationError(
                "setting database_url is not a valid SQLAlchemy URL") from None
        if url.drivername.startswith("sqlite"):
            raise ConfigurationError(
                "setting database_password_file is for PostgreSQL; SQLite has no password")
        return url.set(password=password).render_as_string(hide_password=False)


def read_password_file(path: Path) -> str:
    """The first line of a password file; refused when unreadable, empty or open to all."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"setting database_password_file: cannot read {path}: {exc.strerror} "
            "(it must be readable by the OS user that runs the kiosk)") from None
    except UnicodeDecodeError:
        raise ConfigurationError(
            f"setting database_password_file: {path} is not UTF-8 text") from None
    if mode & 0o007:
        raise ConfigurationError(
            f"setting database_password_file: {path} is readable by every user; "
            f"run: chmod 600 {path}")
    lines = text.splitlines()
    password = lines[0].strip() if lines else ""
    if not password:
        raise ConfigurationError(f"setting database_password_file: {path} is empty")
    return password


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


def load_settings(environ: Mapping[str, str] | None = None, *,
                  system_config: Path = SYSTEM_CONFIG_FILE) -> Settings:
    """Read the settings now (never at import), from `environ` or `os.environ`.

    The user's own file is found from the process's XDG_CONFIG_HOME (or HOME)."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    config_path = env.get("KIOSK_CONFIG")
    if config_path:
        raw.update(_read_config_file(Path(config_path), label="KIOSK_CONFIG"))
    elif system_config.is_file():
        raw.update(_read_config_file(system_config, shared=True))
    own = user_config_file()
    if own.is_file():
        raw.update(_read_config_file(own))
    for name in _FIELDS:
        value = env.get(f"KIOSK_{name.upper()}")
        if value is not None:
            raw[name] = value
    values = {name: _validate(name, value) for name, value in raw.items()}
    if not values.get("database_url"):
        values["database_url"] = default_database_url()
    return Settings(**values)


def _read_config_file(path: Path, *, label: str = "settings file",
                      shared: bool = False) -> dict[str, Any]:
    """One TOML file's settings; `label` names where its path came from."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{label}: cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{label}: {path} is not valid TOML: {exc}") from None
    table = data.get("kiosk", data)
    if not isinstance(table, dict):
        raise ConfigurationError(f"{label}: {path}: [kiosk] must be a table")
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise ConfigurationError(f"{label}: {path}: unknown setting {unknown[0]!r}")
    url = table.get("database_url")
    if shared and isinstance(url, str) and _has_password(url):
        # Every OS user on the host reads this file: a password there is everyone's.
        raise ConfigurationError(
            f"{label}: {path}: database_url must not hold a password (every user "
            "of this host reads it); use database_password_file or ~/.pgpass")
    return dict(table)


def _has_password(url: str) -> bool:
    """Whether a URL's user part carries a password (`scheme://user:secret@host`)."""
    rest = url.split("://", 1)[1] if "://" in url else ""
    user_part = rest.split("/", 1)[0]
    return "@" in user_part and ":" in user_part.rsplit("@", 1)[0]


def _validate(name: str, value: Any) -> Any:
    if name not in _FIELDS:
        raise ConfigurationError(f"unknown setting {name!r}")
    if name in _INT_BOUNDS:
        return _validate_int(name, value)
    if name in ("demo", "speech"):
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
