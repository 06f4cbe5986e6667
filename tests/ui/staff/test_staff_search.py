"""Finding a guardian: search, paging, the household view, and a database outage."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import OptionList

from kiosk.clock import FakeClock
from kiosk.errors import ServiceUnavailable
from kiosk.services import login
from kiosk.services.context import ServiceContext
from kiosk.services.staff import set_account_disabled
from kiosk.staff_app import StaffApp
from screens.staff.formatting import DATABASE_DOWN
from screens.staff.search_panel import PAGE_SIZE

from support.builders import CLERK, add_account, add_family, issue_key, withdraw
from support.staff_helpers import (
    fail_first_search,
    logged_in_console,
    open_household,
    press,
    search,
    settle,
    table_rows,
    text_of,
)


@pytest.mark.parametrize("query", ["lopez", "maria", "mlopez", "ana lopez", "STU-77"])
async def test_search_by_name_username_student_name_and_number(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, query: str) -> None:
    add_account(ctx, "mlopez", guardians=(("Maria", "Lopez"),), students=(("Ana", "Lopez"),),
                student_number="STU-77")
    add_family(ctx, guardians=(("Peter", "Novak"),), students=(("Ivan", "Novak"),))
    app = make_app()
    async with logged_in_console(app) as pilot:
        await search(pilot, query)

        assert table_rows(pilot, "#results") == [["Maria Lopez", "mlopez", "Ana Lopez"]]


async def test_results_are_paged(make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    for number in range(PAGE_SIZE + 5):
        add_family(ctx, guardians=((f"Guest{number:02d}", "Garcia"),),
                   students=((f"Kid{number:02d}", "Garcia"),))
    app = make_app()
    async with logged_in_console(app) as pilot:
        await search(pilot, "garcia")
        first = table_rows(pilot, "#results")
        assert len(first) == PAGE_SIZE
        assert first[0][0] == "Guest00 Garcia"
        assert "more on the next page" in text_of(pilot, "#page-info")

        await press(pilot, "#next-page")
        second = table_rows(pilot, "#results")
        assert [row[0] for row in second] == [f"Guest{n:02d} Garcia"
                                              for n in range(PAGE_SIZE, PAGE_SIZE + 5)]
        assert text_of(pilot, "#page-info").startswith("Page 2: results 21-25")

        await press(pilot, "#next-page")
        assert "last page" in text_of(pilot, "#search-message")
        assert len(table_rows(pilot, "#results")) == 5

        await press(pilot, "#previous-page")
        assert table_rows(pilot, "#results") == first
        await press(pilot, "#previous-page")
        assert "first page" in text_of(pilot, "#search-message")


async def test_no_match_and_empty_query_say_what_to_do(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    app = make_app()
    async with logged_in_console(app) as pilot:
        await search(pilot, "   ")
        assert "Type part of a name" in text_of(pilot, "#search-message")
        await search(pilot, "nobody")
        assert "Nobody matches that" in text_of(pilot, "#search-message")
        assert table_rows(pilot, "#results") == []


async def test_the_household_shows_guardians_students_accounts_locks_and_keys(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, clock: FakeClock) -> None:
    add_account(ctx, "mlopez", guardians=(("Maria", "Lopez"), ("Jorge", "Lopez")),
                students=(("Ana", "Lopez"), ("Luis", "Lopez")))
    ctx_family = add_family(ctx, guardians=(("Rosa", "Lopez"),), students=(("Eva", "Lopez"),))
    issue_key(ctx, ctx_family.guardian_ids[0])
    withdraw(ctx, ctx_family)  # after the key: an inactive guardian gets none
    for _ in range(6):  # five failures lock the account for a while
        with pytest.raises(Exception, match="not right"):
            login.log_in(ctx, CLERK, "mlopez", "wrong password, sorry")
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "maria")

        options = app.screen.query_one("#guardians", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in
                   range(options.option_count)]
        assert len(prompts) == 2
        assert "Maria Lopez" in prompts[0] and "account mlopez: active" in prompts[0]
        assert "Jorge Lopez" in prompts[1] and "no portal account" in prompts[1]
        detail = text_of(pilot, "#guardian-detail")
        assert "Portal account: mlopez - active" in detail
        assert "Failed logins in a row: 5" in detail
        assert "Locked until 2026-09-01" in detail
        assert "used 2026-09-01" in detail
        students = table_rows(pilot, "#students")
        assert sorted(row[0] for row in students) == ["Ana Lopez", "Luis Lopez"]
        assert {row[4] for row in students} == {"enrolled"}

        # The second guardian: keys, no account.
        await pilot.press("tab")  # focus the guardian list if it is not already
        app.screen.query_one("#guardians", OptionList).highlighted = 1
        await pilot.pause()
        detail = text_of(pilot, "#guardian-detail")
        assert detail.startswith("Jorge Lopez")
        assert "Portal account: none yet" in detail
        assert "Activation keys: none issued" in detail

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "console"
        await open_household(pilot, "rosa")
        detail = text_of(pilot, "#guardian-detail")
        assert "active, expires 2026-09-22" in detail
        assert table_rows(pilot, "#students")[0][4] == "withdrawn"


async def test_disabled_and_inactive_accounts_are_labelled(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    add_account(ctx, "mlopez")
    set_account_disabled(ctx, CLERK, "mlopez", True)
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "mlopez")
        assert "Portal account: mlopez - disabled" in text_of(pilot, "#guardian-detail")


async def test_a_database_outage_is_explained_and_the_console_recovers(
        make_app: Callable[[], StaffApp], ctx: ServiceContext,
        monkeypatch: pytest.MonkeyPatch) -> None:
    add_account(ctx, "mlopez")
    app = make_app()
    async with logged_in_console(app) as pilot:
        fail_first_search(monkeypatch, app, ServiceUnavailable())
        await search(pilot, "lopez")
        assert text_of(pilot, "#search-message") == DATABASE_DOWN
        assert app.screen.id == "console"

        await search(pilot, "lopez")
        assert table_rows(pilot, "#results")[0][1] == "mlopez"
