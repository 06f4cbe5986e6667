"""StrengthMeter: a bar of filled and empty blocks plus the strength in words."""

from __future__ import annotations

from kiosk.i18n import Translate
from kiosk.security.policy import STRENGTH_LABELS, Strength
from screens.plain_text import PlainText

FILLED = "■"
EMPTY = "□"


class StrengthMeter(PlainText):
    """`Strength: ■■■□□ Strong` — the label carries the meaning, the bar only repeats it."""

    def __init__(self, translate: Translate, *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self._translate = translate
        self.show(Strength(score=0, label=STRENGTH_LABELS[0]))

    def show(self, strength: Strength) -> None:
        _ = self._translate
        steps = len(STRENGTH_LABELS)
        filled = strength.score + 1
        bar = FILLED * filled + EMPTY * (steps - filled)
        self.set_text(_("Strength: {bar} {label}").format(bar=bar, label=_(strength.label)))
        for score in range(steps):
            self.set_class(score == strength.score, f"-score-{score}")
