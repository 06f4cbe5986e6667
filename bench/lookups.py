"""Lookups at 1,000 and at 150,000 guardians: guardian search, key redeem, login.

Each district is imported from a seeded bundle and has a key issued to every
guardian, as after `kiosk keys issue --all-without-account`. In each, the same
number of operations of each kind is timed one by one, and the median per operation
is compared between the two districts: an indexed lookup costs the same in both.
The two districts are timed turn about, call by call, so a burst of other work on
the machine weighs on both alike.

- search: `search_guardians` (the staff console's search) with what a clerk types.
  Two rows: a student number or a username, whose answer is the same size in both
  districts (one family), so the row shows the lookup alone; and a guardian's full
  "family given" name, whose answer grows with the district: a page of 20 namesakes
  of 100+ at 150,000 guardians against one or two at 1,000.
- redeem: `create_account` with a guardian's key (the key lookup, the checks, the
  account and the audit event, in one transaction).
- login: `log_in` with a username and password.

argon2 runs at test parameters here (as cheap as it goes): these rows measure the
database work, which is what grows with the district. The login row above measures
a login at the product parameters.

On PostgreSQL the tables are ANALYZEd first: the statistics autovacuum gathers within
a minute of a bulk import, and that a district's server has from then on. (Right after
a first import, before those statistics exist, the planner guesses, and a name search
at 30,000 guardians took 10 ms instead of 4.)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from bench import district
from bench.report import INFO, Row, median, ms, progress, ratio_row
from kiosk.db.models import Guardian, GuardianStudent, Student
from kiosk.services.activation import create_account
from kiosk.services.context import ServiceContext
from kiosk.services.login import log_in
from kiosk.services.staff import search_guardians
from kiosk.services.views import IssuedKey

TARGET = 1.5
OPERATIONS = 100
WARM_UP = 3
KINDS = ("search", "search_by_name", "redeem", "login")
Call = Callable[[], object]


@dataclass(frozen=True)
class Timings:
    guardians: int
    search: float
    search_by_name: float
    redeem: float
    login: float


@dataclass
class Prepared:
    """One district, ready: its services and the calls to time, by kind."""

    ctx: ServiceContext
    guardians: int
    calls: dict[str, list[Call]]


def _names_and_numbers(ctx: ServiceContext,
                       sourced_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """Each guardian's "family given" name, and one of its students' numbers."""
    names: list[str] = []
    numbers: list[str] = []
    with ctx.database.unit_of_work(read_only=True) as uow:
        for sourced_id in sourced_ids:
            row = uow.session.execute(
                select(Guardian.family_name, Guardian.given_name, Student.student_number)
                .join(GuardianStudent, GuardianStudent.guardian_id == Guardian.id)
                .join(Student, Student.id == GuardianStudent.student_id)
                .where(Guardian.sourced_id == sourced_id).limit(1)).one()
            names.append(f"{row.family_name} {row.given_name}")
            numbers.append(row.student_number)
    return names, numbers


def prepare(url: str, guardians: int, issued: Sequence[IssuedKey]) -> Prepared:
    """Accounts to log in to, keys to redeem and terms to search, in the district at `url`."""
    keys = {key.guardian_id: key.activation_key for key in issued}
    ctx = district.context(url)
    if ctx.database.engine.dialect.name == "postgresql":
        with ctx.database.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    count = OPERATIONS + WARM_UP
    sample = district.active_guardians(ctx, 2 * count)
    if len(sample) < 2 * count:
        raise RuntimeError(f"only {len(sample)} active guardians to sample from")
    redeemers, holders = sample[:count], sample[count:]
    usernames = [f"login{n:03d}" for n in range(count)]  # no one a prefix of another
    for sourced_id, username in zip(holders, usernames, strict=True):
        create_account(ctx, district.KIOSK, keys[sourced_id], username, district.PASSWORD,
                       district.PASSWORD)
    names, numbers = _names_and_numbers(ctx, redeemers)
    exact = [term for pair in zip(numbers, usernames, strict=True) for term in pair]
    random.Random(district.SEED).shuffle(names)

    def searching(term: str) -> Call:
        return lambda: search_guardians(ctx, term)

    def redeeming(number: int, sourced_id: str) -> Call:
        return lambda: create_account(ctx, district.KIOSK, keys[sourced_id], f"redeem{number}",
                                      district.PASSWORD, district.PASSWORD)

    def logging_in(username: str) -> Call:
        return lambda: log_in(ctx, district.KIOSK, username, district.PASSWORD)

    return Prepared(ctx, guardians, {
        "search": [searching(term) for term in exact[:count]],
        "search_by_name": [searching(term) for term in names],
        "redeem": [redeeming(n, s) for n, s in enumerate(redeemers)],
        "login": [logging_in(username) for username in usernames]})


def _time_alternately(first: Sequence[Call], second: Sequence[Call]) -> tuple[float, float]:
    """Median seconds per call of each list, timed turn about (so background load on
    the machine falls on both alike), after WARM_UP untimed calls of each."""
    for call in (*first[:WARM_UP], *second[:WARM_UP]):
        call()
    times: tuple[list[float], list[float]] = ([], [])
    for pair in zip(first[WARM_UP:], second[WARM_UP:], strict=True):
        for call, spent in zip(pair, times, strict=True):
            start = time.perf_counter()
            call()
            spent.append(time.perf_counter() - start)
    return median(times[0]), median(times[1])


def measure(small: Prepared, large: Prepared) -> tuple[Timings, Timings]:
    results = {kind: _time_alternately(small.calls[kind], large.calls[kind]) for kind in KINDS}
    return (Timings(small.guardians, **{kind: pair[0] for kind, pair in results.items()}),
            Timings(large.guardians, **{kind: pair[1] for kind, pair in results.items()}))


def rows(kind: str, small: Timings, large: Timings) -> list[Row]:
    result = []
    sizes = f"{large.guardians:,} vs {small.guardians:,} guardians"
    for name, label in (("search", "guardian search: student number, username"),
                        ("redeem", "key redeem"), ("login", "login (argon2 at test cost)")):
        at_small, at_large = getattr(small, name), getattr(large, name)
        result.append(ratio_row(f"{label}: {sizes}", kind, TARGET, at_large, at_small,
                                f"{ms(at_large)} vs {ms(at_small)} per call"))
    # Not a target of its own: the answer itself grows with the district (a full page
    # of namesakes against one or two), so the time does too. Shown, not judged.
    at_small, at_large = small.search_by_name, large.search_by_name
    result.insert(1, Row(f"guardian search: full name, a bigger answer: {sizes}", kind,
                         "none (answer grows)", f"{at_large / at_small:.2f}×",
                         f"{ms(at_large)} vs {ms(at_small)} per call", INFO))
    return result


def run(kind: str, small: tuple[str, int, Sequence[IssuedKey]],
        large: tuple[str, int, Sequence[IssuedKey]]) -> list[Row]:
    progress(f"lookups on {kind}: {OPERATIONS} of each kind at {small[1]:,} and "
             f"{large[1]:,} guardians, turn about")
    prepared = [prepare(*small), prepare(*large)]
    try:
        return rows(kind, *measure(*prepared))
    finally:
        for district_ in prepared:
            district_.ctx.database.dispose()
