"""The QR code on the account screen: faithful to segno's matrix, with a quiet zone, small
enough for 80x24."""

from __future__ import annotations

import pytest

from screens.qr_code import FULL, LOWER, QUIET_ZONE, UPPER, half_block_lines, qr_matrix

URLS = ["https://www.clayton.k12.ga.us/", "https://portal.example.org/parents",
        "http://a.b/"]


def decode(lines: list[str], height: int) -> list[list[bool]]:
    """Read the half blocks back into module rows."""
    rows: list[list[bool]] = []
    for line in lines:
        rows.append([char in (FULL, UPPER) for char in line])
        rows.append([char in (FULL, LOWER) for char in line])
    return rows[:height]


@pytest.mark.parametrize("url", URLS)
def test_half_blocks_draw_exactly_the_qr_matrix(url: str) -> None:
    matrix = qr_matrix(url)
    lines = half_block_lines(matrix)
    assert decode(lines, len(matrix)) == matrix
    assert len(lines) == (len(matrix) + 1) // 2
    assert {len(line) for line in lines} == {len(matrix)}
    assert set("".join(lines)) <= {FULL, UPPER, LOWER, " "}


@pytest.mark.parametrize("url", URLS)
def test_quiet_zone_is_light(url: str) -> None:
    matrix = qr_matrix(url)
    for row in (*matrix[:QUIET_ZONE], *matrix[-QUIET_ZONE:]):
        assert not any(row)
    for row in matrix:
        assert not any(row[:QUIET_ZONE]) and not any(row[-QUIET_ZONE:])
    inner = matrix[QUIET_ZONE]
    assert inner[QUIET_ZONE:QUIET_ZONE + 7] == [True] * 7  # a finder pattern starts there


def test_default_portal_fits_an_80x24_account_screen() -> None:
    lines = half_block_lines(qr_matrix("https://www.clayton.k12.ga.us/"))
    assert len(lines) <= 17
    assert len(lines[0]) <= 33
