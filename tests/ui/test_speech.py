"""The kiosk speaks: Pilot walks with speech on and espeak-ng writing each utterance.

With `speech_output` set (KIOSK_SPEECH_OUTPUT), every utterance becomes NNNN.wav and
NNNN.txt in a folder, in order: these tests read that folder. espeak-ng is real (a
Debian package the test command installs); nothing is mocked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import shutil
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from kiosk.app import KioskApp
from kiosk.clock import FakeClock
from kiosk.security.keys import format_key, normalize_key
from kiosk.services import staff
from kiosk.services.context import ServiceContext
from kiosk.services.parent import ParentServices
from kiosk.speech.engine import VOICES
from screens.plain_text import PlainText

from support.builders import (
    CLERK,
    GOOD_PASSWORD,
    OTHER_PASSWORD,
    add_family,
    issue_key,
    make_context,
)
from support.kiosk_pilot import idle_for, press_button, settle, type_text
from support.migrated import migrated_sqlite_url

AppFactory = Callable[..., KioskApp]
RULES_PAUSE = 1.0  # longer than the screens' pause before they speak a change
NEW_PASSWORD = "seven lanterns drift over quiet water"


@pytest.fixture(autouse=True)
def _espeak_installed(request: pytest.FixtureRequest) -> None:
    """The tests marked e2e here run the real espeak-ng: without it they fail."""
    if request.node.get_closest_marker("e2e") and shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing: scripts/test.sh installs Debian's espeak-ng",
                    pytrace=False)


def speaking_app(ctx: ServiceContext, folder: Path) -> KioskApp:
    services = ParentServices(ctx, terminal="lobby-test")
    settings = dataclasses.replace(services.settings, speech=True, speech_output=str(folder))
    return KioskApp(services=services, settings=settings)


def maria_lopez_key(ctx: ServiceContext) -> str:
    """The activation key of a new guardian, Maria Lopez, parent of Ana Lopez."""
    family = add_family(ctx, guardians=(("Maria", "Lopez"),), students=(("Ana", "Lopez"),))
    return issue_key(ctx, family.guardian_ids[0])


async def all_said(app: KioskApp) -> None:
    """Wait until the engine has written every utterance so far."""
    engine = app.speech_engine
    assert engine is not None
    await asyncio.to_thread(engine.wait_until_done)


def utterances(folder: Path) -> list[tuple[str, str]]:
    """(stem, text) of each NNNN.txt, in order."""
    return [(path.stem, path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*.txt"))]


def first_index(said: list[tuple[str, str]], pattern: str, start: int = 0) -> int:
    for index in range(start, len(said)):
        if re.search(pattern, said[index][1], flags=re.IGNORECASE):
            return index
    raise AssertionError(f"no utterance after #{start} matches {pattern!r}: "
                         + "\n".join(text for _, text in said))


async def walk_activation(pilot: Pilot[None], app: KioskApp, key: str, *,
                          spanish: bool = False) -> None:
    """Welcome to the account screen, typing like a parent, pausing after each field."""
    await settle(pilot)
    if spanish:
        await press_button(pilot, "#language")
    await press_button(pilot, "#start-activation")
    await type_text(pilot, "#activation-key", key)
    await pilot.pause(RULES_PAUSE)
    await pilot.press("enter")
    await settle(pilot)
    assert app.screen.id == "create-account"
    for selector, text in (("#username", "mlopez"), ("#password", GOOD_PASSWORD),
                           ("#verify-password", GOOD_PASSWORD)):
        await type_text(pilot, selector, text)
        await settle(pilot)
        await pilot.pause(RULES_PAUSE)
    await press_button(pilot, "#create-account")
    assert app.screen.id == "account"
    await all_said(app)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as audio:
        return float(audio.getnframes() / audio.getframerate())


@pytest.fixture(scope="module")
def english_walk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The speech folder of one activation walk in English, at 80x24. The tests that
    only read what it said share it (espeak-ng renders every utterance)."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing: scripts/test.sh installs Debian's espeak-ng",
                    pytrace=False)
    work = tmp_path_factory.mktemp("english-walk")
    ctx = make_context(migrated_sqlite_url(work / "kiosk.db"), clock=FakeClock())
    key = maria_lopez_key(ctx)
    folder = work / "speech"

    async def walk() -> None:
        app = speaking_app(ctx, folder)
        async with app.run_test(size=(80, 24)) as pilot:
            await walk_activation(pilot, app, key)

    asyncio.run(walk())
    ctx.database.dispose()
    return folder


@pytest.mark.e2e
def test_speech_walk_from_activation_to_account_is_written_in_order(
        english_walk: Path) -> None:
    said = utterances(english_walk)
    welcome = first_index(said, r"Parent Portal.*press F1")
    assert welcome == 0
    activate = first_index(said, r"Activate your account.*scan the code on your letter",
                           welcome + 1)
    typed = first_index(said, r"25 of 25 letters and numbers typed.*checks out", activate + 1)
    accepted = first_index(said, r"^Key accepted\..*Create your account.*Ana Lopez", typed + 1)
    rules = first_index(said, r"Still needed|Done:", accepted + 1)
    all_met = first_index(said, r"Every rule is met", rules + 1)
    first_index(said, r"Your account is ready, Maria Lopez.*Ana Lopez.*m, l, o, p, e, z.*"
                      r"J, P, R, Q, Q, H", all_met + 1)


@pytest.mark.e2e
def test_every_utterance_renders_to_more_than_half_a_second_of_audio(
        english_walk: Path) -> None:
    folder = english_walk
    said = utterances(folder)
    assert len(said) >= 6
    for stem, _text in said:
        assert wav_seconds(folder / f"{stem}.wav") > 0.5, stem
    assert sorted(p.name for p in folder.glob("*.wav")) == [f"{stem}.wav" for stem, _ in said]
    assert said[0][0] == "0001"


@pytest.mark.e2e
async def test_spanish_walk_is_spoken_in_spanish_by_the_spanish_voice(
        kiosk_ctx: ServiceContext, tmp_path: Path) -> None:
    key = maria_lopez_key(kiosk_ctx)
    folder = tmp_path / "speech"
    app = speaking_app(kiosk_ctx, folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await walk_activation(pilot, app, key, spanish=True)

    said = utterances(folder)
    start = first_index(said, r"Portal para familias|Pulse F1")
    activate = first_index(said, r"Active su cuenta.*escanee el código", start + 1)
    accepted = first_index(said, r"^Clave aceptada\.", activate + 1)
    first_index(said, r"Todavía falta|Listo:", accepted + 1)
    first_index(said, r"Su nombre de usuario es mlopez.*J, P, R, Q, Q, H", accepted + 1)
    # espeak-ng renders the same text and voice to the same bytes: each WAV from the
    # Spanish screens is exactly what its Spanish voice makes of the text.
    for stem, text in said[start + 1:]:
        expected = tmp_path / f"es-{stem}.wav"
        subprocess.run(["espeak-ng", "-v", VOICES["es"], "-w", str(expected), "--stdin"],
                       input=text.encode(), check=True, capture_output=True, timeout=60)
        assert (folder / f"{stem}.wav").read_bytes() == expected.read_bytes(), text


@pytest.mark.e2e
async def test_no_secret_typed_in_any_field_is_ever_spoken(
        kiosk_ctx: ServiceContext, tmp_path: Path) -> None:
    key = maria_lopez_key(kiosk_ctx)
    folder = tmp_path / "speech"
    app = speaking_app(kiosk_ctx, folder)
    async with app.run_test(size=(100, 40)) as pilot:
        await walk_activation(pilot, app, key)
        # Every field of every screen: log out, log in with a temporary password, and
        # go through the forced change, visiting each field again after typing.
        temporary = staff.reset_password(kiosk_ctx, CLERK, "mlopez").temporary_password
        await press_button(pilot, "#logout")
        await press_button(pilot, "#start-login")
        await type_text(pilot, "#username", "mlopez")
        await type_text(pilot, "#password", OTHER_PASSWORD)
        await pilot.press("shift+tab", "tab")
        await pilot.press("enter")  # a wrong password: an error, spoken
        await settle(pilot)
        await type_text(pilot, "#password", temporary)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.id == "change-password"
        for selector, text in (("#current-password", temporary),
                               ("#new-password", NEW_PASSWORD),
                               ("#verify-password", NEW_PASSWORD)):
            await type_text(pilot, selector, text)
            await settle(pilot)
            await pilot.pause(RULES_PAUSE)
        await pilot.press("shift+tab", "shift+tab", "tab", "tab")
        await press_button(pilot, "#save")
        assert app.screen.id == "account"
        await all_said(app)

    canonical = normalize_key(key)
    secrets = [GOOD_PASSWORD, OTHER_PASSWORD, NEW_PASSWORD, temporary, key, canonical,
               format_key(canonical).lower(), *format_key(canonical).split("-")]
    said = utterances(folder)
    assert len(said) > 10
    for stem, text in said:
        for secret in secrets:
            assert secret.lower() not in text.lower(), (stem, text)
    for path in folder.iterdir():
        assert re.fullmatch(r"\d{4}\.(wav|txt)", path.name), path.name


@pytest.mark.e2e
async def test_the_idle_wipe_turns_speech_off(kiosk_app: AppFactory, kiosk_clock: FakeClock,
                                             tmp_path: Path) -> None:
    app = kiosk_app()
    app.settings = dataclasses.replace(app.settings, speech_output=str(tmp_path / "speech"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert app.session.speech_on
        await press_button(pilot, "#start-login")
        kiosk_clock.advance(seconds=app.settings.idle_seconds
                            + app.settings.idle_warning_seconds + 1)
        app.check_inactivity()
        await settle(pilot)
        assert app.screen.id == "welcome"
        assert not app.session.speech_on
        assert app.session.last_utterance == ""


def notices(app: KioskApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def quiet_app(kiosk_app: AppFactory, folder: Path, **kwargs: object) -> KioskApp:
    """A kiosk starting with speech off, writing what it says into `folder`."""
    app = kiosk_app(**kwargs)
    app.settings = dataclasses.replace(app.settings, speech_output=str(folder))
    return app


@pytest.mark.e2e
async def test_f1_turns_speech_on_then_off(kiosk_app: AppFactory, kiosk_clock: FakeClock,
                                          tmp_path: Path) -> None:
    folder = tmp_path / "speech"
    app = quiet_app(kiosk_app, folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.session.speech_on
        await pilot.press("f1")
        assert app.session.speech_on
        kiosk_clock.advance(seconds=2)  # not a double press
        await pilot.press("f1")
        assert not app.session.speech_on
        await all_said(app)
    said = [text for _, text in utterances(folder)]
    assert said[0].startswith("Reading aloud is on.")
    assert "Parent Portal" in said[0]
    assert said[-1] == "Reading aloud is off."


@pytest.mark.e2e
async def test_f1_twice_quickly_repeats_the_last_utterance(
        kiosk_app: AppFactory, kiosk_clock: FakeClock, tmp_path: Path) -> None:
    folder = tmp_path / "speech"
    app = quiet_app(kiosk_app, folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        kiosk_clock.advance(seconds=2)
        await press_button(pilot, "#start-activation")
        await all_said(app)
        last = utterances(folder)[-1][1]
        kiosk_clock.advance(seconds=2)
        await pilot.press("f1", "f1")  # the clock stands still: a double press
        assert app.session.speech_on
        await all_said(app)
    said = [text for _, text in utterances(folder)]
    assert "Activate your account" in last
    assert said[-1] == last


@pytest.mark.e2e
async def test_the_read_aloud_button_turns_speech_on(kiosk_app: AppFactory,
                                                     tmp_path: Path) -> None:
    folder = tmp_path / "speech"
    app = quiet_app(kiosk_app, folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "press F1 or choose Read aloud" in app.screen.query_one(
            "#speech-hint", PlainText).text
        await press_button(pilot, "#read-aloud")
        assert app.session.speech_on
        await all_said(app)
    said = utterances(folder)
    assert said[0][1].startswith("Reading aloud is on.")
    assert "Read aloud, button" in said[0][1]


async def test_without_espeak_f1_says_so_on_screen_and_the_kiosk_goes_on(
        kiosk_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # a host without espeak-ng
    app = quiet_app(kiosk_app, tmp_path / "speech")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert not app.session.speech_on
        assert any("Reading aloud is not available" in notice for notice in notices(app))
        await press_button(pilot, "#start-activation")
        assert app.screen.id == "activate"
    assert not (tmp_path / "speech").exists()


async def test_a_browser_session_never_speaks(kiosk_app: AppFactory, tmp_path: Path) -> None:
    app = quiet_app(kiosk_app, tmp_path / "speech", browser_client="203.0.113.7")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert not app.session.speech_on
        assert any("use your own screen reader" in notice for notice in notices(app))
    assert not (tmp_path / "speech").exists()


@pytest.mark.e2e
async def test_the_idle_countdown_is_spoken(kiosk_app: AppFactory, kiosk_clock: FakeClock,
                                           tmp_path: Path) -> None:
    folder = tmp_path / "speech"
    app = quiet_app(kiosk_app, folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await press_button(pilot, "#start-login")
        await idle_for(pilot, app, kiosk_clock, app.settings.idle_seconds + 1)
        await idle_for(pilot, app, kiosk_clock, app.settings.idle_warning_seconds - 11)
        await all_said(app)
    said = [text for _, text in utterances(folder)]
    assert said[-2].startswith("Are you still there?")
    assert "in 19 seconds" in said[-2]
    assert said[-1] == "10 seconds left. Press any key to stay."


async def test_speech_on_at_start_without_espeak_says_so_and_leaves_welcome_idle(
        kiosk_ctx: ServiceContext, kiosk_clock: FakeClock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # KIOSK_SPEECH=on on a host without espeak-ng
    app = speaking_app(kiosk_ctx, tmp_path / "speech")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.session.speech_on
        assert any("Reading aloud is not available" in notice for notice in notices(app))
        await idle_for(pilot, app, kiosk_clock, app.settings.idle_seconds + 1)
        assert app.idle_warning is None  # nothing of a parent to wipe: no countdown
        assert app.screen.id == "welcome"
