"""What create-account and change-password share: live rules, strength, verify match.

The rules use the zxcvbn estimator, which can take 100 ms on a long password, so they
are worked out in a thread worker after each keystroke (the newest one wins) and never
on the event loop.

Spoken: a change in the unmet rules once typing pauses (one utterance, not one per
key), and on focus each password field's rule state and length, never its content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.timer import Timer
from textual.widgets import Input

from kiosk.errors import RulesNotMet
from kiosk.i18n import Translate
from kiosk.security.policy import PasswordPolicy, Rule, Strength, username_checklist
from kiosk.speech import utterances as speech
from screens.base import FormScreen
from screens.plain_text import PlainText
from screens.rule_checklist import CHECK, CROSS, RuleChecklist
from screens.strength_meter import StrengthMeter
from screens.workers import CallEnded, thread_call

RULES_GROUP = "rules"
PASSWORD_INPUT_MAX = 256  # above the 128 limit, so the rule can say so instead of a bell
# Typing paused this long: say what changed in the checklist.
RULES_PAUSE_SECONDS = 0.6
NEW_PASSWORD_FIELDS = frozenset({"password", "new-password"})


@dataclass(frozen=True)
class FormValues:
    username: str
    password: str
    verify: str
    current: str | None  # None where the form has no current-password field


@dataclass(frozen=True)
class RulesReading:
    username_rules: list[Rule]
    password_rules: list[Rule]
    strength: Strength
    verify_rule: Rule | None


def read_rules(policy: PasswordPolicy, values: FormValues, *, check_username: bool) -> RulesReading:
    """Every rule for the values (blocking: runs zxcvbn)."""
    rules = policy.checklist(values.password, username=values.username, verify=values.verify,
                             current=values.current)
    verify_rule = next((rule for rule in rules if rule.key == "verify"), None)
    return RulesReading(
        username_rules=username_checklist(values.username) if check_username else [],
        password_rules=[rule for rule in rules if rule.key != "verify"],
        strength=policy.strength(values.password, username=values.username),
        verify_rule=verify_rule)


def unmet(reading: RulesReading, translate: Translate) -> list[str]:
    """The text of every unmet rule, username first, the verify match last."""
    rules = [*reading.username_rules, *reading.password_rules]
    if reading.verify_rule is not None:
        rules.append(reading.verify_rule)
    return [rule.render(translate) for rule in rules if not rule.met]


class PasswordFormScreen(FormScreen):
    """Subclasses compose `#password-rules`, `#strength`, `#verify-match` (and optionally
    `#username-rules`) and implement `form_values()`."""

    @dataclass
    class RulesRead(CallEnded):
        """The rules for the newest values (an older reading is never posted)."""

        reading: RulesReading
        """The rules, the strength and the verify match."""

    CHECKS_USERNAME = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: RulesReading | None = None
        self._spoken_unmet: list[str] | None = None
        self._rules_timer: Timer | None = None

    def form_values(self) -> FormValues:
        """What the fields hold now; each form screen defines its own."""
        raise TypeError(f"{type(self).__name__} must define form_values()")

    def unmet_rules_intro(self) -> str:
        """The line above the rules the service found unmet; it names the form's button."""
        raise TypeError(f"{type(self).__name__} must define unmet_rules_intro()")

    def service_failed(self, error: BaseException | None) -> None:
        """The service checks the rules again; the ones it found unmet are listed."""
        if isinstance(error, RulesNotMet):
            self.show_problems(self.unmet_rules_intro(), error.checklist(self.translate))
            return
        super().service_failed(error)

    def password_widgets(self) -> tuple[RuleChecklist, StrengthMeter, PlainText]:
        _ = self.translate
        return (RuleChecklist(_("Your password still needs:"), _("Password rules met"),
                              id="password-rules", classes="checklist"),
                StrengthMeter(self.translate, id="strength", classes="strength"),
                PlainText("", id="verify-match", classes="verify-match"))

    def username_checklist(self) -> RuleChecklist:
        _ = self.translate
        return RuleChecklist(_("Your username still needs:"), _("Username rules met"),
                             id="username-rules", classes="checklist")

    def on_mount(self) -> None:
        self.refresh_rules()

    @on(Input.Changed)
    def _values_changed(self, event: Input.Changed) -> None:
        self.refresh_rules()

    def refresh_rules(self) -> None:
        self._read_rules(self.context.policy, self.form_values())

    @thread_call(RulesRead, group=RULES_GROUP)
    def _read_rules(self, policy: PasswordPolicy, values: FormValues) -> RulesReading:
        return read_rules(policy, values, check_username=self.CHECKS_USERNAME)

    @on(RulesRead)
    def _rules_came_back(self, event: RulesRead) -> None:
        self.show_reading(event.reading)

    def show_reading(self, reading: RulesReading) -> None:
        _ = self.translate
        self._rules_read(reading)
        if self.CHECKS_USERNAME:
            self.query_one("#username-rules", RuleChecklist).show_rules(
                reading.username_rules, self.translate)
        self.query_one("#password-rules", RuleChecklist).show_rules(
            reading.password_rules, self.translate)
        self.query_one("#strength", StrengthMeter).show(reading.strength)
        match = self.query_one("#verify-match", PlainText)
        values_verify_empty = not self.form_values().verify
        if reading.verify_rule is None or values_verify_empty:
            match.set_text(_("Type the new password again in the last box."))
            match.set_class(False, "-match")
            match.set_class(False, "-mismatch")
        elif reading.verify_rule.met:
            match.set_text(_("{mark} The two passwords match").format(mark=CHECK))
            match.set_class(True, "-match")
            match.set_class(False, "-mismatch")
        else:
            match.set_text(_("{mark} The two passwords do not match yet").format(mark=CROSS))
            match.set_class(False, "-match")
            match.set_class(True, "-mismatch")


    # --- speech -------------------------------------------------------------------------
    def _rules_read(self, reading: RulesReading) -> None:
        """Note the newest rules; their change is said once typing pauses."""
        self.reading = reading
        if self._spoken_unmet is None:  # the empty form's rules: the starting point
            self._spoken_unmet = unmet(reading, self.translate)
            return
        if self._rules_timer is not None:
            self._rules_timer.stop()
        self._rules_timer = self.set_timer(RULES_PAUSE_SECONDS, self._speak_rules)

    def _speak_rules(self) -> None:
        if self.reading is None or self._spoken_unmet is None:
            return
        now = unmet(self.reading, self.translate)
        before, self._spoken_unmet = self._spoken_unmet, now
        self.speak(speech.rules_changed(self.translate, before, now))

    def field_state(self, field: Input) -> speech.FieldState:
        state = super().field_state(field)
        reading = self.reading
        if reading is None:
            return state
        unmet_rules: tuple[Rule, ...] = ()
        min_length = None
        if field.id == "username":
            unmet_rules = tuple(rule for rule in reading.username_rules if not rule.met)
        elif field.id in NEW_PASSWORD_FIELDS:
            unmet_rules = tuple(rule for rule in reading.password_rules if not rule.met)
            min_length = self.context.policy.min_length
        elif (field.id == "verify-password" and field.value and reading.verify_rule is not None
              and not reading.verify_rule.met):
            unmet_rules = (reading.verify_rule,)
        return speech.FieldState(label=state.label, value=state.value, secret=state.secret,
                                 unmet=unmet_rules, min_length=min_length)
