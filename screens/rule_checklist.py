"""RuleChecklist: the rules not met yet, each marked with a cross and words."""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.i18n import Translate
from kiosk.security.policy import Rule
from screens.plain_text import PlainText

CROSS = "✗"
CHECK = "✓"


class RuleChecklist(PlainText):
    """Shows the unmet rules under a heading, or one line saying all are met.

    The marks are characters and the lines are words, so nothing depends on colour.
    """

    def __init__(self, heading: str, all_met: str, *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self._heading = heading
        self._all_met = all_met
        self.unmet: list[str] = []

    def show_rules(self, rules: Sequence[Rule], translate: Translate) -> None:
        self.unmet = [rule.render(translate) for rule in rules if not rule.met]
        if self.unmet:
            lines = [self._heading, *(f" {CROSS} {text}" for text in self.unmet)]
            self.set_class(True, "-unmet")
        else:
            lines = [f"{CHECK} {self._all_met}"]
            self.set_class(False, "-unmet")
        self.set_text("\n".join(lines))
