"""Activation paths: a key, then the account form, then the account screen."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from kiosk.app import KioskApp
from kiosk.clock import FakeClock
from kiosk.db.models import Account
from kiosk.errors import (
    KeyAlreadyUsed,
    KeyExpired,
    KeyNotAccepted,
    KeyReplaced,
    KeyTypo,
    UsernameTaken,
)
from kiosk.flow import State
from kiosk.security.keys import ALPHABET, format_key, generate_key
from kiosk.services import keys
from kiosk.services.context import ServiceContext

from support.builders import CLERK, GOOD_PASSWORD, add_account, add_family, issue_key
from support.kiosk_pilot import (
    fill,
    form_error,
    press_button,
    screen_text,
    settle,
    text_of,
    type_text,
)

REFERENCE = re.compile(r" Reference: [A-Z0-9]{4,8}$")
AppFactory = Callable[..., KioskApp]


def accounts(ctx: ServiceContext) -> list[str]:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(select(Account.username)))


async def open_activation(pilot: object) -> None:
    await press_button(pilot, "#start-activation")  # type: ignore[arg-type]


async def test_activation_then_account_then_logout(kiosk_app: AppFactory,
                                                   kiosk_ctx: ServiceContext) -> None:
    family = add_family(kiosk_ctx, guardians=(("Maria", "Lopez"),),
                        students=(("Ana", "Lopez"), ("Luis", "Lopez")))
    key = issue_key(kiosk_ctx, family.guardian_ids[0])
    # What a parent may type: lower case, spaces instead of dashes, O for 0, l for 1.
    typed = key.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.screen.id == "welcome"
        await open_activation(pilot)
        assert app.screen.id == "activate"
        await type_text(pilot, "#activation-key", typed)
        await pilot.pause()
        assert text_of(app, "#key-progress").startswith("25 of 25")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.id == "create-account"
        assert app.flow_state is State.CREATE_ACCOUNT
        assert "Maria Lopez" in screen_text(app)
        assert "Luis Lopez, Lakeside Elementary" in screen_text(app)

        await type_text(pilot, "#username", "mlopez")
        await type_text(pilot, "#password", GOOD_PASSWORD)
        await type_text(pilot, "#verify-password", GOOD_PASSWORD)
        await settle(pilot)
        assert "✓ Username rules met" in text_of(app, "#username-rules")
        assert "✓ Password rules met" in text_of(app, "#password-rules")
        assert "✓ The two passwords match" in text_of(app, "#verify-match")
        await press_button(pilot, "#create-account")

        assert app.screen.id == "account"
        assert "JPRQQH" in text_of(app, "#district-id")
        shown = screen_text(app)
        assert "Maria Lopez" in shown
        assert "Ana Lopez, Lakeside Elementary" in shown
        assert "https://www.clayton.k12.ga.us/" in shown
        assert GOOD_PASSWORD not in shown
        assert accounts(kiosk_ctx) == ["mlopez"]

        await press_button(pilot, "#logout")
        assert app.screen.id == "welcome"
        assert len(app.screen_stack) == 1  # the parent's screen alone: nothing behind
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "welcome"


async def submit_key(pilot: object, app: KioskApp, key: str) -> None:
    await open_activation(pilot)
    fill(app, activation_key=key)
    await press_button(pilot, "#submit")  # type: ignore[arg-type]


async def test_mistyped_key_is_called_a_typo_without_a_reference(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    family = add_family(kiosk_ctx)
    key = issue_key(kiosk_ctx, family.guardian_ids[0])
    first = key[0]
    wrong = ALPHABET[(ALPHABET.index(first) + 1) % len(ALPHABET)]
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_key(pilot, app, wrong + key[1:])
        assert app.screen.id == "activate"
        assert form_error(app) == KeyTypo.message
        assert not REFERENCE.search(form_error(app))


async def test_short_key_says_how_long_a_key_is(kiosk_app: AppFactory) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_key(pilot, app, "7KQ2M-XR4TB")
        assert form_error(app).startswith("An activation key has 25 letters")
        assert text_of(app, "#key-progress").startswith("10 of 25")


async def test_unknown_key_is_refused_with_a_reference(kiosk_app: AppFactory) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_key(pilot, app, format_key(generate_key()))
        assert app.screen.id == "activate"
        assert form_error(app).startswith(KeyNotAccepted.message)
        assert REFERENCE.search(form_error(app))


async def test_used_key(kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    family = add_family(kiosk_ctx)
    key = issue_key(kiosk_ctx, family.guardian_ids[0])
    from kiosk.services import activation

    from support.builders import KIOSK

    activation.create_account(kiosk_ctx, KIOSK, key, "mlopez", GOOD_PASSWORD, GOOD_PASSWORD)
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_key(pilot, app, key)
        assert app.screen.id == "activate"
        assert form_error(app).startswith(KeyAlreadyUsed.message)
        assert REFERENCE.search(form_error(app))


async def test_expired_key(kiosk_app: AppFactory, kiosk_ctx: ServiceContext,
                           kiosk_clock: FakeClock) -> None:
    family = add_family(kiosk_ctx)
    key = issue_key(kiosk_ctx, family.guardian_ids[0])
    kiosk_clock.advance(days=kiosk_ctx.settings.key_days + 1)
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_key(pilot, app, key)
        assert form_error(app).startswith(KeyExpired.message)
        assert REFERENCE.search(form_error(app))


async def test_revoked_and_replaced_keys(kiosk_app: AppFactory,
                                         kiosk_ctx: ServiceContext) -> None:
    family = add_family(kiosk_ctx, guardians=(("Maria", "Lopez"), ("Jose", "Lopez")))
    revoked = issue_key(kiosk_ctx, family.guardian_ids[0])
    keys.revoke_keys(kiosk_ctx, CLERK, family.guardian_ids[0])
    replaced = issue_key(kiosk_ctx, family.guardian_ids[1])
    issue_key(kiosk_ctx, family.guardian_ids[1])  # a reissue revokes the older key
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_key(pilot, app, revoked)
        refused = form_error(app)
        assert REFERENCE.search(refused)
        assert refused.startswith((KeyNotAccepted.message, KeyReplaced.message))
        fill(app, activation_key=replaced)
        await press_button(pilot, "#submit")
        assert form_error(app).startswith(KeyReplaced.message)
        assert app.screen.id == "activate"


async def to_create_account(pilot: object, app: KioskApp, key: str) -> None:
    await submit_key(pilot, app, key)
    assert app.screen.id == "create-account", form_error(app)


async def test_username_rules_all_digits_student_and_taken(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    add_account(kiosk_ctx, "takenname", GOOD_PASSWORD)
    family = add_family(kiosk_ctx, student_username="anastudent")
    key = issue_key(kiosk_ctx, family.guardian_ids[0])
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await to_create_account(pilot, app, key)
        fill(app, username="12345678", password=GOOD_PASSWORD, verify_password=GOOD_PASSWORD)
        await settle(pilot)
        assert "At least one letter, not only numbers" in text_of(app, "#username-rules")
        await press_button(pilot, "#create-account")
        assert app.screen.id == "create-account"
        assert "✗ At least one letter, not only numbers" in form_error(app)
        assert len(form_error(app).splitlines()) == 2  # the intro and the one unmet rule

        for taken in ("AnaStudent", "TakenName"):
            fill(app, username=taken)
            await press_button(pilot, "#create-account")
            assert app.screen.id == "create-account"
            assert form_error(app).startswith(UsernameTaken.message)
            assert app.focused is app.screen.query_one("#username")

        # The key was not burnt by the refusals: a free name still works.
        fill(app, username="mlopez2")
        await press_button(pilot, "#create-account")
        assert app.screen.id == "account"
    assert sorted(accounts(kiosk_ctx)) == ["mlopez2", "takenname"]


async def test_password_rules_short_common_and_mismatched(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    family = add_family(kiosk_ctx)
    key = issue_key(kiosk_ctx, family.guardian_ids[0])
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await to_create_account(pilot, app, key)
        fill(app, username="mlopez", password="short", verify_password="short")
        await settle(pilot)
        assert "At least 15 characters long" in text_of(app, "#password-rules")
        assert "Very weak" in text_of(app, "#strength")
        await press_button(pilot, "#create-account")
        assert "✗ At least 15 characters long" in form_error(app)

        fill(app, password="passwordpassword", verify_password="passwordpassword")
        await press_button(pilot, "#create-account")
        assert app.screen.id == "create-account"
        assert "At least 15 characters long" not in form_error(app)
        assert "✗ Not common or easy to guess" in form_error(app)

        fill(app, password=GOOD_PASSWORD, verify_password=GOOD_PASSWORD + "!")
        await settle(pilot)
        assert "do not match yet" in text_of(app, "#verify-match")
        await press_button(pilot, "#create-account")
        assert form_error(app).splitlines()[1:] == ["✗ The two passwords match"]
        assert accounts(kiosk_ctx) == []

        fill(app, verify_password=GOOD_PASSWORD)
        await press_button(pilot, "#create-account")
        assert app.screen.id == "account"


async def test_too_many_wrong_keys_pause_this_terminal_but_typos_do_not_count(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext, kiosk_clock: FakeClock) -> None:
    from kiosk.services.throttle import TERMINAL_MAX_BAD_KEYS, TERMINAL_PAUSE

    family = add_family(kiosk_ctx)
    key = issue_key(kiosk_ctx, family.guardian_ids[0])
    typo = ALPHABET[(ALPHABET.index(key[0]) + 1) % len(ALPHABET)] + key[1:]
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activation(pilot)
        for _ in range(TERMINAL_MAX_BAD_KEYS + 3):
            fill(app, activation_key=typo)
            await press_button(pilot, "#submit")
            assert form_error(app) == KeyTypo.message
        for _ in range(TERMINAL_MAX_BAD_KEYS):
            fill(app, activation_key=format_key(generate_key()))
            await press_button(pilot, "#submit")
        fill(app, activation_key=key)
        await press_button(pilot, "#submit")
        assert app.screen.id == "activate"
        assert form_error(app).startswith("Too many keys were tried on this kiosk. Please wait")

        kiosk_clock.advance(seconds=TERMINAL_PAUSE.total_seconds() + 1)
        # The parent waited at the kiosk: without this, the once-a-second idle check
        # could see five silent minutes and (rightly) wipe the session first.
        app.last_input_at = kiosk_clock.now()
        await press_button(pilot, "#submit")
        assert app.screen.id == "create-account"
