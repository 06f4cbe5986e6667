"""Rules checked once: the service's RulesNotMet carries the checklist a screen shows."""

from __future__ import annotations

import pytest

from kiosk.errors import RulesNotMet
from kiosk.i18n import translator
from kiosk.security.policy import unmet_username_rules
from kiosk.services import activation, login
from kiosk.services.context import ServiceContext

from support.builders import GOOD_PASSWORD, KIOSK, add_account, add_family, issue_key


def test_rules_not_met_carries_every_unmet_rule_of_a_new_account_in_order(
        ctx: ServiceContext) -> None:
    key = issue_key(ctx, add_family(ctx).guardian_ids[0])
    with pytest.raises(RulesNotMet) as raised:
        activation.create_account(ctx, KIOSK, key, "1234", "short", "shorter")
    expected = [rule.render() for rule in unmet_username_rules("1234")
                + ctx.policy.unmet("short", username="1234", verify="shorter")]
    assert raised.value.checklist() == expected
    assert len(expected) >= 3  # the username, the length and the match, at once


def test_rules_not_met_carries_every_unmet_rule_of_a_password_change(
        ctx: ServiceContext) -> None:
    account_id = add_account(ctx, "mlopez", GOOD_PASSWORD).account_id
    with pytest.raises(RulesNotMet) as raised:
        login.change_password(ctx, KIOSK, account_id, GOOD_PASSWORD, GOOD_PASSWORD, "other")
    expected = [rule.render() for rule in ctx.policy.unmet(
        GOOD_PASSWORD, username="mlopez", verify="other", current=GOOD_PASSWORD)]
    assert raised.value.checklist() == expected
    assert "Different from your current password" in expected


def test_the_checklist_is_translated_line_by_line(ctx: ServiceContext) -> None:
    key = issue_key(ctx, add_family(ctx).guardian_ids[0])
    with pytest.raises(RulesNotMet) as raised:
        activation.create_account(ctx, KIOSK, key, "1234", "short", "short")
    spanish = translator("es")
    rules = [rule for rule in raised.value.rules if not isinstance(rule, str)]
    assert raised.value.checklist(spanish) == [rule.render(spanish) for rule in rules]
    assert raised.value.checklist(spanish) != raised.value.checklist()

