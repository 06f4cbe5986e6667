"""Settings files on a host: the host's file, then the user's own, then KIOSK_* variables;
placeholder district defaults; database_password_file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from kiosk.errors import ConfigurationError
from kiosk.settings import Settings, load_settings, user_config_file


def _host_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "etc" / "kiosk.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _user_file(text: str) -> Path:
    path = user_config_file()  # under the test's own XDG_CONFIG_HOME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_host_file_is_read_when_kiosk_config_is_unset(tmp_path: Path) -> None:
    host = _host_file(tmp_path, 'district_name = "Lakeside"\nkey_days = 10\n')
    settings = load_settings({}, system_config=host)
    assert (settings.district_name, settings.key_days) == ("Lakeside", 10)


def test_kiosk_config_replaces_the_host_file(tmp_path: Path) -> None:
    host = _host_file(tmp_path, 'district_name = "Lakeside"\n')
    other = tmp_path / "other.toml"
    other.write_text('district_id = "OTHER1"\n')
    settings = load_settings({"KIOSK_CONFIG": str(other)}, system_config=host)
    assert settings.district_id == "OTHER1"
    assert settings.district_name == Settings().district_name


def test_the_users_own_file_overrides_the_host_file(tmp_path: Path) -> None:
    host = _host_file(tmp_path, 'district_name = "Lakeside"\nkey_days = 10\n')
    _user_file("key_days = 12\n")
    settings = load_settings({}, system_config=host)
    assert (settings.district_name, settings.key_days) == ("Lakeside", 12)


def test_kiosk_variables_override_the_users_own_file(tmp_path: Path) -> None:
    _user_file("key_days = 12\n")
    settings = load_settings({"KIOSK_KEY_DAYS": "14"}, system_config=tmp_path / "none.toml")
    assert settings.key_days == 14


def test_a_password_in_the_host_files_database_url_is_refused(tmp_path: Path) -> None:
    host = _host_file(tmp_path, 'database_url = "postgresql://kiosk:hunter2@db/kiosk"\n')
    with pytest.raises(ConfigurationError) as raised:
        load_settings({}, system_config=host)
    assert "database_password_file" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_the_district_defaults_are_placeholders_until_set() -> None:
    assert Settings().unset_district_settings() == ("district_name", "district_id",
                                                    "portal_url")
    assert "clayton" not in repr(Settings()).lower()
    done = Settings(district_name="Lakeside", district_id="LKS1",
                    portal_url="https://portal.lakeside.example/")
    assert done.unset_district_settings() == ()


def test_the_placeholder_refusal_names_each_unset_setting() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings(district_name="Lakeside").require_district("kiosk run")
    message = str(raised.value)
    assert "district_id" in message and "portal_url" in message
    assert "district_name" not in message.split("set ", 1)[1].split(" in ")[0]


def test_the_password_file_password_joins_the_url_in_memory_only(tmp_path: Path) -> None:
    secret = tmp_path / "db-password"
    secret.write_text("s3cret p@ss:/%\n")
    os.chmod(secret, 0o600)
    settings = load_settings({"KIOSK_DATABASE_URL": "postgresql://kiosk@db/kiosk",
                              "KIOSK_DATABASE_PASSWORD_FILE": str(secret)})
    assert "s3cret" not in settings.database_url and "s3cret" not in repr(settings)
    url = make_url(settings.connection_url())
    assert (url.username, url.password, url.host, url.database) == (
        "kiosk", "s3cret p@ss:/%", "db", "kiosk")


def test_a_password_file_readable_by_everyone_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "db-password"
    secret.write_text("s3cret\n")
    os.chmod(secret, 0o644)
    settings = Settings(database_url="postgresql://kiosk@db/kiosk",
                        database_password_file=str(secret))
    with pytest.raises(ConfigurationError, match="chmod 600"):
        settings.connection_url()


def test_a_missing_password_file_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql://kiosk@db/kiosk",
                        database_password_file=str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError) as raised:
        settings.connection_url()
    assert "database_password_file" in str(raised.value) and "\n" not in str(raised.value)
