"""A real `kiosk run` in a terminal (tmux), writing to its log file, while PostgreSQL
goes down under a parent's login.

The lobby shows the calm "temporarily unavailable"; the administrator who opens the
log file (the `log_file` setting, here through KIOSK_LOG_FILE) finds one line that
names the real cause, and nothing the parent typed. The session's PostgreSQL server is
stopped for real (`pg_ctl stop -m immediate`) and always started again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.errors import ServiceUnavailable

from support.builders import GOOD_PASSWORD, TEST_DISTRICT, add_account, make_context
from support.migrated import migrated_postgres_url
from support.pg_server import PostgresServer, drop_database
from support.tmux_driver import Tmux

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.postgres]
USERNAME = "mlopez"


@pytest.fixture
def database(postgres_server: PostgresServer) -> Iterator[str]:
    url = migrated_postgres_url(postgres_server)
    ctx = make_context(url)
    add_account(ctx, USERNAME, guardians=(("Maria", "Lopez"),), students=(("Ana", "Lopez"),))
    ctx.database.dispose()
    yield url
    if not postgres_server.is_running():
        postgres_server.start()
    drop_database(url)


def test_a_postgresql_outage_at_login_names_its_cause_in_the_log_file_without_secrets(
        tmux: Tmux, tmp_path: Path, postgres_server: PostgresServer, database: str) -> None:
    log_file = tmp_path / "kiosk.log"
    district = {f"KIOSK_{name.upper()}": value for name, value in TEST_DISTRICT.items()}
    tmux.start("run --terminal lobby-7", database, (80, 24), KIOSK_LOG_FILE=str(log_file),
               **district)
    tmux.wait_for("I have an activation key", timeout=60)
    tmux.keys("Tab")  # from "I have an activation key" to "Log in"
    tmux.keys("Enter")
    tmux.wait_for("Forgot your password?")
    tmux.type(USERNAME)
    tmux.keys("Tab")
    tmux.type(GOOD_PASSWORD)
    tmux.wait_for("\u2022" * len(GOOD_PASSWORD))  # masked, and all of it arrived

    postgres_server.stop()  # the parent is about to press Enter
    try:
        tmux.keys("Enter")
        screen = tmux.wait_for(ServiceUnavailable.message.split(".")[0], timeout=60)
    finally:
        postgres_server.start()

    assert GOOD_PASSWORD not in screen
    lines = log_file.read_text(encoding="utf-8").splitlines()
    outage = [line for line in lines if "unavailable" in line]
    assert len(outage) == 1, lines
    assert "lobby-7" in outage[0]
    assert "the database server cannot be reached" in outage[0]
    assert "check that PostgreSQL is running" in outage[0]  # the fix, in the same line
    text = log_file.read_text(encoding="utf-8")
    assert GOOD_PASSWORD not in text
    assert USERNAME not in text  # no parent's name at info level either
