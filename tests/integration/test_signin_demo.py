"""`kiosk demo --signin`: the sign-in provider answers for the demo district.

A real `kiosk demo --no-run --signin` process builds the demo district in its own
database, prints the demo portal client on the sheet, and serves the provider until
stopped: discovery answers, and the printed link shows the login page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from kiosk.demo_district import DEMO_USERNAME

from support.environment import isolated_environment
from support.serve_process import free_port
from support.signin_server import SigninProcess, start_serving_signin


@pytest.fixture(scope="module")
def demo_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigninProcess]:
    """One demo provider for the module: its tests only read what it prints and serves."""
    tmp_path = tmp_path_factory.mktemp("signin-demo")
    port = free_port()
    # Built here, as a module fixture starts before any test's own isolated environment.
    env = {**isolated_environment(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "KIOSK_DATABASE_URL": f"sqlite:///{tmp_path}/configured.db"}
    served = start_serving_signin(
        ["demo", "--no-run", "--signin", "--signin-port", str(port)], port, env,
        tmp_path / "demo", command="kiosk demo --signin", seconds=120)
    yield served
    assert served.stop() == 0


def test_the_demo_provider_answers_discovery_for_the_demo_district(
        demo_provider: SigninProcess) -> None:
    base = demo_provider.base_url
    document = requests.get(f"{base}/.well-known/openid-configuration", timeout=30).json()
    assert document["issuer"] == base
    assert document["token_endpoint"] == f"{base}/token"
    district = re.search(r"District ID (\S+)\)", demo_provider.stdout())
    assert district is not None
    lookup = requests.get(f"{base}/districts/{district.group(1)}", timeout=30)
    assert lookup.status_code == 200 and lookup.json()["issuer"] == base


def test_the_demo_sheets_link_shows_the_login_page(demo_provider: SigninProcess) -> None:
    sheet = demo_provider.stdout()
    assert "demo portal client: client_id " in sheet and "client_secret " in sheet
    link = re.search(r"^  (http://127\.0\.0\.1:\d+/authorize\?\S+)$", sheet, re.MULTILINE)
    assert link is not None, sheet
    page = requests.get(link.group(1), timeout=30)
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert "demo-portal" in page.text
    assert f"username: {DEMO_USERNAME}" in sheet
