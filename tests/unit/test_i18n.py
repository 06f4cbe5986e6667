"""Every parent-facing string has a Spanish translation, and the compiled catalog is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from kiosk import errors
from kiosk.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, core_messages, other_language, translator
from kiosk.security import policy

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w*)\}")
SPANISH_PO = LOCALE_DIR / "es" / "LC_MESSAGES" / f"{DOMAIN}.po"


def extracted_messages() -> set[str]:
    """What pybabel finds in the source today (not what the .pot said last time)."""
    found: set[str] = set()
    for source in ("kiosk", "screens"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(ROOT / source), method_map=[("**.py", "python")]):
            if isinstance(message, str) and message:
                found.add(message)
    return found


def parent_facing() -> set[str]:
    return extracted_messages() | set(core_messages())


@pytest.fixture(scope="module")
def spanish() -> dict[str, tuple[str, bool]]:
    with SPANISH_PO.open("rb") as handle:
        catalog = read_po(handle, locale="es", domain=DOMAIN)
    return {message.id: (message.string, message.fuzzy) for message in catalog
            if isinstance(message.id, str) and message.id and isinstance(message.string, str)}


def test_core_messages_cover_every_error_and_rule() -> None:
    collected = set(core_messages())
    for name in dir(errors):
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, errors.KioskError):
            message = cls.__dict__.get("message")
            if isinstance(message, str) and message != "{problems}":
                assert message in collected, name
    assert set(policy.MESSAGES) <= collected
    assert "Reference:" in collected


def test_every_parent_facing_string_has_a_spanish_translation(
        spanish: dict[str, tuple[str, bool]]) -> None:
    untranslated = sorted(m for m in parent_facing()
                          if m not in spanish or not spanish[m][0] or spanish[m][1])
    assert not untranslated, (
        "run `bash scripts/compile_catalogs.sh`, then translate in "
        f"{SPANISH_PO.relative_to(ROOT)}: {untranslated}")


def test_translations_keep_their_placeholders(spanish: dict[str, tuple[str, bool]]) -> None:
    for msgid, (msgstr, _fuzzy) in spanish.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid


def test_compiled_catalog_matches_the_po(spanish: dict[str, tuple[str, bool]]) -> None:
    translate = translator("es")
    stale = [msgid for msgid, (msgstr, _) in spanish.items()
             if msgstr and translate(msgid) != msgstr]
    assert not stale, "the .mo is older than the .po: run bash scripts/compile_catalogs.sh"


def test_the_template_lists_every_string() -> None:
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle, domain=DOMAIN) if m.id}
    assert parent_facing() <= template


def test_translator_and_language_switch() -> None:
    assert translator("en")("Log in") == "Log in"
    assert translator("es")("Log in") == "Iniciar sesión"
    assert errors.KeyExpired(reference="AB12CD").text(translator("es")).endswith(
        "Referencia: AB12CD")
    assert other_language("en") == "es"
    assert other_language("es") == "en"
    assert set(LANGUAGES) == {"en", "es"}
    with pytest.raises(ValueError, match="unknown language"):
        translator("fr")


def test_rules_render_in_spanish_with_their_numbers() -> None:
    rules = policy.PasswordPolicy(15, "Clayton").checklist("abc")
    minimum = next(rule for rule in rules if rule.key == "min_length")
    assert minimum.render(translator("es")) == "Al menos 15 caracteres"
