#!/usr/bin/env bash
# Rebuild the gettext catalogs of the parent kiosk (Babel, offline, idempotent).
#
#   bash scripts/compile_catalogs.sh          # or: make catalogs
#
# 1. extract: every _()/N_() string of kiosk/ and screens/ (pybabel's Python
#    extractor), plus the messages the core keeps as data (kiosk.i18n.core_messages:
#    error messages, password and username rules), into kiosk/locale/kiosk.pot;
# 2. update: merge the template into each kiosk/locale/<lang>/LC_MESSAGES/kiosk.po,
#    keeping existing translations (new strings arrive untranslated, unused ones go);
# 3. compile: write kiosk.mo next to each .po.
# Files are rewritten only when their content changes, and no timestamp is written,
# so running it twice changes nothing. tests/unit/test_i18n.py fails while any
# parent-facing string has no Spanish translation.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=${PYTHON:-python3}; fi

"$PYTHON" - <<'PY'
from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

sys.path.insert(0, ".")
from kiosk.i18n import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, LOCALE_DIR, core_messages  # noqa: E402

SOURCES = ("kiosk", "screens")
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)  # no "now": reruns must not change files
HEADER = dict(project="Portal Kiosk", version="1", copyright_holder="Portal Kiosk authors",
              msgid_bugs_address="", creation_date=FIXED_DATE, revision_date=FIXED_DATE,
              charset="utf-8", fuzzy=False)


def template() -> Catalog:
    catalog = Catalog(domain=DOMAIN, **HEADER)
    for source in SOURCES:
        for _filename, _lineno, message, _comments, context in extract_from_dir(
                source, method_map=[("**.py", "python")]):
            if isinstance(message, str) and message:
                catalog.add(message, context=context)
    for message in core_messages():
        catalog.add(message)
    return catalog


def serialize_po(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, omit_header=False, sort_output=True, no_location=True,
             ignore_obsolete=True, width=88)
    return buffer.getvalue()


def serialize_mo(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def write_if_changed(path: Path, content: bytes) -> None:
    if path.exists() and path.read_bytes() == content:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    print(f"compile_catalogs: wrote {path}")


pot = template()
write_if_changed(LOCALE_DIR / f"{DOMAIN}.pot", serialize_po(pot))
for language in LANGUAGES:
    if language == DEFAULT_LANGUAGE:
        continue
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if po_path.exists():
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language, domain=DOMAIN)
    else:
        catalog = Catalog(locale=language, domain=DOMAIN, **HEADER)
    catalog.update(pot, no_fuzzy_matching=True, update_header_comment=False)
    catalog.revision_date = FIXED_DATE
    catalog.creation_date = FIXED_DATE
    catalog.fuzzy = False
    write_if_changed(po_path, serialize_po(catalog))
    write_if_changed(po_path.with_suffix(".mo"), serialize_mo(catalog))
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    if missing:
        print(f"compile_catalogs: {language}: {len(missing)} message(s) not translated yet",
              file=sys.stderr)
PY
