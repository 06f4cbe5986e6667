"""The QR code on each activation letter scans back to exactly the key printed beside it.

The letter is written by the product, its page rendered to an image by poppler
(pdftoppm, as a printer would put it on paper at 150 dpi), and the code read by a
real QR reader (zbarimg). Both are Debian packages the test command installs.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk.letters import write_letters
from kiosk.security.keys import format_key, generate_key
from kiosk.services.views import IssuedKey
from kiosk.settings import Settings

SETTINGS = Settings(database_url="sqlite://", district_name="Lakeside District",
                    district_id="LKSD42", portal_url="https://portal.example.org/",
                    kiosk_location="the Lakeside front office", timezone="America/New_York")
DPI = 150


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: scripts/test.sh installs Debian's {package}",
                    pytrace=False)
    return path


@pytest.mark.e2e
def test_the_letter_qr_code_decodes_to_exactly_the_printed_key(tmp_path: Path) -> None:
    keys = [format_key(generate_key()) for _ in range(2)]
    letters = tmp_path / "letters.pdf"
    write_letters(letters, [
        IssuedKey(guardian_id=f"g-{n}", guardian_name=f"Guardian {n}", activation_key=key,
                  expires_at=datetime(2026, 9, 22, tzinfo=UTC), student_names=("Ana",))
        for n, key in enumerate(keys)], SETTINGS)
    pages = PdfReader(letters).pages
    pdftoppm = _tool("pdftoppm", "poppler-utils")
    zbarimg = _tool("zbarimg", "zbar-tools")

    for number, key in enumerate(keys, start=1):
        assert key in " ".join(pages[number - 1].extract_text().split())  # printed
        image = tmp_path / f"page-{number}"
        subprocess.run([pdftoppm, "-r", str(DPI), "-gray", "-f", str(number), "-l",
                        str(number), "-singlefile", str(letters), str(image)],
                       check=True, capture_output=True, timeout=60)
        decoded = subprocess.run([zbarimg, "--quiet", "--raw", f"{image}.pgm"],
                                 capture_output=True, text=True, timeout=60, check=False)
        assert decoded.returncode == 0, decoded.stderr
        assert decoded.stdout.splitlines() == [key]
