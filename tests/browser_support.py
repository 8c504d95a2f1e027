"""What the browser tests share: Debian's Chromium driven by Playwright (no browser is
downloaded), with the flags this closed network needs, and where screenshots go. Importing
it skips the importing test module when Chromium or Playwright is missing."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# The README's screenshots are refreshed only when asked, so a test run leaves the tree clean.
SCREENSHOTS = (Path(__file__).resolve().parent.parent / "docs" / "screenshots"
               if os.environ.get("CITEGRAPH_SCREENSHOTS")
               else Path(tempfile.gettempdir()) / "citegraph-screenshots")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: run scripts/install-browser.sh", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@contextmanager
def chromium():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def watched_page(browser, width: int, height: int):
    """A page in a context of its own at the given viewport, collecting every script error and
    console error in `page.errors` (a test asserts it empty: no script error, no CSP violation)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    try:
        yield pg
    finally:
        context.close()
