"""The one Chromium launcher of the browser tests.

Debian's chromium (on PATH, usually /usr/bin/chromium) driven by Playwright for Python;
never `playwright install`. scripts/test.sh installs the package, so a missing chromium
fails the test with what to install, rather than skipping it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
# Headless, and quiet: no background requests of its own (updates, sync, QUIC probes)
# that a test counting the page's requests would have to tell apart.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """A headless Chromium, closed on leaving the block (before any server fixture's
    teardown, which waits for the browser's sessions to end)."""
    if not CHROMIUM.exists():
        pytest.fail(f"Debian's chromium is missing ({CHROMIUM}): install the chromium "
                    "package (scripts/test.sh does)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
