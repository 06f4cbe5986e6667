"""The lobby's log: a database outage leaves its cause there, and nothing a parent typed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.errors import ServiceUnavailable
from kiosk.logs import configure_terminal_logging
from kiosk.services.parent import ParentServices
from kiosk.settings import Settings

from support.builders import make_context

TYPED_PASSWORD = "violet harbor compass 7391"
NEW_PASSWORD = "amber meadow lighthouse 2208"
UNREACHABLE = "postgresql+psycopg://kiosk@127.0.0.1:1/kiosk"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "kiosk.log"
    handler = configure_terminal_logging(Settings(log_file=str(path)), "run --terminal lobby-1")
    try:
        yield path
    finally:
        logging.getLogger("kiosk").removeHandler(handler)
        handler.close()


def test_a_database_outage_leaves_its_cause_in_the_log_file(log_file: Path) -> None:
    services = ParentServices(make_context(UNREACHABLE), terminal="lobby-1")
    with pytest.raises(ServiceUnavailable) as raised:
        services.log_in("mlopez", TYPED_PASSWORD)
    lines = log_file.read_text().splitlines()
    assert len(lines) == 1
    assert "lobby-1" in lines[0] and "unavailable" in lines[0]
    assert raised.value.cause and raised.value.cause in lines[0]


def test_no_secret_typed_in_the_session_reaches_the_log(log_file: Path) -> None:
    services = ParentServices(make_context(UNREACHABLE), terminal="lobby-1")
    for attempt in (lambda: services.log_in("mlopez", TYPED_PASSWORD),
                    lambda: services.change_password(1, TYPED_PASSWORD, NEW_PASSWORD,
                                                     NEW_PASSWORD)):
        with pytest.raises(ServiceUnavailable):
            attempt()
    text = log_file.read_text()
    assert len(text.splitlines()) == 2
    assert TYPED_PASSWORD not in text and NEW_PASSWORD not in text and "mlopez" not in text


def test_the_log_file_is_readable_by_its_owner_only(log_file: Path) -> None:
    assert log_file.stat().st_mode & 0o077 == 0
