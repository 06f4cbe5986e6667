"""The account screen's QR code scans: its half-block text, drawn as a phone camera
would see it in a terminal (each cell one module wide and two tall), is decoded by a
real QR reader (zbar, installed by the test command) back to the portal address."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from screens.qr_code import half_block_lines, qr_matrix

SCALE = 8  # pixels per module


def _pixels(lines: list[str]) -> list[list[bool]]:
    """Dark pixels of the text: ▀ dark top half, ▄ dark bottom half, █ both."""
    rows: list[list[bool]] = []
    for line in lines:
        rows.append([ch in "▀█" for ch in line])
        rows.append([ch in "▄█" for ch in line])
    return rows


def _write_pgm(path: Path, rows: list[list[bool]]) -> None:
    width, height = len(rows[0]) * SCALE, len(rows) * SCALE
    image = bytearray(b"\xff") * (width * height)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(SCALE):
                    start = (y * SCALE + dy) * width + x * SCALE
                    image[start:start + SCALE] = bytes(SCALE)
    path.write_bytes(f"P5 {width} {height} 255\n".encode() + bytes(image))


@pytest.mark.e2e
@pytest.mark.parametrize("portal", ["https://www.clayton.k12.ga.us/",
                                    "https://parents.example-district.org/portal/login"])
def test_the_half_block_qr_code_decodes_to_the_portal_address(portal: str,
                                                              tmp_path: Path) -> None:
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.fail("zbarimg is missing: scripts/test.sh installs Debian's zbar-tools")
    image = tmp_path / "qr.pgm"
    _write_pgm(image, _pixels(half_block_lines(qr_matrix(portal))))
    decoded = subprocess.run([zbarimg, "--quiet", "--raw", str(image)], capture_output=True,
                             text=True, timeout=60, check=False)
    assert decoded.returncode == 0, decoded.stderr
    assert decoded.stdout.strip() == portal
