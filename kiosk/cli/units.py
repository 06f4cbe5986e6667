"""`kiosk install-units`: write the systemd units of serve, sign-in and the roster import."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.common import expected_errors
from kiosk.units import INSTALL_PREFIX, UnitOptions, install_units


@click.command("install-units")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("/"),
              show_default=True, help="Write under this folder instead of / (for a check).")
@click.option("--prefix", default=INSTALL_PREFIX, show_default=True,
              help="Where Portal Kiosk is installed (its bin/kiosk is started).")
@click.option("--public-url", default=UnitOptions.public_url, show_default=True,
              help="The address browsers use for kiosk serve (behind the TLS proxy).")
@click.option("--issuer", default=UnitOptions.issuer, show_default=True,
              help="The sign-in provider's issuer URL.")
@click.option("--roster", default=UnitOptions.roster, show_default=True,
              help="The roster export the nightly import reads.")
@expected_errors
def install_units_command(root: Path, prefix: str, public_url: str, issuer: str,
                          roster: str) -> None:
    """Write systemd units (serve, sign-in, nightly roster import and its timer).

    Each runs as its own OS user (kiosk-web, kiosk-signin, kiosk-import), confined with
    ProtectSystem=strict and NoNewPrivileges=yes. Then run: systemctl daemon-reload
    """
    for value, name in ((public_url, "--public-url"), (issuer, "--issuer")):
        if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
            raise click.BadParameter(f"must be an http(s) URL, not {value!r}", param_hint=name)
    for value, name in ((prefix, "--prefix"), (roster, "--roster")):
        if not value.startswith("/") or any(c.isspace() for c in value):
            raise click.BadParameter(f"must be an absolute path without spaces, not {value!r}",
                                     param_hint=name)
    options = UnitOptions(prefix=prefix.rstrip("/"), public_url=public_url, issuer=issuer,
                          roster=roster)
    for path in install_units(root, options):
        click.echo(f"wrote {path}")
    click.echo("Next: systemctl daemon-reload && systemctl enable --now "
               "portal-kiosk-serve portal-kiosk-signin portal-kiosk-roster-import.timer")
