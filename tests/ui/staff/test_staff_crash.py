"""An unexpected error closes the staff console with one plain line, never locals."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.db.migrate import upgrade
from kiosk.staff_app import CRASH_MESSAGE, StaffApp

from support.builders import make_context


async def test_an_unexpected_error_closes_the_console_without_a_crash_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/kiosk.db"
    upgrade(url)
    app = StaffApp(context=make_context(url))
    temporary_password = "kq7mp-x9q4r-tz8wn-c3vhe"

    def explode() -> None:
        secret = temporary_password  # a local that Textual's crash report would print
        raise RuntimeError(f"boom {secret}")

    # The test harness hands the app's error back to the test; the user sees only the line.
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            app.call_later(explode)
            await pilot.pause()
    shown = capsys.readouterr()
    assert app.return_code == 1
    assert " ".join(CRASH_MESSAGE.split()) in " ".join(shown.err.split())
    assert temporary_password not in shown.out + shown.err
    assert "Traceback" not in shown.out + shown.err
