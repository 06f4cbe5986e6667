"""`kiosk signin`: the OpenID Connect provider for the portal and the mobile app.

aiohttp and Authlib load only when a `signin` command runs, never for `kiosk run`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TYPE_CHECKING

import click

from kiosk.cli.common import cli_actor, expected_errors, load_context, print_json, refuse, visible

if TYPE_CHECKING:
    from kiosk.services.context import ServiceContext


@click.group()
def signin() -> None:
    """Sign guardians in to the district portal and the mobile app (OpenID Connect)."""


@signin.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --issuer https://...")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="TCP port to listen on.")
@click.option("--issuer", metavar="URL",
              help="The address portals and apps use, e.g. https://signin.example.org "
                   "behind a TLS proxy (default: the signin_issuer setting, else "
                   "http://HOST:PORT).")
@click.option("--trusted-proxy", metavar="ADDR",
              help="The IP address of your reverse proxy: from it (and only from it) the "
                   "X-Forwarded-For header gives the visitor's address.")
@expected_errors
def serve(host: str, port: int, issuer: str | None, trusted_proxy: str | None) -> None:
    """Serve the sign-in provider until Ctrl+C or SIGTERM."""
    from kiosk.settings import load_settings
    from kiosk.signin.config import SigninOptionsError, make_config

    settings = load_settings()
    try:
        config = make_config(host=host, port=port,
                             issuer=issuer or settings.signin_issuer or None,
                             trusted_proxy=trusted_proxy or settings.signin_trusted_proxy
                             or None)
    except SigninOptionsError as error:
        raise click.UsageError(str(error)) from None
    start_provider(settings, config, host, port)


def provider_context(settings: object) -> ServiceContext:
    """The services of one provider process: its pool keeps a database connection for
    each of the provider's worker threads."""
    from kiosk.db.engine import make_engine
    from kiosk.db.uow import Database
    from kiosk.services.context import ServiceContext
    from kiosk.settings import Settings
    from kiosk.signin.web import WORKERS

    assert isinstance(settings, Settings)
    context = ServiceContext.from_settings(settings)
    url = settings.connection_url()
    context.database.dispose()
    # A token exchange is two short statements: a ping per checkout would be a third.
    engine = make_engine(url, pool_size=WORKERS, ping_on_checkout=False)
    return replace(context, database=Database(url, engine=engine))


def start_provider(settings: object, config: object, host: str, port: int) -> None:
    """Serve `config` on host:port with the services of `settings` (also `kiosk demo`)."""
    from kiosk.settings import Settings
    from kiosk.signin.config import SigninConfig
    from kiosk.signin.web import make_app, serve

    assert isinstance(settings, Settings) and isinstance(config, SigninConfig)
    context = provider_context(settings)
    # The dummy hash is made before the first login, so that first login's timing does
    # not tell whether the username exists.
    context.hashing.dummy_verify("warm-up")
    app = make_app(context, config)

    def ready() -> None:
        click.echo(f"Serving sign-in (OpenID Connect) at {config.issuer}/ (listening on "
                   f"{host}:{port}; discovery at "
                   f"{config.issuer}/.well-known/openid-configuration). Press Ctrl+C to stop.")
        sys.stdout.flush()

    try:
        serve(app, host, port, ready)
    except OSError as error:
        refuse(f"cannot listen on {host}:{port}: {error.strerror or error}")
    click.echo("Stopped.")


@signin.group()
def client() -> None:
    """Register, list and remove the portals and apps that may sign guardians in."""


@client.command("add")
@click.argument("name")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True, metavar="URI",
              help="Where the client gets its answer; give each exact URI (repeatable).")
@click.option("--public", is_flag=True,
              help="A public client (the mobile app): no secret, PKCE S256 required, "
                   "refresh tokens. Without it: a confidential client (a portal).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@expected_errors
def add(name: str, redirect_uris: tuple[str, ...], public: bool, as_json: bool) -> None:
    """Register a client. A confidential client's secret is shown once, here only."""
    from kiosk.signin import store

    ctx = load_context()
    new = store.add_client(ctx.database, ctx.clock, cli_actor(), name, list(redirect_uris),
                           public=public)
    if as_json:
        document = {"client_id": new.client_id}
        if new.client_secret is not None:
            document["client_secret"] = new.client_secret
        print_json(document)
        return
    click.echo(f"client {new.name}: {'public' if public else 'confidential'}")
    click.echo(f"  client_id:     {new.client_id}")
    if new.client_secret is not None:
        click.echo(f"  client_secret: {new.client_secret}")
        click.echo("  (shown only now: it is stored hashed. Lost? remove the client and add "
                   "it again.)")
    for uri in new.redirect_uris:
        click.echo(f"  redirect URI:  {uri}")


@client.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@expected_errors
def list_(as_json: bool) -> None:
    """List the registered clients (never a secret)."""
    from kiosk.signin import store

    clients = store.list_clients(load_context().database)
    if as_json:
        print_json([{"name": c.name, "client_id": c.client_id, "public": c.public,
                     "redirect_uris": list(c.redirect_uris), "created_at": c.created_at}
                    for c in clients])
        return
    if not clients:
        click.echo("No clients. Add one with: kiosk signin client add NAME --redirect-uri URI")
        return
    for c in clients:
        kind = "public" if c.public else "confidential"
        click.echo(f"{visible(c.name)}  {kind}  {c.client_id}  "
                   f"{' '.join(visible(u) for u in c.redirect_uris)}")


@client.command("remove")
@click.argument("name")
@expected_errors
def remove(name: str) -> None:
    """Remove a client: its codes and tokens stop working at once."""
    from kiosk.signin import store

    ctx = load_context()
    store.remove_client(ctx.database, ctx.clock, cli_actor(), name)
    click.echo(f"Removed client {visible(name)}.")


@signin.command("rotate-key")
@expected_errors
def rotate_key() -> None:
    """Sign with a new key from now on; the old public key stays in /jwks until the
    ID tokens it signed have expired."""
    from kiosk.signin import store

    ctx = load_context()
    kid, retired = store.rotate_key(ctx.database, ctx.clock, cli_actor())
    click.echo(f"New signing key {kid} is in use.")
    if retired:
        click.echo(f"Retired: {', '.join(retired)} (still published for a few minutes).")


