"""The sign-in provider on the demo district: a demo portal client and its sheet lines.

`kiosk demo --signin` registers a confidential demo client in the demo database (which
every demo run builds afresh) and prints what an evaluator needs to try the login page:
the discovery URL, a ready authorization link, and the exchange of the code for tokens.
The redirect URI is on loopback and nothing listens there: after logging in, the
browser's address bar shows the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from kiosk.audit import Actor
from kiosk.services.context import ServiceContext
from kiosk.signin import store
from kiosk.signin.config import SigninConfig

DEMO_CLIENT = "demo-portal"
DEMO_REDIRECT = "http://127.0.0.1:8765/callback"


@dataclass(frozen=True)
class DemoSignin:
    issuer: str
    client_id: str
    client_secret: str
    authorize_url: str

    def describe(self) -> str:
        return "\n".join([
            "",
            f"Sign-in provider (OpenID Connect) for the demo district at {self.issuer}/",
            f"  discovery: {self.issuer}/.well-known/openid-configuration",
            f"  demo portal client: client_id {self.client_id}",
            f"                      client_secret {self.client_secret}",
            f"                      redirect URI {DEMO_REDIRECT}",
            "Open this link and log in with a login above (the temporary one leads to the",
            "change-password page first):",
            f"  {self.authorize_url}",
            "The browser then goes to the redirect URI, where nothing listens: copy the",
            "code from its address bar and exchange it for tokens with",
            f"  curl -u '{self.client_id}:{self.client_secret}' "
            f"-d grant_type=authorization_code -d redirect_uri={DEMO_REDIRECT} "
            f"-d code=CODE {self.issuer}/token",
        ])


def prepare_demo_signin(ctx: ServiceContext, config: SigninConfig) -> DemoSignin:
    """Register the demo portal client in the (freshly built) demo database."""
    new = store.add_client(ctx.database, ctx.clock, Actor(name="demo"), DEMO_CLIENT,
                           [DEMO_REDIRECT], public=False)
    assert new.client_secret is not None  # a confidential client
    query = urlencode({"response_type": "code", "client_id": new.client_id,
                       "redirect_uri": DEMO_REDIRECT, "scope": "openid profile students",
                       "state": "demo"})
    return DemoSignin(issuer=config.issuer, client_id=new.client_id,
                      client_secret=new.client_secret,
                      authorize_url=f"{config.issuer}/authorize?{query}")
