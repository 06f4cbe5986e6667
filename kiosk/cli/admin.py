"""`kiosk staff-user add`, `kiosk reset-password`, `kiosk unlock`."""

from __future__ import annotations

import sys

import click

from kiosk.cli.common import cli_actor, expected_errors, load_context, print_json, refuse
from kiosk.errors import RulesNotMet


@click.group("staff-user")
def staff_user() -> None:
    """Manage staff accounts for the console."""


@staff_user.command("add")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Give the admin role (manage staff, import rosters).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@expected_errors
def add(username: str, admin: bool, password_stdin: bool) -> None:
    """Add a staff user. The password is asked for (twice), or read from stdin."""
    from kiosk.security.policy import unmet_username_rules
    from kiosk.services.staff import add_staff_user

    username_rules = unmet_username_rules(username.strip())
    if username_rules:
        refuse("username: " + "; ".join(rule.text for rule in username_rules))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = add_staff_user(load_context(), cli_actor(), username, password,
                              "admin" if admin else "staff")
    except RulesNotMet as unmet:
        refuse("password: " + "; ".join(unmet.problems))
    click.echo(f"Added {user.role} user {user.username}.")


@click.command("reset-password")
@click.argument("username")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@expected_errors
def reset_password(username: str, as_json: bool) -> None:
    """Give a parent a temporary password (shown once; they must change it at login)."""
    from kiosk.services.staff import reset_password as reset

    temporary = reset(load_context(), cli_actor(), username)
    if as_json:
        print_json({"username": temporary.username,
                    "temporary_password": temporary.temporary_password,
                    "expires_at": temporary.expires_at.isoformat()})
        return
    click.echo(f"Temporary password for {temporary.username}: {temporary.temporary_password}")
    click.echo(f"It works until {temporary.expires_at:%Y-%m-%d %H:%M} UTC and must be changed "
               "at the next login.")


@click.command()
@click.argument("username")
@expected_errors
def unlock(username: str) -> None:
    """Clear a parent's failed logins and lock."""
    from kiosk.services.staff import unlock as do_unlock

    do_unlock(load_context(), cli_actor(), username)
    click.echo(f"Unlocked {username.strip().lower()}.")
