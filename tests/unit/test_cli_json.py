"""`--json` output: a list of records is laid out fast, and reads exactly as before."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kiosk.cli.common import print_json

RECORDS: list[dict[str, Any]] = [
    {"guardian_id": "gua-1", "guardian_name": "Zoë \"Q\" O'Brien \\ 李", "count": 3,
     "share": 0.25, "active": True, "reference": None},
    {"guardian_id": "gua-2", "guardian_name": "line\nbreak\ttab", "count": -1,
     "share": 1e20, "active": False, "reference": "R3F"},
]


def test_print_json_of_records_is_the_text_json_dumps_indents(
        capsys: pytest.CaptureFixture[str]) -> None:
    print_json(RECORDS)
    assert capsys.readouterr().out == json.dumps(RECORDS, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("document", [[], [{}], [{"a": 1}, {}], [{"a": [1, 2]}], {"a": 1}, [3]],
                         ids=["empty", "empty-record", "mixed", "nested", "object", "scalars"])
def test_print_json_of_other_documents_is_the_text_json_dumps_indents(
        document: Any, capsys: pytest.CaptureFixture[str]) -> None:
    print_json(document)
    assert capsys.readouterr().out == json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def test_print_json_escapes_invisible_characters_in_records(
        capsys: pytest.CaptureFixture[str]) -> None:
    print_json([{"name": "a\u202eb\u200bc\x9bd\x7fe", "plain": "Grüße"}])
    out = capsys.readouterr().out
    assert "a\\u202eb\\u200bc\\u009bd\\u007fe" in out and "Grüße" in out
    assert not any(char in out for char in "\u202e\u200b\x9b\x7f")
    assert json.loads(out) == [{"name": "a\u202eb\u200bc\x9bd\x7fe", "plain": "Grüße"}]
