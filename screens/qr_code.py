"""QRCode: a QR code drawn with half-block characters, two module rows per text row.

A terminal cell is about twice as tall as it is wide, so one module per column and
two per row keeps the modules square enough for a phone camera. The code is drawn
black on white whatever the theme (scanners want dark modules on a light ground),
with a quiet zone of QUIET_ZONE modules around it.
"""

from __future__ import annotations

from textual.widgets import Static

from screens.text import literal

QUIET_ZONE = 2
UPPER = "▀"
LOWER = "▄"
FULL = "█"
BLANK = " "


def qr_matrix(data: str, *, border: int = QUIET_ZONE) -> list[list[bool]]:
    """Dark modules (True) of the QR code for `data`, quiet zone included."""
    import segno  # about 60 ms: only the account screen needs it

    code = segno.make(data, error="l", micro=False)  # segno raises the level when it fits
    return [[bool(module) for module in row]
            for row in code.matrix_iter(scale=1, border=border)]


def half_block_lines(matrix: list[list[bool]]) -> list[str]:
    """Two matrix rows per line: ▀ top dark, ▄ bottom dark, █ both, space neither."""
    lines = []
    for top_index in range(0, len(matrix), 2):
        top = matrix[top_index]
        bottom = matrix[top_index + 1] if top_index + 1 < len(matrix) else [False] * len(top)
        lines.append("".join(
            FULL if up and down else UPPER if up else LOWER if down else BLANK
            for up, down in zip(top, bottom, strict=True)))
    return lines


class QRCode(Static):
    """The QR code of `data`; its colours are fixed in the style sheet (black on white)."""

    def __init__(self, data: str, *, id: str | None = None,
                 classes: str | None = None) -> None:
        self.lines = half_block_lines(qr_matrix(data))
        super().__init__(literal("\n".join(self.lines)), markup=False, id=id, classes=classes)
