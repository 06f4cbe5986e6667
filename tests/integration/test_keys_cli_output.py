"""`kiosk keys issue` in text: one line per key, all of them, written at once."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.security.keys import key_digest, parse_key
from kiosk.services import activation

from support.builders import KIOSK, add_family, make_context

LINE = re.compile(r"^gua-\d+-0\tParent\d Doe\t(?:[0-9A-Z]{5}-){4}[0-9A-Z]{5}\t"
                  r"expires \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(America/New_York\)$")


def test_keys_issue_text_prints_one_line_per_key_in_the_district_zone(
        migrated_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DATABASE_URL", migrated_database_url)
    monkeypatch.setenv("KIOSK_TIMEZONE", "America/New_York")
    ctx = make_context(migrated_database_url)
    for number in range(3):
        add_family(ctx, guardians=((f"Parent{number}", "Doe"),))
    result = CliRunner().invoke(main, ["keys", "issue", "--all-without-account"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(LINE.match(line) for line in lines), lines
    assert "Issued 3 key(s)." in result.stderr
    # Each printed key is the one stored: it redeems.
    key = lines[1].split("\t")[2]
    assert len(key_digest(parse_key(key))) == 64
    view = activation.create_account(ctx, KIOSK, key, "pdoe1", "correct horse battery staple",
                                     "correct horse battery staple")
    assert view.username == "pdoe1"
