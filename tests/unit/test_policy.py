"""Username and password rules, as checklists and as problem lists."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.errors import ConfigurationError, RulesNotMet
from kiosk.security.policy import (
    CHARACTERS_RULE,
    DIFFERS_FROM_CURRENT_RULE,
    MAX_LENGTH_RULE,
    MESSAGES,
    MIN_LENGTH_RULE,
    NO_DISTRICT_RULE,
    NO_USERNAME_RULE,
    NOT_COMMON_RULE,
    PASSWORDS_MATCH_RULE,
    USERNAME_CHARACTERS_RULE,
    USERNAME_LENGTH_RULE,
    USERNAME_LETTER_RULE,
    PasswordPolicy,
    Rule,
    canonical_username,
    normalize_password,
    username_checklist,
    username_problems,
)

GOOD = "purple kettle meadow lantern"
DISTRICT = "Clayton County Public Schools"
FAST = settings(max_examples=200, deadline=None)


@pytest.fixture
def policy() -> PasswordPolicy:
    return PasswordPolicy(15, DISTRICT)


def unmet(rules: list[Rule]) -> set[str]:
    return {rule.key for rule in rules if not rule.met}


# --- usernames --------------------------------------------------------------------

def test_a_username_is_compared_stripped_and_in_lower_case() -> None:
    assert canonical_username("  MariaG2 \n") == "mariag2"


@pytest.mark.parametrize(("name", "ok"), [
    ("ab1", False), ("abc1", True), ("a" * 32, True), ("a" * 33, False),
])
def test_a_username_has_4_to_32_characters(name: str, ok: bool) -> None:
    assert ("length" not in unmet(username_checklist(name))) is ok


def test_a_username_of_only_digits_is_refused() -> None:
    assert username_problems("123456") == [USERNAME_LETTER_RULE]


@pytest.mark.parametrize("name", ["maría1", "jose_1", "ann smith", "bob-1", "Ｂob1", "bob\x00"])
def test_a_username_has_only_ascii_letters_and_digits(name: str) -> None:
    assert USERNAME_CHARACTERS_RULE in username_problems(name)


def test_a_good_username_has_no_problems() -> None:
    assert username_problems("MariaGarcia2") == []
    assert all(rule.met for rule in username_checklist("MariaGarcia2"))


def test_surrounding_spaces_do_not_count_against_a_username() -> None:
    assert username_problems("  maria ") == []


def test_an_empty_username_lists_every_unmet_rule() -> None:
    expected = [USERNAME_LENGTH_RULE.format(min=4, max=32), USERNAME_LETTER_RULE]
    assert username_problems("") == expected


# --- password length --------------------------------------------------------------

@pytest.mark.parametrize(("length", "ok"), [(14, False), (15, True), (128, True), (129, False)])
def test_a_password_has_15_to_128_code_points(
        policy: PasswordPolicy, length: int, ok: bool) -> None:
    # Random-looking text, so that only the length rules can fail.
    password = ("q7#Zr!xW2m@Lp9$v" * 9)[:length]
    assert unmet(policy.checklist(password)).isdisjoint({"min_length", "max_length"}) is ok


def test_the_length_messages_carry_their_figures(policy: PasswordPolicy) -> None:
    assert "At least 15 characters long" in policy.problems("short")
    assert "No more than 128 characters long" in policy.problems("x" * 129)


def test_length_is_counted_after_nfkc(policy: PasswordPolicy) -> None:
    # U+FDFA is one code point that NFKC expands to 18; "ﬀ" (U+FB00) expands to "ff".
    assert "min_length" not in unmet(policy.checklist("\ufdfa"))
    assert "min_length" in unmet(policy.checklist("\ufb00" * 7))
    assert "min_length" not in unmet(policy.checklist("\ufb00" * 8))


def test_length_counts_code_points_not_bytes(policy: PasswordPolicy) -> None:
    assert "min_length" not in unmet(policy.checklist("🦊🌵🎻🧭🪁🍉🚲🦉🌋🎲🧩🪴🛶🥁🗝"))
    assert "min_length" in unmet(policy.checklist("🦊🌵🎻🧭🪁🍉🚲🦉🌋🎲🧩🪴🛶🥁"))


def test_a_long_password_is_never_truncated(policy: PasswordPolicy) -> None:
    assert MAX_LENGTH_RULE.format(max=128) in policy.problems(GOOD * 5)


def test_the_minimum_length_is_configurable(policy: PasswordPolicy) -> None:
    assert PasswordPolicy(8).min_length == 8
    assert "min_length" not in unmet(PasswordPolicy(8).checklist("Vx7#qLm2"))


@pytest.mark.parametrize("length", [7, 0, -1, 129])
def test_a_minimum_length_below_8_or_above_128_is_refused(length: int) -> None:
    with pytest.raises(ConfigurationError, match="password_min_length"):
        PasswordPolicy(length)


# --- password content -------------------------------------------------------------

def test_a_good_password_meets_every_rule(policy: PasswordPolicy) -> None:
    assert policy.problems(GOOD, username="maria2", verify=GOOD, current="old one") == []
    policy.check(GOOD, username="maria2", verify=GOOD, current="old one")


def test_spaces_and_any_unicode_letters_are_allowed(policy: PasswordPolicy) -> None:
    assert policy.problems("niño feliz con café y 狐狸 ☕") == []


@pytest.mark.parametrize("char", ["\x00", "\t", "\n", "\x1b", "\u202e", "\u200b", "\ufeff"])
def test_control_and_format_characters_are_refused(policy: PasswordPolicy, char: str) -> None:
    assert policy.problems(GOOD + char) == [CHARACTERS_RULE]


@pytest.mark.parametrize("password", [
    "password12345678", "123456789012345", "qwertyuiopasdfgh", "aaaaaaaaaaaaaaaa",
    "iloveyouiloveyou",
])
def test_a_common_password_is_refused(policy: PasswordPolicy, password: str) -> None:
    assert NOT_COMMON_RULE in policy.problems(password)


def test_the_district_words_count_as_easy_to_guess() -> None:
    password = "Zorbafrankel2024"
    assert NOT_COMMON_RULE not in PasswordPolicy(15).problems(password)
    assert NOT_COMMON_RULE in PasswordPolicy(15, "Zorbafrankel Unified").problems(password)


def test_the_estimator_gets_the_names_and_kiosk_words_and_only_100_characters(
        policy: PasswordPolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    import zxcvbn

    seen: list[tuple[str, list[str]]] = []

    def fake(password: str, user_inputs: list[str], max_length: int = 72) -> dict[str, int]:
        seen.append((password, user_inputs))
        return {"score": 4}

    monkeypatch.setattr(zxcvbn, "zxcvbn", fake)
    policy.checklist("x" * 10_000, username="Maria2")
    [(password, inputs)] = seen
    assert password == "x" * 100
    assert set(inputs) >= {"maria2", DISTRICT, "Clayton", "County", "Public", "Schools",
                           "portal", "kiosk", "password"}


def test_a_password_containing_the_username_is_refused(policy: PasswordPolicy) -> None:
    problems = policy.problems("my MariaG2 purple kettle", username="mariag2")
    assert NO_USERNAME_RULE in problems


def test_a_username_shorter_than_3_is_not_looked_for(policy: PasswordPolicy) -> None:
    assert "username" not in unmet(policy.checklist("ab purple kettle meadow", username="ab"))


def test_the_username_rule_is_listed_only_with_a_username(policy: PasswordPolicy) -> None:
    assert "username" not in {rule.key for rule in policy.checklist(GOOD)}
    assert "username" in {rule.key for rule in policy.checklist(GOOD, username="maria2")}


@pytest.mark.parametrize("password", [
    "i love CLAYTON county public schools!", "ClaytonCountyPublicSchools 4ever",
    "clayton-county-public-schools",
])
def test_a_password_containing_the_district_name_is_refused(
        policy: PasswordPolicy, password: str) -> None:
    assert NO_DISTRICT_RULE in policy.problems(password)


def test_one_word_of_the_district_name_is_allowed(policy: PasswordPolicy) -> None:
    assert NO_DISTRICT_RULE not in policy.problems("clayton purple kettle meadow")


def test_without_a_district_name_there_is_no_district_rule() -> None:
    assert "district" not in {rule.key for rule in PasswordPolicy().checklist(GOOD)}


def test_the_new_password_must_differ_from_the_current_one(policy: PasswordPolicy) -> None:
    assert policy.problems(GOOD, current=GOOD) == [DIFFERS_FROM_CURRENT_RULE]
    assert policy.problems(GOOD, current="k7m2p-x9q4r-tz8wn-c3vhe") == []


def test_the_current_password_is_compared_after_nfkc(policy: PasswordPolicy) -> None:
    problems = policy.problems("café au lait ☕ blue", current="cafe\u0301 au lait ☕ blue")
    assert DIFFERS_FROM_CURRENT_RULE in problems


def test_the_two_passwords_must_match(policy: PasswordPolicy) -> None:
    assert policy.problems(GOOD, verify=GOOD + " ") == ["The two passwords match"]
    assert PASSWORDS_MATCH_RULE == "The two passwords match"


def test_two_empty_passwords_do_not_count_as_matching(policy: PasswordPolicy) -> None:
    assert "verify" in unmet(policy.checklist("", verify=""))


def test_the_verify_rule_is_listed_only_when_verifying(policy: PasswordPolicy) -> None:
    assert "verify" not in {rule.key for rule in policy.checklist(GOOD)}


def test_every_failed_rule_is_reported_at_once(policy: PasswordPolicy) -> None:
    password = "maria2\x00"
    keys = unmet(policy.checklist(password, username="maria2", verify="x", current=password))
    assert keys == {"min_length", "characters", "common", "username", "current", "verify"}


def test_check_raises_rules_not_met_with_every_problem(policy: PasswordPolicy) -> None:
    with pytest.raises(RulesNotMet) as caught:
        policy.check("password", verify="passw0rd")
    assert caught.value.problems == policy.problems("password", verify="passw0rd")
    assert len(caught.value.problems) == 3


def test_a_rules_not_met_error_never_contains_the_password(policy: PasswordPolicy) -> None:
    secret = "hunter2hunter2"
    with pytest.raises(RulesNotMet) as caught:
        policy.check(secret, verify=secret + "x", current=secret)
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)


def test_the_checklist_keeps_a_fixed_order(policy: PasswordPolicy) -> None:
    keys = [rule.key for rule in policy.checklist("", username="x1y2", verify="", current="")]
    assert keys == ["min_length", "max_length", "characters", "common", "username", "district",
                    "current", "verify"]


# --- strength ---------------------------------------------------------------------

def test_an_empty_password_is_very_weak(policy: PasswordPolicy) -> None:
    strength = policy.strength("")
    assert (strength.score, strength.label) == (0, "Very weak")


def test_a_long_random_passphrase_is_very_strong(policy: PasswordPolicy) -> None:
    strength = policy.strength("purple kettle meadow lantern orbit")
    assert (strength.score, strength.label) == (4, "Very strong")


def test_the_username_lowers_the_strength(policy: PasswordPolicy) -> None:
    password = "zorbafrankel77"
    assert policy.strength(password, username="zorbafrankel").score < policy.strength(
        password).score


@pytest.mark.parametrize(("score", "label"), list(enumerate(
    ["Very weak", "Weak", "Fair", "Strong", "Very strong"])))
def test_every_score_has_a_text_label(score: int, label: str) -> None:
    from kiosk.security.policy import STRENGTH_LABELS

    assert STRENGTH_LABELS[score] == label


# --- robustness and translation ----------------------------------------------------

def test_a_huge_password_is_checked_quickly_without_crashing(policy: PasswordPolicy) -> None:
    password = "ab" * 5000
    assert MAX_LENGTH_RULE.format(max=128) in policy.problems(password, username="abab")
    assert 0 <= policy.strength(password).score <= 4


@pytest.mark.parametrize("password", ["\x00", "\u202e", "\u202egnp.exe", "\x00" * 200, " " * 20])
def test_odd_input_never_crashes(policy: PasswordPolicy, password: str) -> None:
    assert isinstance(policy.problems(password, username=password, verify=password), list)
    assert isinstance(username_problems(password), list)


def test_the_password_is_nfkc_normalised() -> None:
    assert normalize_password("\uff21\ufb01") == "Afi"


def test_every_message_is_a_fixed_template_in_messages(policy: PasswordPolicy) -> None:
    rules = [*policy.checklist("", username="abc", verify="x", current=""),
             *username_checklist("")]
    assert {rule.template for rule in rules} <= set(MESSAGES)
    assert {MIN_LENGTH_RULE, USERNAME_LENGTH_RULE} <= set(MESSAGES)
    assert all(isinstance(message, str) and message for message in MESSAGES)


def test_a_rule_renders_through_a_translation_with_its_figures(policy: PasswordPolicy) -> None:
    catalog = {MIN_LENGTH_RULE: "Al menos {min} caracteres"}
    rule = policy.checklist("")[0]
    assert rule.render(lambda msgid: catalog.get(msgid, msgid)) == "Al menos 15 caracteres"
    assert rule.render() == rule.text == "At least 15 characters long"


@FAST
@given(st.text(max_size=60), st.text(max_size=40), st.none() | st.text(max_size=60))
def test_password_rules_never_raise_on_any_text(
        password: str, username: str, verify: str | None) -> None:
    policy = PasswordPolicy(15, DISTRICT)
    problems = policy.problems(password, username=username, verify=verify, current=verify)
    assert isinstance(problems, list)
    assert all(isinstance(problem, str) for problem in problems)
    assert policy.strength(password, username=username).label


@FAST
@given(st.text())
def test_username_rules_never_raise_on_any_text(username: str) -> None:
    problems = username_problems(username)
    assert all(isinstance(problem, str) for problem in problems)
    assert (problems == []) == all(rule.met for rule in username_checklist(username))
