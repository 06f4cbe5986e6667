"""`kiosk keys issue` and `kiosk keys revoke`."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click

from kiosk.cli.common import (
    cli_actor,
    expected_errors,
    load_context,
    print_json,
    progress_bar,
    refuse,
    visible,
)


@click.group()
def keys() -> None:
    """Issue and revoke activation keys."""


@keys.command()
@click.option("--guardian", "guardians", multiple=True, metavar="SOURCED_ID",
              help="The guardian's roster sourcedId (repeat for several).")
@click.option("--all-without-account", is_flag=True,
              help="Every guardian who has no portal account yet.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write printable letters, one page per guardian.")
@expected_errors
def issue(guardians: tuple[str, ...], all_without_account: bool, as_json: bool,
          pdf: Path | None) -> None:
    """Issue a key per guardian. Each key is shown once; a reissue revokes the old key."""
    from kiosk.services.keys import issue_keys

    if bool(guardians) == all_without_account:
        raise click.UsageError("give either --guardian SOURCED_ID ... or --all-without-account")
    if pdf is not None:
        _check_new_file(pdf)
    context = load_context()
    if pdf is not None:  # before any key is issued: letters must name this district
        context.settings.require_district("keys issue --pdf")
    actor = cli_actor()
    with progress_bar(0, "Issuing keys") as progress:
        issued = issue_keys(context, actor, list(guardians),
                            all_without_account=all_without_account, progress=progress)
    # The keys are printed before the letters are written: a key must never be issued
    # (and its predecessor revoked) without being shown once.
    if as_json:
        expires: dict[datetime, str] = {}  # a bulk issue gives every key the same expiry
        print_json([{"guardian_id": k.guardian_id, "guardian_name": k.guardian_name,
                     "activation_key": k.activation_key,
                     "expires_at": expires.get(k.expires_at)
                     or expires.setdefault(k.expires_at, k.expires_at.isoformat())}
                    for k in issued])
    else:
        # The expiry as the letters show it: in the district's time zone, named.
        zone, zone_name = context.settings.zone, context.settings.timezone
        expiry: dict[datetime, str] = {}  # a bulk issue gives every key the same expiry
        lines = []
        for key in issued:
            if key.expires_at not in expiry:
                local = key.expires_at.astimezone(zone)
                expiry[key.expires_at] = f"expires {local:%Y-%m-%d %H:%M} ({zone_name})"
            lines.append(f"{visible(key.guardian_id)}\t{visible(key.guardian_name)}\t"
                         f"{key.activation_key}\t{expiry[key.expires_at]}")
        if lines:  # one write: 150,000 lines one echo at a time took seconds
            click.echo("\n".join(lines))
    if pdf is not None:
        from kiosk.audit import Action
        from kiosk.letters import write_letters
        from kiosk.services.files import audit_file_written

        write_letters(pdf, issued, context.settings)
        audit_file_written(context, actor, Action.LETTERS_WRITE, pdf, letters=len(issued))
    if not as_json:
        click.echo(f"Issued {len(issued)} key(s)." + (f" Letters: {pdf}" if pdf else ""),
                   err=True)
    if issued.skipped_inactive:
        click.echo(f"Skipped {issued.skipped_inactive} guardian(s) who are not active "
                   "(not active and enabled in the latest roster import, or no enrolled "
                   "student).", err=True)


def _check_new_file(path: Path) -> None:
    """Refuse before issuing anything if the letters could not be written."""
    if path.exists():
        refuse(f"{path} already exists; choose a new file name")
    folder = path.parent
    if not folder.is_dir():
        refuse(f"the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        refuse(f"cannot write to the folder {folder}")


@keys.command()
@click.option("--guardian", required=True, metavar="SOURCED_ID",
              help="The guardian's roster sourcedId.")
@expected_errors
def revoke(guardian: str) -> None:
    """Revoke the guardian's unused keys."""
    from kiosk.services.keys import revoke_keys

    count = revoke_keys(load_context(), cli_actor(), guardian)
    click.echo(f"Revoked {count} key(s) of {guardian}.")
