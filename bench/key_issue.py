"""Issuing activation keys for every guardian of an imported district.

`kiosk.services.keys.issue_keys(all_without_account=True)`, the path behind
`kiosk keys issue --all-without-account`, on a fresh copy of the imported district
each run (so no run revokes the keys of the one before). Every active guardian gets a
key; the few whose students are all withdrawn are passed over.
"""

from __future__ import annotations

import time

from bench import district
from bench.databases import Databases
from bench.report import Row, limit_row, median, ms, progress
from kiosk.services.keys import IssuedKeys, issue_keys
from kiosk.services.views import IssuedKey

TARGET_S = 15.0


def run(databases: Databases, imported: str, bundle: district.Bundle,
        rounds: int) -> tuple[list[Row], str, list[IssuedKey]]:
    """The row, and a district with every key issued (and those keys) for the lookups."""
    figure = f"issuing keys for the active ones of {bundle.guardians:,} guardians"
    progress(f"issuing {bundle.guardians:,} keys on {databases.kind}: {rounds} runs")
    times: list[float] = []
    url = ""
    issued = IssuedKeys()
    for _ in range(rounds):
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
        progress(f"  {len(issued):,} keys in {ms(times[-1])}")
    # Guardians whose students are all withdrawn are not active and get no key.
    skipped = issued.skipped_inactive
    if len(issued) + skipped != bundle.guardians:
        raise RuntimeError(f"issued {len(issued)} keys and passed over {skipped} inactive "
                           f"guardians, of {bundle.guardians}")
    elapsed = median(times)
    return ([limit_row(figure, databases.kind, TARGET_S, "s", elapsed,
                       f"{len(issued) / elapsed:,.0f} keys/s")], url, issued)
