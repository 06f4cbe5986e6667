"""The printable letter from the key-issued screen: a new, private file, never another one.

The letter holds the activation key in clear: it must never replace an existing file
(a typo in the path could otherwise destroy someone's document) and must be readable
by its owner only.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from textual.pilot import Pilot
from textual.widgets import Input

from kiosk.services.context import ServiceContext
from kiosk.staff_app import StaffApp

from support.builders import add_family
from support.environment import umask
from support.staff_helpers import SIZE, answer, log_in, open_household, press, text_of


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common 022 umask, under which a plain open() makes a world-readable file."""
    with umask(0o022):
        yield


async def _issue_key(pilot: Pilot[None]) -> str:
    await log_in(pilot)
    await open_household(pilot, "diaz")
    await answer(pilot, "i")
    assert pilot.app.screen.id == "key-issued"
    return text_of(pilot, "#secret-value").replace(" - ", "-")


async def _write_letter_to(pilot: Pilot[None], path: Path | str) -> str:
    pilot.app.screen.query_one("#letter-path", Input).value = str(path)
    await press(pilot, "#write-letter")
    return text_of(pilot, "#letter-status")


async def test_a_new_letter_file_is_private(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, tmp_path: Path) -> None:
    add_family(ctx, guardians=(("Rosa", "Diaz"),))
    path = tmp_path / "rosa.pdf"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        key = await _issue_key(pilot)
        assert "The letter was written to" in await _write_letter_to(pilot, path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key in PdfReader(path).pages[0].extract_text()


async def test_an_existing_file_is_never_overwritten_and_the_clerk_is_told(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, tmp_path: Path) -> None:
    add_family(ctx, guardians=(("Rosa", "Diaz"),))
    existing = tmp_path / "budget.pdf"
    existing.write_bytes(b"%PDF-1.4 the office budget")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        key = await _issue_key(pilot)
        status = await _write_letter_to(pilot, existing)
        assert status == (f"Could not write the letter: {existing} already exists; choose "
                          "a new file name. No file was changed; type another path.")
        assert "Traceback" not in status and "Error" not in status
        assert app.screen.id == "key-issued"
        # Typed without ".pdf", it means the same file: still refused.
        status = await _write_letter_to(pilot, tmp_path / "budget")
        assert "already exists" in status

        # Another name works, and the key is still on screen to print.
        assert text_of(pilot, "#secret-value").replace(" - ", "-") == key
        assert "The letter was written to" in await _write_letter_to(
            pilot, tmp_path / "rosa-letter.pdf")

    assert existing.read_bytes() == b"%PDF-1.4 the office budget"


async def test_a_folder_that_cannot_be_written_is_named_in_a_clear_message(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, tmp_path: Path) -> None:
    add_family(ctx, guardians=(("Rosa", "Diaz"),))
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file where a folder should be")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _issue_key(pilot)
        status = await _write_letter_to(pilot, tmp_path / "missing" / "a.pdf")
        assert status == (f"Could not write the letter: cannot write {tmp_path}/missing/a.pdf: "
                          "No such file or directory. No file was changed; type another path.")
        status = await _write_letter_to(pilot, not_a_folder / "a.pdf")
        assert f"cannot write {not_a_folder}/a.pdf: Not a directory" in status
        assert app.screen.id == "key-issued"

    assert not (tmp_path / "missing").exists()
    assert not_a_folder.read_text() == "a file where a folder should be"
