"""The one table `make bench` prints: each performance figure, its target, the measured ratio.

Every number in it is a median over several runs. A row is either measured (with a
verdict against its target) or skipped with the reason.
"""

from __future__ import annotations

import os
import platform
import shlex
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

MET = "ok"
MISSED = "MISSED"
SKIPPED = "skipped"
INFO = "info"  # shown for context, with no target


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    figure: str
    """What is measured, in a few words."""
    database: str
    """"sqlite", "postgresql", or "-" where no database is involved."""
    target: str
    """The target, e.g. "≤ 1.3×"."""
    measured: str
    """The ratio or the absolute figure the target is about."""
    absolute: str
    """The numbers behind the ratio (medians), e.g. "612 ms vs 545 ms"."""
    verdict: str
    """MET, MISSED, SKIPPED, or INFO."""

    @classmethod
    def skipped(cls, figure: str, database: str, target: str, reason: str) -> Row:
        return cls(figure, database, target, "-", reason, SKIPPED)


def ratio_row(figure: str, database: str, limit: float, measured: float, baseline: float,
              absolute: str, *, absolute_limit_s: float | None = None) -> Row:
    """A "≤ N×" row (optionally also "≤ S s" on the measured time, in seconds)."""
    ratio = measured / baseline if baseline > 0 else float("inf")
    target = f"≤ {limit:g}×"
    ok = ratio <= limit
    if absolute_limit_s is not None:
        target += f", ≤ {absolute_limit_s:g} s"
        ok = ok and measured <= absolute_limit_s
    return Row(figure, database, target, f"{ratio:.2f}×", absolute, MET if ok else MISSED)


def limit_row(figure: str, database: str, limit: float, unit: str, measured: float,
              absolute: str) -> Row:
    """A "≤ N unit" row."""
    return Row(figure, database, f"≤ {limit:g} {unit}", f"{measured:.3g} {unit}", absolute,
               MET if measured <= limit else MISSED)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def ms(seconds: float) -> str:
    """A duration for the table: "512 ms", "3.41 ms", "12.3 s"."""
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    value = seconds * 1000
    return f"{value:.0f} ms" if value >= 100 else f"{value:.3g} ms"


def render(rows: Sequence[Row]) -> str:
    """A Markdown table, so docs/benchmarks.md can carry it as printed."""
    header = ("figure", "database", "target", "measured", "medians", "verdict")
    cells = [header, *((r.figure, r.database, r.target, r.measured, r.absolute, r.verdict)
                       for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(c) for c in cells[1:])])


def machine() -> str:
    """One line naming the machine: CPU model, cores, memory, OS, Python."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for text in cpuinfo.read_text(errors="replace").splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text().splitlines()[0].split()
        memory = f", {int(first[1]) / 1024 / 1024:.0f} GiB RAM"
    return (f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def preamble(argv: Sequence[str]) -> str:
    command = "make bench" if not argv else "python -m bench " + shlex.join(argv)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"Measured {now} on {machine()}\nCommand: {command}"


def progress(text: str) -> None:
    """What is running now, on stderr, so stdout holds only the table."""
    print(f"bench: {text}", file=sys.stderr, flush=True)


Benchmark = Callable[[], list[Row]]
