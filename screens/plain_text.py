"""PlainText: a Static that only ever shows literal text."""

from __future__ import annotations

from textual.widgets import Static

from screens.text import clean, literal


class PlainText(Static):
    """Static without markup. Everything it shows went through `screens.text.clean`."""

    def __init__(self, text: str = "", *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(literal(text), markup=False, id=id, classes=classes)
        self._text = clean(text, keep_newlines=True)

    @property
    def text(self) -> str:
        """The text shown, as plain characters."""
        return self._text

    def set_text(self, text: str) -> None:
        self._text = clean(text, keep_newlines=True)
        self.update(literal(text))
