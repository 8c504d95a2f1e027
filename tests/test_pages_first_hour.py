"""Pages a newcomer meets (issue 27), in a real browser (Debian's headless Chromium driven by
Playwright, as tests/test_explorer.py) at desktop and phone widths: the API docs page."""
from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from browser_support import SCREENSHOTS, chromium
from webapp_support import make_app

VENDOR = Path(__file__).resolve().parent.parent / "webapp" / "static" / "vendor"
WIDTHS = [1400, 390]

if not (VENDOR / "swagger-ui-bundle.js").exists():
    pytest.skip("webapp/static/vendor/ is empty: run tools/web-assets/install.sh (make setup)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def server(demo_store_dir, tmp_path_factory, embedder):
    from citegraph.webapp.server import BackgroundServer

    directory = tmp_path_factory.mktemp("first-hour") / "store"
    shutil.copytree(demo_store_dir, directory)
    app = make_app(directory, embedder)
    app.extensions["citegraph.runtime"].sync_scheme()
    with BackgroundServer(app) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def page(browser, server, request):
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    pg = context.new_page()
    errors, elsewhere = [], []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    local = urlparse(server.url).netloc
    pg.on("request", lambda r: elsewhere.append(r.url)
          if urlparse(r.url).scheme in ("http", "https") and urlparse(r.url).netloc != local
          else None)
    pg.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    pg.width = request.param
    yield pg
    assert not errors, errors  # no script error, no CSP violation
    assert not elsewhere, elsewhere  # offline: nothing from another host
    context.close()


def overflows(page) -> int:
    """Pixels the page is wider than its viewport (sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_nav_api_link_opens_interactive_docs(page, server):
    page.goto(f"{server.url}/")
    page.click("header nav >> text=API")
    assert page.url.endswith("/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    operations = page.locator(".opblock").count()
    assert operations >= 8, operations  # every path of the document, drawn
    assert page.locator(".opblock-summary-path", has_text="/api/search").count() >= 1
    page.locator(".opblock-summary", has_text="/api/search").first.click()
    page.wait_for_selector(".parameters-container, .parameters", timeout=10_000)
    assert page.locator("tr[data-param-name='q']").count() == 1
    assert overflows(page) <= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"api-docs-{page.width}.png"), full_page=False)
