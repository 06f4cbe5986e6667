"""Issuing activation keys for every guardian of an imported district vs raw Core.

Measured: `kiosk.services.keys.issue_keys(all_without_account=True)`, the path behind
`kiosk keys issue --all-without-account`, on a fresh copy of the imported district
each run (so no run revokes the keys of the one before). Every active guardian gets a
key; the few whose students are all withdrawn are passed over.

Baseline: the rows that issue writes (a key row with its digest and an audit row per
active guardian, with the same values), prepared in memory beforehand, then written
by one Core `connection.execute(insert(table), rows)` per table in one transaction on
the product's own engine, on another fresh copy. Baseline and issue alternate.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bench import district
from bench.databases import Databases, time_baseline
from bench.report import Row, median, ms, progress, ratio_row
from kiosk.audit import Action
from kiosk.db.models import Account, ActivationKey, AuditEvent, Guardian
from kiosk.db.uow import Database
from kiosk.services import queries
from kiosk.services.keys import IssuedKeys, issue_keys
from kiosk.services.views import IssuedKey
from kiosk.settings import Settings

TARGET = 2.0


def baseline_rows(url: str) -> list[tuple[Any, list[dict[str, Any]]]]:
    """(table, rows): a key row and an audit row for each active guardian of `url`."""
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            ids = list(connection.execute(
                select(Guardian.id).where(
                    ~select(Account.id).where(Account.guardian_id == Guardian.id).exists(),
                    queries.guardian_active_clause())
                .order_by(Guardian.id)).scalars())
    finally:
        database.dispose()
    now = datetime.now(UTC)
    expires = now + timedelta(days=Settings().key_days)
    actor = district.CLERK.name
    keys = [{"guardian_id": guardian, "issued_at": now, "expires_at": expires,
             "issued_by": actor,
             "digest": hashlib.sha256(secrets.token_bytes(15)).hexdigest()} for guardian in ids]
    audit = [{"at": now, "action": Action.KEY_ISSUE, "outcome": "ok", "actor": actor,
              "client_address": "", "terminal": "", "guardian_id": guardian, "subject": "",
              "reference": None, "detail": ""} for guardian in ids]
    return [(ActivationKey.__table__, keys), (AuditEvent.__table__, audit)]


def run(databases: Databases, imported: str, bundle: district.Bundle,
        rounds: int) -> tuple[list[Row], str, list[IssuedKey]]:
    """The row, and a district with every key issued (and those keys) for the lookups."""
    figure = (f"issuing keys for the active ones of {bundle.guardians:,} guardians "
              "vs raw Core executemany")
    progress(f"issuing {bundle.guardians:,} keys vs executemany on {databases.kind}: "
             f"{rounds} runs each")
    tables = baseline_rows(imported)
    times: list[float] = []
    baselines: list[float] = []
    url = ""
    issued = IssuedKeys()
    for _ in range(rounds):
        raw = databases.copy(imported, "raw_keys")
        baselines.append(time_baseline(raw, tables))
        databases.drop(raw)
        if url:
            databases.drop(url)
        url = databases.copy(imported, "keys")
        ctx = district.context(url)
        try:
            start = time.perf_counter()
            issued = issue_keys(ctx, district.CLERK, all_without_account=True)
            times.append(time.perf_counter() - start)
        finally:
            ctx.database.dispose()
        progress(f"  {len(issued):,} keys in {ms(times[-1])}, executemany {ms(baselines[-1])}")
    # Guardians whose students are all withdrawn are not active and get no key.
    skipped = issued.skipped_inactive
    if len(issued) + skipped != bundle.guardians:
        raise RuntimeError(f"issued {len(issued)} keys and passed over {skipped} inactive "
                           f"guardians, of {bundle.guardians}")
    if len(issued) != len(tables[0][1]):
        raise RuntimeError(f"issued {len(issued)} keys; the baseline writes "
                           f"{len(tables[0][1])}")
    elapsed, baseline = median(times), median(baselines)
    return ([ratio_row(figure, databases.kind, TARGET, elapsed, baseline,
                       f"{ms(elapsed)} vs {ms(baseline)} ({len(issued) / elapsed:,.0f} "
                       "keys/s)")], url, issued)
