"""Pages a newcomer meets (issue 27), in a real browser (Debian's headless Chromium driven by
Playwright, as tests/test_explorer.py) at desktop and phone widths: the API docs page."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from browser_support import SCREENSHOTS, chromium, watched_page
from webapp_support import scheme_server

VENDOR = Path(__file__).resolve().parent.parent / "webapp" / "static" / "vendor"
WIDTHS = [1400, 390]

if not (VENDOR / "swagger-ui-bundle.js").exists():
    pytest.skip("webapp/static/vendor/ is empty: run tools/web-assets/install.sh (make setup)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def server(demo_store_dir, tmp_path_factory, embedder):
    directory = tmp_path_factory.mktemp("first-hour") / "store"
    with scheme_server(demo_store_dir, directory, embedder) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def page(browser, server, request):
    with watched_page(browser, request.param, 900) as pg:
        elsewhere: list[str] = []
        local = urlparse(server.url).netloc
        pg.on("request", lambda r: elsewhere.append(r.url)
              if urlparse(r.url).scheme in ("http", "https") and urlparse(r.url).netloc != local
              else None)
        pg.on("response",
              lambda r: pg.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        pg.width = request.param
        yield pg
        assert not pg.errors, pg.errors  # no script error, no CSP violation
        assert not elsewhere, elsewhere  # offline: nothing from another host


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


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_comment_cards_keep_the_marker_clear_of_the_byline(page, server):
    page.goto(f"{server.url}/articles/contact-centre-customer-insight.txt")
    card = page.locator("section.passage-card.comment").first
    marker = card.locator(".pilcrow").bounding_box()
    byline = card.locator(".byline.comment").bounding_box()
    assert marker and byline and not boxes_overlap(marker, byline), (marker, byline)
    assert overflows(page) <= 1
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"comment-card-{page.width}.png"))


def test_the_concept_page_fits_the_width(page, server):
    for depth in (1, 2):
        page.goto(f"{server.url}/concepts/ContactCenter?depth={depth}")
        page.wait_for_load_state("networkidle")
        wide = page.evaluate("""[...document.querySelectorAll('body *')].filter(
            e => e.getBoundingClientRect().right > window.innerWidth + 1).map(
            e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)
            ).slice(0, 8)""")
        assert overflows(page) <= 1, (depth, overflows(page), wide)
    page.screenshot(path=str(SCREENSHOTS / f"concept-{page.width}.png"), full_page=True)


def test_the_concepts_list_sorts_without_regard_to_case(page, server):
    page.goto(f"{server.url}/concepts")
    labels = page.locator("table.concepts-index tbody tr td:first-child a").all_inner_texts()
    assert len(labels) > 10
    assert labels == sorted(labels, key=str.casefold), labels


def test_co_occurs_with_lists_associations_only(page, server):
    """'accountability' shares passages with 'customer retention' less often than chance
    on the demo store (NPMI below 0): no association, not listed."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"{server.url}/api/concepts/Accountability") as reply:
        card = json.load(reply)
    npmis = {c["label"]: c["npmi"] for c in card["co_occurring"]}
    assert npmis["customer retention"] < 0 < npmis["customer analytics"]  # the data's facts
    page.goto(f"{server.url}/concepts/Accountability")
    row = page.locator("dt", has_text="Co-occurs with").locator("xpath=following-sibling::dd[1]")
    shown = row.locator("a.concept").all_inner_texts()
    assert "customer analytics" in shown and "customer retention" not in shown
    measures = row.locator(".measure").all_inner_texts()
    assert measures and all("NPMI -" not in m and "NPMI −" not in m for m in measures)


def test_comment_dates_read_as_dates(page, server, embedder):
    """A comment's ISO date-time (2024-05-04T18:02:00+00:00) reads '4 May 2024, 18:02'; the
    machine form stays in the datetime attribute."""
    from conftest import REPO

    sample = REPO / "tests" / "data" / "comments" / "wordpress.html"
    report = server.runtime.pipeline().ingest_paths([str(sample)])
    assert report.new + report.unchanged == 1 and not report.failed
    page.goto(f"{server.url}/articles/wordpress.html")
    dates = page.locator(".byline.comment time").all()
    assert dates, "no dated comment"
    texts = [d.inner_text() for d in dates]
    assert "4 May 2024, 18:02" in texts, texts
    assert all("T" not in t and not t[:4].isdigit() for t in texts), texts
    assert "2024-05-04T18:02:00+00:00" in [d.get_attribute("datetime") for d in dates]
    page.screenshot(path=str(SCREENSHOTS / f"comment-dates-{page.width}.png"), full_page=True)


def test_depth_two_is_drawn_in_rings_with_weak_links_faded_and_labels_on_hover(page, server):
    page.goto(f"{server.url}/concepts/ContactCenter?depth=2")
    for _ in range(100):  # wait_for_function evaluates a string, which the page's CSP forbids
        if page.evaluate("() => !!(window.citegraphExplorer && window.citegraphExplorer.cy"
                         " && window.citegraphExplorer.cy.nodes().length > 10)"):
            break
        page.wait_for_timeout(200)
    drawn = page.evaluate("""() => {
      const ex = window.citegraphExplorer, cy = ex.cy, c = cy.getElementById(ex.center).position();
      const nodes = cy.nodes().map(n => ({depth: ex.nodes[n.id()].depth,
        r: Math.hypot(n.position().x - c.x, n.position().y - c.y), label: n.style('label'),
        id: n.id()}));
      const edges = cy.edges().map(e => ({weak: e.hasClass('weak'),
        opacity: parseFloat(e.style('opacity'))}));
      return {nodes, edges};
    }""")
    ring1 = [n["r"] for n in drawn["nodes"] if n["depth"] == 1]
    ring2 = [n["r"] for n in drawn["nodes"] if n["depth"] >= 2]
    assert ring1 and ring2 and max(ring1) < min(ring2)  # rings: depth 2 outside depth 1
    assert all(n["label"] == "" for n in drawn["nodes"] if n["depth"] >= 2)
    assert all(n["label"] for n in drawn["nodes"] if n["depth"] <= 1)
    weak = [e["opacity"] for e in drawn["edges"] if e["weak"]]
    strong = [e["opacity"] for e in drawn["edges"] if not e["weak"]]
    assert weak and strong and max(weak) < min(strong)
    outer = next(n["id"] for n in drawn["nodes"] if n["depth"] >= 2)
    hovered = page.evaluate("""(id) => { const n = window.citegraphExplorer.cy.getElementById(id);
      n.emit('mouseover'); return n.style('label'); }""", outer)
    assert hovered  # the name shows on hover
    page.screenshot(path=str(SCREENSHOTS / f"explorer-depth2-{page.width}.png"))
