"""The baseline for the cold-start figure: a bare Textual app with one Input.

Run as a script (`python bench/bare_app.py`), the way the `kiosk` console script
runs: a new interpreter that imports Textual and paints its first screen.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input

MARKER = "Type here"


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(placeholder=MARKER)


if __name__ == "__main__":
    BareApp().run()
