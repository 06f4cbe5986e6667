"""`kiosk doctor`: each thing that stops a kiosk, checked, and explained with its fix.

Every check is a small function returning a `Check` (ok, what, fix), so each can be
tried alone. `run_checks` runs those that apply to a host role, in order; a check whose
premise failed (no settings, no database) is not run, since its answer would only
repeat the first cause. A warning (sound for speech) never fails the doctor.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import ConfigurationError
from kiosk.settings import SYSTEM_CONFIG_FILE, Settings, load_settings, user_config_file

HOST_ROLES = ("lobby", "staff", "serve", "signin", "import")
SSHD_CONFIG = Path("/etc/ssh/sshd_config")


@dataclass(frozen=True)
class Check:
    ok: bool
    what: str
    fix: str = ""
    warning: bool = False  # shown, but does not fail the doctor

    @property
    def passes(self) -> bool:
        return self.ok or self.warning


# --- settings -----------------------------------------------------------------------------

def check_settings_file(environ: Mapping[str, str], system_config: Path = SYSTEM_CONFIG_FILE,
                        user_config: Path | None = None) -> Check:
    """A settings file is found and readable (or everything comes from KIOSK_*)."""
    named = environ.get("KIOSK_CONFIG")
    candidates = [Path(named)] if named else [system_config,
                                              user_config or user_config_file()]
    found = [path for path in candidates if path.exists()]
    for path in found:
        if not os.access(path, os.R_OK):
            return Check(False, f"the settings file {path} cannot be read by this OS user",
                         f"run: chmod 644 {path} (it holds no password), or fix its owner")
    if found:
        return Check(True, "settings read from " + " and ".join(str(p) for p in found))
    if named:
        return Check(False, f"KIOSK_CONFIG names {named}, which does not exist",
                     "create the file, or unset KIOSK_CONFIG")
    if environ.get("KIOSK_DATABASE_URL"):
        return Check(True, "settings come from KIOSK_* variables (no settings file)")
    return Check(False, f"no settings file: neither {system_config} nor "
                        f"{candidates[1]} exists",
                 f"create {system_config} (see docs/install.md: The settings file)")


def load(environ: Mapping[str, str],
         system_config: Path = SYSTEM_CONFIG_FILE) -> tuple[Check, Settings | None]:
    """Every setting is valid (the file parses, each value is allowed)."""
    try:
        settings = load_settings(environ, system_config=system_config)
    except ConfigurationError as error:
        return Check(False, f"a setting is wrong: {error.text()}",
                     "fix that setting in the settings file or the KIOSK_* variable"), None
    return Check(True, "every setting has a valid value"), settings


def check_district(settings: Settings) -> Check:
    """The district's own settings replace the placeholders letters and screens show."""
    if settings.demo:
        return Check(True, "demo settings: the district settings are not needed")
    unset = settings.unset_district_settings()
    if unset:
        return Check(False, f"the district settings are not set: {', '.join(unset)} "
                            "still hold placeholders",
                     f"set {', '.join(unset)} in {SYSTEM_CONFIG_FILE}")
    return Check(True, f"district settings set ({settings.district_name}, "
                       f"District ID {settings.district_id})")


# --- database -----------------------------------------------------------------------------

def _sqlite_path(settings: Settings) -> Path | None:
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if not url.drivername.startswith("sqlite"):
        return None
    return Path(url.database or "")


def _failed(doing: str, error: BaseException) -> Check:
    """A database error as a failed check: what failed, why in plain words, the fix."""
    from kiosk.db.diagnose import cause_of

    cause = cause_of(error)
    return Check(False, f"{doing}: {cause.what} ({cause.detail})", cause.fix)


def check_database(settings: Settings) -> Check:
    """The database answers, with this host's URL, role, password and certificate."""
    from sqlalchemy import text

    from kiosk.db.engine import make_engine

    path = _sqlite_path(settings)
    if path is not None and not path.is_file():
        return Check(False, f"there is no database at {path}",
                     "run: kiosk db upgrade (it creates it)")
    try:
        engine = make_engine(settings.connection_url())
    except ConfigurationError as error:
        return Check(False, error.text(), "fix the setting it names")
    try:
        with engine.connect() as connection:
            who = (connection.execute(text("SELECT current_user")).scalar()
                   if connection.dialect.name == "postgresql" else None)
    except Exception as error:
        return _failed("the database cannot be used", error)
    finally:
        engine.dispose()
    return Check(True, "the database answers" + (f", as role {who}" if who else ""))


def check_schema(settings: Settings) -> Check:
    """The schema is the one this kiosk was made for: not missing, behind or ahead."""
    from kiosk.db.diagnose import SchemaStatus, schema_state
    from kiosk.db.engine import make_engine

    engine = make_engine(settings.connection_url())
    try:
        with engine.connect() as connection:
            state = schema_state(connection)
    except Exception as error:
        return _failed("the schema cannot be read", error)
    finally:
        engine.dispose()
    what, fix = state.explain()
    return Check(state.status is SchemaStatus.CURRENT, what, fix)


def check_file_modes(settings: Settings) -> Check:
    """The SQLite database and its folder are this OS user's alone (0600 and 0700)."""
    path = _sqlite_path(settings)
    if path is None:
        return Check(True, "PostgreSQL: no database file on this host")
    if not path.exists():
        return Check(True, f"no database file at {path} yet, so no file mode to check")
    problems = []
    for target, private in ((path.parent, 0o700), (path, 0o600)):
        try:
            info = target.stat()
        except OSError:
            continue
        if info.st_mode & 0o077:
            problems.append(f"{target} is mode {stat.S_IMODE(info.st_mode):04o}, "
                            f"not {private:04o}")
        if info.st_uid != os.geteuid():
            problems.append(f"{target} belongs to another OS user")
    if problems:
        return Check(False, "the database file is open to others: " + "; ".join(problems),
                     f"run: chmod 700 {path.parent} && chmod 600 {path}, as its owner")
    return Check(True, f"{path} and its folder are private to this OS user")


# --- the host -----------------------------------------------------------------------------

def check_speech(which: str | None = None) -> Check:
    """Speech needs espeak-ng; without it the kiosk works, silently."""
    found = which if which is not None else shutil.which("espeak-ng")
    if found:
        return Check(True, f"speech: espeak-ng found ({found})")
    return Check(False, "speech: espeak-ng is not installed, so the kiosk cannot read "
                        "screens aloud", "run: apt-get install espeak-ng", warning=True)


def _sshd_lines(config: Path) -> Iterable[str]:
    paths = [config]
    included = config.parent / "sshd_config.d"
    if included.is_dir():
        paths.extend(sorted(included.glob("*.conf")))
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        yield from text.splitlines()


def check_ssh_force_command(user: str, config: Path = SSHD_CONFIG) -> Check:
    """The staff OS user's SSH logins run `kiosk staff` and nothing else."""
    current: list[str] | None = None  # users of the Match block we are in (None: global)
    for raw in _sshd_lines(config):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        keyword, _, value = line.partition(" ")
        keyword, value = keyword.lower(), value.strip()
        if keyword == "match":
            words = value.split()
            current = (words[1].split(",") if len(words) >= 2 and words[0].lower() == "user"
                       else [])
        elif (keyword == "forcecommand" and "kiosk" in value and value.endswith(" staff")
              and (current is None or user in current)):
            return Check(True, f"sshd runs `{value}` for {user}")
    return Check(False, f"sshd does not force `kiosk staff` for the OS user {user}: an SSH "
                        "login would get a shell",
                 f"add to {config}: Match User {user} / ForceCommand KIOSK staff (KIOSK: "
                 "the path `command -v kiosk` prints), then: systemctl reload ssh")


def run_checks(role: str | None = None, environ: Mapping[str, str] | None = None, *,
               system_config: Path = SYSTEM_CONFIG_FILE, sshd_config: Path = SSHD_CONFIG,
               user: str | None = None) -> list[Check]:
    env = os.environ if environ is None else environ
    checks = [check_settings_file(env, system_config)]
    loaded, settings = load(env, system_config)
    checks.append(loaded)
    if settings is not None:
        checks.append(check_district(settings))
        reached = check_database(settings)
        checks.append(reached)
        if reached.ok:
            checks.append(check_schema(settings))
        checks.append(check_file_modes(settings))
    if role in (None, "lobby"):
        checks.append(check_speech())
    if role == "staff":
        import pwd

        name = user or pwd.getpwuid(os.geteuid()).pw_name
        checks.append(check_ssh_force_command(name, sshd_config))
    return checks
