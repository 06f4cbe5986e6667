"""Wrong activation keys typed in a browser (`kiosk serve`) count in a pool of their own.

Per client address: 10 in 10 minutes pause that address for 5 minutes; a web-wide
ceiling may pause every browser session; nothing typed in a browser ever counts toward
a lobby terminal or the lobby's district-wide ceiling. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.audit import Actor
from kiosk.clock import FakeClock
from kiosk.db.models import ActivationThrottle, AuditEvent
from kiosk.errors import ActivationPaused, BrowserActivationPaused, KeyNotAccepted
from kiosk.i18n import translator
from kiosk.security.keys import format_key, generate_key
from kiosk.services import activation, throttle
from kiosk.services.context import ServiceContext
from kiosk.services.parent import ParentServices

from support.builders import KIOSK, add_family, issue_key


def _browser(address: str, terminal: str = "web-0a1b2c3d") -> Actor:
    return Actor(name=f"web:{terminal}", client_address=address, terminal=terminal,
                 browser=True)


def _wrong_keys(ctx: ServiceContext, actor: Actor, count: int) -> None:
    for _ in range(count):
        with pytest.raises(KeyNotAccepted):
            activation.check_key(ctx, actor, format_key(generate_key()))


def _counters(ctx: ServiceContext) -> dict[str, int]:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return {row.terminal: row.failures for row in uow.session.scalars(
            select(ActivationThrottle))}


def _good_key(ctx: ServiceContext) -> str:
    return issue_key(ctx, add_family(ctx).guardian_ids[0])


def test_browser_services_act_as_a_browser_from_their_client_address(
        ctx: ServiceContext) -> None:
    actor = ParentServices(ctx, terminal="web-0a1b2c3d", client_address="192.0.2.7").actor
    assert actor.browser and actor.client_address == "192.0.2.7"
    assert not ParentServices(ctx, terminal="lobby-1").actor.browser


def test_ten_bad_keys_from_one_address_pause_that_address_for_five_minutes(
        ctx: ServiceContext, clock: FakeClock) -> None:
    good = _good_key(ctx)
    visitor = _browser("192.0.2.7")
    _wrong_keys(ctx, visitor, 10)
    with pytest.raises(BrowserActivationPaused) as raised:
        activation.check_key(ctx, visitor, good)
    # A new tab is a new terminal name, but the same address: still paused.
    with pytest.raises(BrowserActivationPaused):
        activation.check_key(ctx, _browser("192.0.2.7", "web-ffff0000"), good)
    assert "5 minutes" in str(raised.value)
    clock.advance(5 * 60)
    activation.check_key(ctx, visitor, good)


def test_a_browser_tripping_its_pool_leaves_lobby_terminals_untouched(
        ctx: ServiceContext) -> None:
    good = _good_key(ctx)
    _wrong_keys(ctx, _browser("192.0.2.7", terminal=KIOSK.terminal), 10)
    activation.check_key(ctx, KIOSK, good)  # the lobby terminal of the same name works
    counters = _counters(ctx)
    assert KIOSK.terminal not in counters
    assert counters == {"web@192.0.2.7": 0, "web@*": 10}


def test_browser_bad_keys_never_count_toward_the_lobby_ceiling(
        ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle, "BROWSER_MAX_BAD_KEYS", 25)
    good = _good_key(ctx)
    for n in range(3):  # three addresses, 30 bad keys: the web-wide ceiling trips
        _wrong_keys(ctx, _browser(f"198.51.100.{n}"), 9 if n < 2 else 7)
    with pytest.raises(BrowserActivationPaused):
        activation.check_key(ctx, _browser("203.0.113.200"), good)
    assert throttle.DISTRICT not in _counters(ctx)
    for terminal in ("lobby-1", "lobby-2"):
        activation.check_key(ctx, Actor(name=f"kiosk:{terminal}", terminal=terminal), good)


def test_two_browser_addresses_are_independent(ctx: ServiceContext) -> None:
    good = _good_key(ctx)
    _wrong_keys(ctx, _browser("192.0.2.7"), 10)
    with pytest.raises(BrowserActivationPaused):
        activation.check_key(ctx, _browser("192.0.2.7"), good)
    activation.check_key(ctx, _browser("192.0.2.8"), good)
    activation.check_key(ctx, _browser("2001:db8::7"), good)


def test_a_paused_lobby_does_not_pause_browsers(ctx: ServiceContext) -> None:
    good = _good_key(ctx)
    _wrong_keys(ctx, KIOSK, 10)
    with pytest.raises(ActivationPaused) as raised:
        activation.check_key(ctx, KIOSK, good)
    assert not isinstance(raised.value, BrowserActivationPaused)
    activation.check_key(ctx, _browser("192.0.2.7"), good)


def test_the_browser_pause_blames_the_connection_not_this_kiosk(ctx: ServiceContext) -> None:
    _wrong_keys(ctx, _browser("192.0.2.7"), 10)
    with pytest.raises(BrowserActivationPaused) as raised:
        activation.check_key(ctx, _browser("192.0.2.7"), _good_key(ctx))
    english = raised.value.text()
    spanish = raised.value.text(translator("es"))
    assert "this connection" in english and "this kiosk" not in english
    assert "desde esta conexión" in spanish and "quiosco" not in spanish


def test_browser_refusals_are_audited_with_the_client_address(ctx: ServiceContext) -> None:
    _wrong_keys(ctx, _browser("192.0.2.7"), 1)
    with ctx.database.unit_of_work(read_only=True) as uow:
        event = uow.session.scalars(select(AuditEvent)).one()
    assert (event.client_address, event.terminal) == ("192.0.2.7", "web-0a1b2c3d")
