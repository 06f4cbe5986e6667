"""Property tests over the parent forms: any text gets a clear answer and changes nothing
it should not."""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from textual import events
from textual.widgets import Input

from kiosk.app import KioskApp
from kiosk.clock import FakeClock
from kiosk.services.parent import ParentServices
from screens.text import has_forbidden

from support.builders import make_context
from support.kiosk_pilot import form_error, press_button
from support.migrated import migrated_sqlite_url

REFERENCE = re.compile(r" Reference: [A-Z0-9]{4,8}$")
ANY_TEXT = st.text(max_size=40)
KEYISH = st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZabcxyz -–OoIlL", max_size=40)


def _app(url: str) -> KioskApp:
    return KioskApp(services=ParentServices(make_context(url, clock=FakeClock())))


async def _paste_and_submit(url: str, pasted: str, key: str) -> None:
    app = _app(url)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#start-activation")
        field = app.screen.query_one("#activation-key", Input)
        field.focus()
        field.post_message(events.Paste(pasted))
        await pilot.pause()
        first_line = pasted.splitlines()[0] if pasted.splitlines() else ""
        if has_forbidden(first_line):
            assert field.value == ""
        else:
            assert field.value == first_line[:field.max_length or None]
        assert not has_forbidden(field.value)

        field.value = key
        await press_button(pilot, "#submit")
        assert app.is_running
        assert app.screen.id == "activate"  # no key was issued in this database
        # A fresh database per example: this is the kiosk's first try, never throttled.
        message = form_error(app)
        assert message.startswith(("That ", "An activation key")), message
        assert message.rstrip().endswith("."), message
        assert not REFERENCE.search(message), message


@settings(max_examples=12, deadline=None)
@given(pasted=ANY_TEXT, key=KEYISH)
def test_activation_form_answers_any_input(pasted: str, key: str) -> None:
    # A fresh database per example: a copy of a migrated template (support.migrated).
    with tempfile.TemporaryDirectory() as folder:
        url = migrated_sqlite_url(Path(folder) / "kiosk.db")
        asyncio.run(_paste_and_submit(url, pasted, key))
