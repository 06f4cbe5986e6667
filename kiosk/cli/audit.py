"""`kiosk audit [--since ISO] [--json]`."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from kiosk.cli.common import expected_errors, load_context, print_json, visible


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date such as 2026-09-01 or "
                                 "2026-09-01T08:00", param_hint="--since") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command()
@click.option("--since", metavar="ISO", help="Only events at or after this date/time (UTC).")
@click.option("--action", help="Only this action, e.g. login or key.issue.")
@click.option("--reference", help="The reference code a parent or clerk was shown.")
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@expected_errors
def audit(since: str | None, action: str | None, reference: str | None, limit: int,
          as_json: bool) -> None:
    """Show the audit log, newest first."""
    from kiosk.audit import AuditFilter
    from kiosk.services.staff import audit_events

    events = audit_events(load_context(), AuditFilter(
        since=_parse_since(since), action=action, reference=reference, limit=limit))
    if as_json:
        print_json(events)
        return
    # Names and details come from people and roster files: escapes, never raw control
    # characters, reach the terminal.
    for e in events:
        who = visible(e.actor + (f"@{e.client_address}" if e.client_address else ""))
        click.echo(f"{e.at:%Y-%m-%d %H:%M:%S} {visible(e.action):<18} {visible(e.outcome):<8} "
                   f"{who:<24} {visible(e.subject):<16} {e.reference or '':<8} "
                   f"{visible(e.detail)}")
