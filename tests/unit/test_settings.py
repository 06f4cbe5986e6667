"""Settings: defaults, a TOML file, KIOSK_* variables, and refusals that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.errors import ConfigurationError
from kiosk.settings import Settings, load_settings


def test_with_nothing_set_the_kiosk_uses_sqlite_in_the_user_data_directory(
        tmp_path: Path) -> None:
    settings = load_settings({"XDG_DATA_HOME": str(tmp_path)} | dict(_home()))
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("portal-kiosk/kiosk.db")
    assert settings.password_min_length == 15 and settings.key_days == 21
    assert settings.idle_seconds == 120 and settings.temp_password_hours == 24
    assert settings.unset_district_settings() == ("district_name", "district_id", "portal_url")


def _home() -> dict[str, str]:
    import os

    return {"HOME": os.environ["HOME"]}


def test_environment_variables_override_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('district_name = "Lakeside"\nkey_days = 10\nidle_seconds = 90\n')
    settings = load_settings({"KIOSK_CONFIG": str(config), "KIOSK_KEY_DAYS": "14",
                              "KIOSK_DATABASE_URL": "postgresql://kiosk@db/kiosk"})
    assert settings.district_name == "Lakeside"
    assert settings.key_days == 14
    assert settings.idle_seconds == 90
    assert settings.database_url == "postgresql://kiosk@db/kiosk"


def test_a_kiosk_table_in_the_config_file_is_read(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[kiosk]\ndistrict_id = "ABC123"\n')
    assert load_settings({"KIOSK_CONFIG": str(config)}).district_id == "ABC123"


@pytest.mark.parametrize(("name", "value"), [
    ("KIOSK_PASSWORD_MIN_LENGTH", "7"),
    ("KIOSK_PASSWORD_MIN_LENGTH", "fifteen"),
    ("KIOSK_PASSWORD_MIN_LENGTH", "129"),
    ("KIOSK_KEY_DAYS", "0"),
    ("KIOSK_IDLE_SECONDS", "-5"),
    ("KIOSK_TIMEZONE", "Mars/Olympus"),
    ("KIOSK_PORTAL_URL", "javascript:alert(1)"),
    ("KIOSK_DATABASE_URL", "kiosk.db"),
    ("KIOSK_DATABASE_URL", "mysql://kiosk:hunter2@db/kiosk"),
    ("KIOSK_DISTRICT_ID", "JP RQ"),
    ("KIOSK_DISTRICT_NAME", "   "),
    ("KIOSK_SUPPORT_TEXT", "see \x1b]52;c;aGk=\x07 desk"),
    ("KIOSK_DEMO", "maybe"),
])
def test_an_invalid_value_is_refused_with_the_settings_name(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({name: value})
    setting = name.removeprefix("KIOSK_").lower()
    assert setting in str(raised.value)


def test_the_password_minimum_may_be_lowered_to_the_floor_of_eight() -> None:
    assert load_settings({"KIOSK_PASSWORD_MIN_LENGTH": "8"}).password_min_length == 8


def test_an_unknown_setting_in_the_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text("pasword_min_length = 20\n")
    with pytest.raises(ConfigurationError, match="pasword_min_length"):
        load_settings({"KIOSK_CONFIG": str(config)})


def test_a_broken_or_missing_config_file_is_refused_naming_kiosk_config(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("district_name = \n")
    for path in (broken, tmp_path / "missing.toml"):
        with pytest.raises(ConfigurationError, match="KIOSK_CONFIG"):
            load_settings({"KIOSK_CONFIG": str(path)})


def test_settings_are_read_when_asked_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DISTRICT_NAME", "First")
    first = load_settings()
    monkeypatch.setenv("KIOSK_DISTRICT_NAME", "Second")
    assert (first.district_name, load_settings().district_name) == ("First", "Second")
    assert Settings().district_name != ""


def test_a_refused_database_url_never_echoes_its_password() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({"KIOSK_DATABASE_URL": "mysql://kiosk:hunter2@db/kiosk"})
    assert "hunter2" not in str(raised.value) and "'mysql'" in str(raised.value)
