"""The concept graph explorer and the collection in a real browser (Debian's headless Chromium
driven by Playwright, as tests/test_browser.py) over the demo store with the shipped scheme:
expand a concept by clicking it, filter a relation away, click an edge for its passages, page
through the articles index. With CITEGRAPH_SCREENSHOTS=1 the concept page for "contact center"
at depth 1 and 2 on the demo store is written to docs/screenshots/explorer-demo-depth*.png (the
README's pictures of the seed articles come from tools/screenshots/run.sh)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser_support import SCREENSHOTS, chromium, watched_page
from webapp_support import scheme_server, settled

CX = "https://citegraph.org/scheme/cx/"
VENDOR = Path(__file__).resolve().parent.parent / "webapp" / "static" / "vendor"

if not (VENDOR / "cytoscape.min.js").exists():
    pytest.skip("webapp/static/vendor/ is empty: run tools/web-assets/install.sh (make setup)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def server(demo_store_dir, tmp_path_factory, embedder):
    directory = tmp_path_factory.mktemp("explorer") / "store"
    with scheme_server(demo_store_dir, directory, embedder) as running:
        assert running.runtime.store.stats()["mentions"] > 0
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    with watched_page(browser, 1280, 1000) as pg:
        yield pg
        assert not pg.errors, pg.errors  # no script error, no CSP violation


def open_concept(page, server, concept_id="ContactCenter", depth=1):
    page.goto(f"{server.url}/concepts/{concept_id}?depth={depth}")
    page.wait_for_selector("#explorer[data-drawn=true]")
    page.wait_for_timeout(300)


def shown(page) -> dict:
    return page.evaluate("""() => { const cy = citegraphExplorer.cy; return {
        nodes: cy.nodes().map(n => n.id()),
        kinds: cy.edges().map(e => e.classes().filter(c => c !== 'hierarchy')[0]),
        weights: cy.edges('.co-occurs').map(e => citegraphExplorer.edges[e.id()].weight)}; }""")


def click_element(page, js_position: str, double=False):
    """A real mouse click on the canvas at an element's rendered position."""
    canvas = page.locator("#explorer .explorer-canvas")
    canvas.scroll_into_view_if_needed()
    pos = settled(page, js_position)
    box = canvas.bounding_box()
    x, y = box["x"] + pos["x"], box["y"] + pos["y"]
    (page.mouse.dblclick if double else page.mouse.click)(x, y)


def test_concept_page_draws_a_legible_explorer_and_screenshots(server, page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for depth in (1, 2):
        open_concept(page, server, depth=depth)
        view = shown(page)
        assert CX + "ContactCenter" in view["nodes"]
        assert 3 <= len(view["nodes"]) <= 40  # never more than 40 at once
        assert page.locator("#explorer .legend input[name=relation]").count() == 4
        if depth == 2:
            assert page.locator("#explorer .explorer-more").is_visible()  # more are hidden
        page.locator("section.neighbourhood").screenshot(
            path=str(SCREENSHOTS / f"explorer-demo-depth{depth}.png"))
    before = len(shown(page)["nodes"])
    page.click("#explorer .explorer-more")
    assert len(shown(page)["nodes"]) > before


def test_click_a_node_expands_its_neighbourhood_in_place(server, page):
    open_concept(page, server)
    before = set(shown(page)["nodes"])
    target = CX + "Marketing"
    assert target in before
    click_element(page, f"citegraphExplorer.cy.getElementById('{target}').renderedPosition()")
    page.wait_for_selector("#explorer[data-busy=false]")
    after = set(shown(page)["nodes"])
    assert before < after  # the old ones stay, new neighbours arrive
    assert page.evaluate(f"citegraphExplorer.cy.getElementById('{target}').hasClass('expanded')")
    assert page.url.endswith("/concepts/ContactCenter?depth=1")  # still on the same page
    assert "marketing" in page.locator(".explorer-panel h3").inner_text()
    # double-click opens the concept's own page, by its short id
    page.wait_for_timeout(600)  # the layout's animation
    click_element(page, f"citegraphExplorer.cy.getElementById('{target}').renderedPosition()",
                  double=True)
    page.wait_for_url("**/concepts/Marketing")
    assert page.locator("h1").inner_text() == "marketing"


def test_filters_take_a_relation_away_and_set_a_minimum_weight(server, page):
    open_concept(page, server)
    everything = shown(page)
    assert "co-occurs" in everything["kinds"] and "related" in everything["kinds"]
    page.uncheck("#explorer input[name=relation][value=co-occurs]")
    view = shown(page)
    assert "co-occurs" not in view["kinds"] and view["kinds"]
    assert len(view["nodes"]) < len(everything["nodes"])  # concepts only linked so are gone
    page.check("#explorer input[name=relation][value=co-occurs]")
    page.uncheck("#explorer input[name=relation][value=related]")
    assert "related" not in shown(page)["kinds"]
    page.check("#explorer input[name=relation][value=related]")
    page.locator("#explorer input[name=min-weight]").evaluate(
        "el => { el.value = '2'; el.dispatchEvent(new Event('input')); }")
    view = shown(page)
    assert view["weights"] and min(view["weights"]) >= 2
    assert len(view["weights"]) < len(everything["weights"])
    assert page.locator("#explorer .min-weight-value").inner_text() == "2"


# Where on the canvas a click reaches this edge and no other: its midpoint, else a point
# along it, the first that Cytoscape's own hit test gives to the edge (another edge may
# cross its middle). Rendered coordinates, as click_element wants.
CLEAR_POINT_OF_EDGE = """(() => { const cy = citegraphExplorer.cy, e = cy.getElementById(%s);
    const s = e.source().position(), t = e.target().position(), m = e.midpoint();
    const points = [m].concat([0.35, 0.65, 0.25, 0.75, 0.45, 0.55].map(
        f => ({x: s.x + f * (t.x - s.x), y: s.y + f * (t.y - s.y)})));
    const clear = points.find(p => {
        const hit = cy.renderer().findNearestElement(p.x, p.y, true, false);
        return hit && hit.id() === e.id(); }) || m;
    const z = cy.zoom(), pan = cy.pan();
    return {x: clear.x * z + pan.x, y: clear.y * z + pan.y}; })()"""


def test_click_an_edge_lists_its_passages_with_article_anchors(server, page):
    open_concept(page, server)
    edge = page.evaluate("""() => { const x = citegraphExplorer;
        const e = x.cy.edges('.co-occurs').sort((a, b) =>
            x.edges[b.id()].weight - x.edges[a.id()].weight)[0];
        return {id: e.id(), weight: x.edges[e.id()].weight}; }""")
    assert edge["weight"] >= 2
    click_element(page, CLEAR_POINT_OF_EDGE % repr(edge["id"]))
    page.wait_for_selector(".explorer-panel[data-showing=edge]")
    panel = page.locator(".explorer-panel")
    assert "co-occurs with" in panel.locator("h3").inner_text()
    measure = panel.locator(".measure").inner_text()
    assert re.search(r"NPMI -?\d\.\d\d", measure) and f"{int(edge['weight'])} passages" in measure
    links = panel.locator("ol.edge-passage-list a")
    assert links.count() >= 1
    href = links.first.get_attribute("href")
    assert re.fullmatch(r"/articles/[^#]+#p\d+", href), href
    links.first.click()
    ordinal = href.rsplit("#p", 1)[1]
    page.wait_for_selector(f"section#p{ordinal}")
    assert page.locator(f"section#p{ordinal}").evaluate("el => el.matches(':target')")


def test_page_through_the_articles_index(server, page):
    page.goto(server.url + "/")
    assert page.locator("section.collection .latest-articles li").count() >= 3
    page.click("section.collection a[href='/articles']")
    page.wait_for_url("**/articles")
    page.goto(server.url + "/articles?limit=3")
    first = page.locator("a.article-link").all_inner_texts()
    assert len(first) == 3 and "Page 1 of" in page.locator(".page-number").inner_text()
    page.click("nav.pager a.next")
    page.wait_for_url("**offset=3**")
    second = page.locator("a.article-link").all_inner_texts()
    assert second and not set(first) & set(second)
    assert "Page 2 of" in page.locator(".page-number").inner_text()
    page.click("nav.pager a.previous")
    assert page.locator("a.article-link").all_inner_texts() == first
    page.click(".sorts a:has-text('title')")
    titles = page.locator("a.article-link").all_inner_texts()
    assert [t.lower() for t in titles] == sorted(t.lower() for t in titles)
    page.locator("a.article-link").first.click()
    page.wait_for_selector("section.passage-card")
    height = page.locator("section.passage-card").first.evaluate(
        "el => el.getBoundingClientRect().height - el.querySelector('p.text')"
        ".getBoundingClientRect().height - (el.querySelector('ul.concepts')"
        "?.getBoundingClientRect().height || 0)")
    assert height < 60  # padding and gaps only, no blank lines from the template
