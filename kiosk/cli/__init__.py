"""The `kiosk` command. Subcommands load their modules only when run, so
`kiosk run` paints its first frame without paying for the rest."""

from __future__ import annotations

import importlib

import click

# command name -> "module:attribute"
COMMANDS = {
    "run": "kiosk.cli.run:run",
    "staff": "kiosk.cli.staff:staff",
    "serve": "kiosk.cli.serve:serve",
    "demo": "kiosk.cli.demo:demo",
    "db": "kiosk.cli.db:db",
    "roster": "kiosk.cli.roster:roster",
    "keys": "kiosk.cli.keys:keys",
    "staff-user": "kiosk.cli.admin:staff_user",
    "reset-password": "kiosk.cli.admin:reset_password",
    "unlock": "kiosk.cli.admin:unlock",
    "audit": "kiosk.cli.audit:audit",
    "doctor": "kiosk.cli.doctor:doctor",
    "signin": "kiosk.cli.signin:signin",
    "install-units": "kiosk.cli.units:install_units_command",
}


class LazyGroup(click.Group):
    """Imports a subcommand's module only when that subcommand is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Portal Kiosk: parent-portal activation at the school lobby, and its tools."""
