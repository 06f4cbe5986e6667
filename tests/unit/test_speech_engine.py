"""The speech engine with the real espeak-ng, writing files (KIOSK_SPEECH_OUTPUT)."""

from __future__ import annotations

import shutil
import stat
import wave
from pathlib import Path

import pytest

from kiosk.errors import ConfigurationError
from kiosk.settings import load_settings
from kiosk.speech.engine import SpeechEngine


@pytest.fixture(autouse=True)
def _espeak_installed(request: pytest.FixtureRequest) -> None:
    """The tests marked e2e here run the real espeak-ng: without it they fail."""
    if request.node.get_closest_marker("e2e") and shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing: scripts/test.sh installs Debian's espeak-ng",
                    pytrace=False)


@pytest.mark.e2e
def test_output_files_count_on_after_those_already_in_the_folder(tmp_path: Path) -> None:
    (tmp_path / "0007.txt").write_text("from an earlier run")
    engine = SpeechEngine(output_dir=tmp_path)
    engine.say("Activate your account.", "en")
    engine.say("Active su cuenta.", "es")
    engine.wait_until_done()
    engine.close()
    assert (tmp_path / "0008.txt").read_text() == "Activate your account."
    assert (tmp_path / "0009.txt").read_text() == "Active su cuenta."
    for name in ("0008.wav", "0009.wav", "0008.txt", "0009.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    with wave.open(str(tmp_path / "0008.wav")) as audio:
        assert audio.getnframes() / audio.getframerate() > 0.5


@pytest.mark.e2e
def test_the_output_folder_starts_at_0001(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    engine = SpeechEngine(output_dir=folder)
    engine.say("Log in.", "en")
    engine.wait_until_done()
    engine.close()
    assert sorted(path.name for path in folder.iterdir()) == ["0001.txt", "0001.wav"]


@pytest.mark.e2e
def test_a_host_without_espeak_is_told_apart(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert SpeechEngine().available()
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not SpeechEngine().available()


def test_kiosk_speech_on_is_a_setting() -> None:
    assert load_settings({"KIOSK_SPEECH": "on"}).speech is True
    assert load_settings({}).speech is False
    assert load_settings({"KIOSK_SPEECH_OUTPUT": "/tmp/said"}).speech_output == "/tmp/said"
    with pytest.raises(ConfigurationError, match="speech"):
        load_settings({"KIOSK_SPEECH": "loud"})
