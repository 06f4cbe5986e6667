"""Letters name the district that sent them: placeholders refuse, Spanish stays Spanish."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk.errors import ConfigurationError
from kiosk.letters import write_letters
from kiosk.services.views import IssuedKey
from kiosk.settings import Settings

DISTRICT = Settings(database_url="sqlite://", district_name="Lakeside District",
                    district_id="LKS1", portal_url="https://portal.lakeside.example/",
                    timezone="America/Chicago")
KEY = IssuedKey(guardian_id="g-1", guardian_name="María López",
                activation_key="7KQ2M-XR4TB-9HCJD-0WNEA-6PV3F",
                expires_at=datetime(2026, 9, 22, 3, 30, tzinfo=UTC),
                student_names=("Ana López",))


def _text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_placeholder_district_settings_refuse_letters(tmp_path: Path) -> None:
    path = tmp_path / "letters.pdf"
    with pytest.raises(ConfigurationError) as raised:
        write_letters(path, [KEY], Settings(database_url="sqlite://"))
    assert "district_name, district_id, portal_url" in str(raised.value)
    assert not path.exists()


def test_the_spanish_steps_have_no_english_sentence(tmp_path: Path) -> None:
    path = tmp_path / "letters.pdf"
    write_letters(path, [KEY], DISTRICT)
    text = _text(path)
    spanish = text.split("Cómo activar su cuenta", 1)[1].split("This key is for you", 1)[0]
    assert "la oficina principal de la escuela" in spanish
    english_words = re.compile(r"\b(the|and|your|choose|with|front|office|of)\b")
    assert english_words.findall(spanish) == []


def test_the_letter_names_the_expiry_time_zone(tmp_path: Path) -> None:
    path = tmp_path / "letters.pdf"
    write_letters(path, [KEY], DISTRICT)
    # 03:30 UTC on the 22nd is 22:30 on the 21st in Chicago.
    assert "(America/Chicago)" in _text(path)
    assert "September 21, 2026 at 10:30" in _text(path)
