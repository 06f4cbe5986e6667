"""Who ran a command, and what `kiosk audit` prints: nothing a terminal would obey.

The audit actor of a command is the operating-system account of the effective uid,
never `$USER` or `$LOGNAME` (anyone sets those to anything, escape sequences included).
Names and details in the log come from people and roster files; `kiosk audit` shows
their control and format characters as visible escapes.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import audit
from kiosk.audit import Action, Actor

from support.builders import make_context

HOSTILE = "x\x1b]0;pwn\x07\x1b]52;c;ZWNobyBwd25lZA==\x07\u202eevil\x9b2J"
STAFF_PASSWORD = "quiet library lamps glow softly"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path}/kiosk.db"
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8",
                   "KIOSK_DATABASE_URL": url, "LOGNAME": HOSTILE, "USER": HOSTILE}
    kiosk(environment, "db", "upgrade")
    return environment


def kiosk(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env, input=stdin,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result


def test_the_audit_actor_is_the_effective_uids_account_not_logname_or_user(
        env: dict[str, str]) -> None:
    kiosk(env, "staff-user", "add", "frontdesk", "--password-stdin", stdin=STAFF_PASSWORD)
    [event] = json.loads(kiosk(env, "audit", "--json").stdout)
    assert event["actor"] == f"cli:{pwd.getpwuid(os.geteuid()).pw_name}"


def _hostile_event(env: dict[str, str]) -> None:
    ctx = make_context(env["KIOSK_DATABASE_URL"])
    with ctx.database.unit_of_work() as uow:
        audit.record(uow.session, ctx.clock, Actor(name=HOSTILE, client_address=HOSTILE),
                     Action.LOGIN, subject=HOSTILE, detail=HOSTILE)
        uow.commit()
    ctx.database.dispose()


def _raw_controls(text: str) -> set[str]:
    return {c for c in text if c in "\x1b\x07\x9b\u202e"}


def test_kiosk_audit_shows_control_characters_as_visible_escapes(env: dict[str, str]) -> None:
    _hostile_event(env)
    out = kiosk(env, "audit").stdout
    assert _raw_controls(out) == set()
    assert "x\\x1b]0;pwn\\x07" in out and "\\u202eevil\\x9b2J" in out


def test_kiosk_audit_json_escapes_control_characters_and_keeps_the_text(
        env: dict[str, str]) -> None:
    _hostile_event(env)
    out = kiosk(env, "audit", "--json").stdout
    assert _raw_controls(out) == set()
    [event] = json.loads(out)
    assert event["subject"] == HOSTILE[:64] and event["detail"] == HOSTILE
