"""Staff services on a real database: search, household, keys, resets, staff users."""

from __future__ import annotations

import pytest

from kiosk.audit import Action, AuditFilter
from kiosk.errors import LoginFailed, NotAllowed, NotFound, Refused, RulesNotMet, UsernameTaken
from kiosk.services import activation, login, staff
from kiosk.services.context import ServiceContext
from kiosk.services.views import StaffSession

from support.builders import CLERK, GOOD_PASSWORD, KIOSK, add_account, add_family, issue_key

STAFF_PASSWORD = "quiet library lamps glow softly"


def test_search_finds_a_guardian_by_either_name_order(ctx: ServiceContext) -> None:
    add_family(ctx, guardians=(("Maria", "Lopez"),))
    add_family(ctx, guardians=(("Mario", "Rossi"),))
    assert [r.family_name for r in staff.search_guardians(ctx, "mari").results] == [
        "Lopez", "Rossi"]
    assert [r.given_name for r in staff.search_guardians(ctx, "LOPEZ ma").results] == ["Maria"]


def test_search_finds_a_guardian_by_username_student_name_or_number(
        ctx: ServiceContext) -> None:
    add_account(ctx, "mlopez", guardians=(("Maria", "Lopez"),),
                students=(("Ana", "Lopez"),), student_number="S-99123")
    add_family(ctx, guardians=(("Other", "Parent"),), students=(("Zed", "Zulu"),))
    assert [r.username for r in staff.search_guardians(ctx, "mlop").results] == ["mlopez"]
    assert [r.given_name for r in staff.search_guardians(ctx, "ana lo").results] == ["Maria"]
    assert [r.given_name for r in staff.search_guardians(ctx, "S-99123").results] == ["Maria"]


def test_search_results_are_paged(ctx: ServiceContext) -> None:
    for i in range(5):
        add_family(ctx, guardians=((f"Pat{i}", "Smith"),))
    first = staff.search_guardians(ctx, "smith", page=0, page_size=2)
    last = staff.search_guardians(ctx, "smith", page=2, page_size=2)
    assert len(first.results) == 2 and first.has_more
    assert len(last.results) == 1 and not last.has_more


def test_an_empty_search_is_refused_with_a_hint(ctx: ServiceContext) -> None:
    with pytest.raises(Refused, match="name"):
        staff.search_guardians(ctx, "   ")


def test_the_household_shows_every_guardian_account_and_key_state(
        ctx: ServiceContext) -> None:
    family = add_family(ctx, guardians=(("Maria", "Lopez"), ("Jose", "Lopez")),
                        students=(("Ana", "Lopez"), ("Luis", "Lopez")))
    key = issue_key(ctx, family.guardian_ids[0])
    activation.create_account(ctx, KIOSK, key, "mlopez", GOOD_PASSWORD, GOOD_PASSWORD)
    issue_key(ctx, family.guardian_ids[1])
    with pytest.raises(LoginFailed):
        login.log_in(ctx, KIOSK, "mlopez", "wrong password here")
    maria = staff.search_guardians(ctx, "maria").results[0]
    house = staff.household(ctx, maria.guardian_id)
    assert [g.given_name for g in house.guardians] == ["Maria", "Jose"]
    assert {s.given_name for s in house.students} == {"Ana", "Luis"}
    maria_detail, jose_detail = house.guardians
    assert maria_detail.account is not None and maria_detail.account.failed_logins == 1
    assert maria_detail.account.active and not maria_detail.account.locked
    assert [k.state for k in maria_detail.keys] == ["used"]
    assert jose_detail.account is None and [k.state for k in jose_detail.keys] == ["active"]


def test_a_household_of_an_unknown_guardian_is_not_found(ctx: ServiceContext) -> None:
    with pytest.raises(NotFound):
        staff.household(ctx, 424242)


def test_every_staff_action_is_audited_with_name_and_address(ctx: ServiceContext) -> None:
    add_account(ctx)
    staff.add_staff_user(ctx, CLERK, "mrsgray", STAFF_PASSWORD)
    services = staff.StaffServices(ctx, StaffSession("mrsgray", "staff"), "198.51.100.7")
    services.reset_password("mlopez")
    services.unlock("mlopez")
    services.set_account_disabled("mlopez", True)
    events = services.audit_events(AuditFilter(actor="staff:mrsgray"))
    assert {e.action for e in events} == {Action.PASSWORD_RESET, Action.UNLOCK, Action.DISABLE}
    assert {e.client_address for e in events} == {"198.51.100.7"}


def test_actions_on_an_unknown_username_are_refused(ctx: ServiceContext) -> None:
    with pytest.raises(NotFound):
        staff.reset_password(ctx, CLERK, "nobody")
    with pytest.raises(NotFound):
        staff.unlock(ctx, CLERK, "nobody")


def test_staff_log_in_with_their_own_password(ctx: ServiceContext) -> None:
    staff.add_staff_user(ctx, CLERK, "Clerk1", STAFF_PASSWORD, "admin")
    session = staff.staff_log_in(ctx, CLERK, "clerk1", STAFF_PASSWORD)
    assert session.username == "clerk1" and session.is_admin
    with pytest.raises(LoginFailed):
        staff.staff_log_in(ctx, CLERK, "clerk1", "not the password at all")


def test_staff_logins_are_throttled_like_parents(ctx: ServiceContext) -> None:
    staff.add_staff_user(ctx, CLERK, "clerk1", STAFF_PASSWORD)
    for _ in range(5):
        with pytest.raises(LoginFailed):
            staff.staff_log_in(ctx, CLERK, "clerk1", "not the password at all")
    with pytest.raises(LoginFailed):
        staff.staff_log_in(ctx, CLERK, "clerk1", STAFF_PASSWORD)


def test_a_disabled_staff_user_cannot_log_in(ctx: ServiceContext) -> None:
    staff.add_staff_user(ctx, CLERK, "clerk1", STAFF_PASSWORD)
    staff.set_staff_user(ctx, CLERK, "clerk1", disabled=True)
    with pytest.raises(LoginFailed):
        staff.staff_log_in(ctx, CLERK, "clerk1", STAFF_PASSWORD)


def test_only_admins_manage_staff_users(ctx: ServiceContext) -> None:
    staff.add_staff_user(ctx, CLERK, "clerk", STAFF_PASSWORD)
    staff.add_staff_user(ctx, CLERK, "boss", STAFF_PASSWORD, "admin")
    clerk = staff.StaffServices(ctx, StaffSession("clerk", "staff"))
    with pytest.raises(NotAllowed):
        clerk.add_staff_user("helper1", STAFF_PASSWORD)
    with pytest.raises(NotAllowed):
        clerk.list_staff_users()
    admin = staff.StaffServices(ctx, StaffSession("boss", "admin"))
    admin.add_staff_user("helper1", STAFF_PASSWORD)
    assert [u.username for u in admin.list_staff_users()] == ["boss", "clerk", "helper1"]


def test_a_demotion_takes_effect_on_the_next_action(ctx: ServiceContext) -> None:
    staff.add_staff_user(ctx, CLERK, "boss", STAFF_PASSWORD, "admin")
    console = staff.StaffServices(ctx, staff.staff_log_in(ctx, CLERK, "boss", STAFF_PASSWORD))
    assert console.list_staff_users()
    staff.set_staff_user(ctx, CLERK, "boss", role="staff")
    with pytest.raises(NotAllowed):
        console.list_staff_users()


def test_a_disabled_staff_member_is_stopped_mid_session(ctx: ServiceContext) -> None:
    staff.add_staff_user(ctx, CLERK, "clerk", STAFF_PASSWORD)
    add_family(ctx, guardians=(("Maria", "Lopez"),))
    console = staff.StaffServices(ctx, staff.staff_log_in(ctx, CLERK, "clerk", STAFF_PASSWORD))
    assert console.search("maria").results
    staff.set_staff_user(ctx, CLERK, "clerk", disabled=True)
    with pytest.raises(NotAllowed, match="no longer active"):
        console.search("maria")


def test_staff_usernames_follow_the_username_and_password_rules(ctx: ServiceContext) -> None:
    with pytest.raises(RulesNotMet):
        staff.add_staff_user(ctx, CLERK, "12345", STAFF_PASSWORD)
    with pytest.raises(RulesNotMet):
        staff.add_staff_user(ctx, CLERK, "clerk1", "short")
    add_account(ctx, "mlopez")
    with pytest.raises(UsernameTaken):
        staff.add_staff_user(ctx, CLERK, "MLOPEZ", STAFF_PASSWORD)
    with pytest.raises(Refused):
        staff.add_staff_user(ctx, CLERK, "clerk1", STAFF_PASSWORD, role="root")


def test_a_reference_code_finds_its_event(ctx: ServiceContext) -> None:
    with pytest.raises(LoginFailed) as raised:
        login.log_in(ctx, KIOSK, "nobody", "some password here")
    reference = raised.value.reference
    assert reference is not None
    events = staff.audit_events(ctx, AuditFilter(reference=reference.lower()))
    assert [(e.action, e.outcome) for e in events] == [(Action.LOGIN, "failed")]
