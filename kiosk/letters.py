"""Activation letters: one printable PDF page per guardian, in English and Spanish.

Each page holds the guardian's and students' names, the activation key in large
monospaced type (in its groups of five), when it expires (in the district's time
zone, named), where the kiosk is, the District ID and portal address, and short steps.
The Spanish half uses the Spanish values of the settings (`kiosk_location_es`), so it
holds no English sentence. Letters are refused while the district settings are still
the placeholders: a family must never get a letter naming some other district.

fpdf2 costs about 380 ms to import, so it is imported only when a letter is written.
Names come from the roster in any script: a Unicode TrueType font shipped by the
system (DejaVu) is used when present; otherwise the PDF core fonts are used and
characters they cannot show are replaced, so a letter is always written.

The file holds activation keys in clear, so it is created new (never over an existing
file, nor through a symbolic link) and readable by its owner only (0600).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.private_files import private_file
from kiosk.services.views import IssuedKey
from kiosk.settings import Settings

FONT_DIRECTORIES = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)
SANS, SANS_BOLD, MONO = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"
QR_SIZE_MM = 32.0


@dataclass(frozen=True)
class _Fonts:
    """Font family names registered in the document, and whether they are Unicode."""

    sans: str
    mono: str
    unicode: bool


def find_unicode_fonts(directories: Sequence[Path] = FONT_DIRECTORIES) -> dict[str, Path] | None:
    """Paths of DejaVu Sans, Sans Bold and Sans Mono, or None if any is missing."""
    for directory in directories:
        paths = {name: directory / name for name in (SANS, SANS_BOLD, MONO)}
        if all(path.is_file() for path in paths.values()):
            return paths
    return None


def write_letters(path: str | Path, issued: Sequence[IssuedKey], settings: Settings, *,
                  font_directories: Sequence[Path] = FONT_DIRECTORIES) -> None:
    """Write one letter page per issued key to a new file `path` (a PDF), mode 0600.

    Raises Refused, naming the path, when the file already exists or cannot be written;
    an existing file is never touched, and a file this call created is removed again if
    the letters cannot be written in full.
    """
    settings.require_district("activation letters")
    with private_file(path) as handle:
        handle.write(_render(issued, settings, font_directories))


def _render(issued: Sequence[IssuedKey], settings: Settings,
            font_directories: Sequence[Path]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="Letter")
    pdf.set_title(f"{settings.district_name}: parent portal activation letters")
    pdf.set_author(settings.district_name)
    pdf.set_creator("Portal Kiosk")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(left=20, top=18, right=20)
    fonts = _register_fonts(pdf, font_directories)
    for key in issued:
        _page(pdf, fonts, key, settings)
    return bytes(pdf.output())


def _register_fonts(pdf: Any, font_directories: Sequence[Path]) -> _Fonts:
    paths = find_unicode_fonts(font_directories)
    if paths is None:
        return _Fonts(sans="Helvetica", mono="Courier", unicode=False)
    pdf.add_font("KioskSans", "", str(paths[SANS]))
    pdf.add_font("KioskSans", "B", str(paths[SANS_BOLD]))
    pdf.add_font("KioskMono", "", str(paths[MONO]))
    return _Fonts(sans="KioskSans", mono="KioskMono", unicode=True)


def printable(text: str, *, unicode_font: bool) -> str:
    """Text safe to put on the page: no control or format characters, and only
    Latin-1 when the core fonts are in use (anything else becomes '?')."""
    cleaned = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    if unicode_font:
        return cleaned
    return cleaned.encode("latin-1", errors="replace").decode("latin-1")


def _page(pdf: Any, fonts: _Fonts, key: IssuedKey, settings: Settings) -> None:
    def put(text: str, size: float, *, bold: bool = False, mono: bool = False,
            height: float | None = None, align: str = "L") -> None:
        pdf.set_font(fonts.mono if mono else fonts.sans, "B" if bold and not mono else "", size)
        pdf.multi_cell(0, height or size * 0.5, printable(text, unicode_font=fonts.unicode),
                       align=align, new_x="LMARGIN", new_y="NEXT")

    def gap(mm: float = 3) -> None:
        pdf.ln(mm)

    expires = key.expires_at.astimezone(settings.zone)
    students = ", ".join(key.student_names) if key.student_names else "-"

    pdf.add_page()
    put(settings.district_name, 16, bold=True)
    put("Parent portal activation letter / Carta de activación del portal para familias", 11)
    gap(5)
    put(f"For / Para: {key.guardian_name}", 13, bold=True)
    put(f"Students / Estudiantes: {students}", 11)
    gap(6)
    put("Your activation key / Su clave de activación:", 11)
    gap(2)
    _key_with_code(pdf, fonts, key.activation_key)
    gap(2)
    put(f"Expires / Vence: {_date(expires, 'en')} / {_date(expires, 'es')} "
        f"({settings.timezone})", 11, bold=True)
    put(f"Kiosk / Quiosco: {settings.kiosk_location} / {settings.kiosk_location_es}", 11)
    put(f"District ID / ID del distrito: {settings.district_id}", 11)
    put(f"Parent portal / Portal para familias: {settings.portal_url}", 11)
    gap(6)
    put("How to activate your account", 12, bold=True)
    for number, step in enumerate(_steps_en(settings), start=1):
        put(f"{number}. {step}", 10)
    gap(4)
    put("Cómo activar su cuenta", 12, bold=True)
    for number, step in enumerate(_steps_es(settings), start=1):
        put(f"{number}. {step}", 10)
    gap(4)
    put("This key is for you alone and works once. Keep this letter private. / "
        "Esta clave es solo para usted y sirve una sola vez. Guarde esta carta en privado.",
        9)


def _key_with_code(pdf: Any, fonts: _Fonts, activation_key: str) -> None:
    """The key in large type, and beside it a QR code of the same grouped key.

    A keyboard-wedge scanner at the kiosk reads the code and types the key. The code
    is 32 mm wide (about 1 mm a module, with the quiet zone): a hand scanner reads it
    from a printed page at arm's length.
    """
    import segno

    image = io.BytesIO()
    segno.make(activation_key, error="m", micro=False).save(image, kind="png", scale=10,
                                                           border=4)
    image.seek(0)
    top = pdf.get_y()
    code_left = pdf.w - pdf.r_margin - QR_SIZE_MM
    pdf.image(image, x=code_left, y=top, w=QR_SIZE_MM, h=QR_SIZE_MM)
    pdf.set_font(fonts.mono, "", 20)
    pdf.set_xy(pdf.l_margin, top + (QR_SIZE_MM - 13) / 2)
    pdf.cell(code_left - pdf.l_margin - 2, 13, activation_key, align="C")
    pdf.set_font(fonts.sans, "", 8)
    pdf.set_xy(code_left, top + QR_SIZE_MM)
    pdf.cell(QR_SIZE_MM, 4, "Scan at the kiosk / Escanear en el quiosco", align="C")
    pdf.set_xy(pdf.l_margin, top + QR_SIZE_MM + 4)


def _date(moment: datetime, locale: str) -> str:
    from babel.dates import format_date, format_time

    day = format_date(moment.date(), format="long", locale=locale)
    time = format_time(moment.time(), format="short", locale=locale)
    joiner = " at " if locale == "en" else " a las "
    return f"{day}{joiner}{time}"


def _steps_en(settings: Settings) -> list[str]:
    return [
        f"Go to the parent kiosk at {settings.kiosk_location} and choose "
        "\"I have an activation key\".",
        "Type the key printed above. Capital or small letters and the dashes do not matter.",
        "Choose a username (letters and digits, not only digits) and a password of at least "
        f"{settings.password_min_length} characters. Type the password twice, then choose "
        "Create Account.",
        f"Log in to the portal at {settings.portal_url} with your username and password. "
        f"In the mobile app, use the District ID {settings.district_id}.",
    ]


def _steps_es(settings: Settings) -> list[str]:
    return [
        f"Vaya al quiosco para familias en {settings.kiosk_location_es} y elija "
        "\"Tengo una clave de activación\".",
        "Escriba la clave impresa arriba. No importan las mayúsculas, las minúsculas ni los "
        "guiones.",
        "Elija un nombre de usuario (letras y números, no solo números) y una contraseña de "
        f"al menos {settings.password_min_length} caracteres. Escriba la contraseña dos veces "
        "y elija Crear cuenta.",
        f"Entre al portal en {settings.portal_url} con su usuario y contraseña. En la "
        f"aplicación móvil, use el ID del distrito {settings.district_id}.",
    ]
