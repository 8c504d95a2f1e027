"""The read-only page of candidate concepts, over a real waitress server: listed with their
counts, place and examples, escaped, computed once per store state and again after a write."""
from __future__ import annotations

import re
import shutil

import pytest
from markupsafe import escape

from citegraph.graph.models import Concept
from webapp_support import TOKEN, XSS_IMG, XSS_SCRIPT, http, make_app

HOSTILE_LABEL = f"{XSS_SCRIPT} concept"
EXTRA = ("R&D budgets grow when the service team asks for them. Finance approves R&D "
         "budgets once a year, after the service team has reported.")


@pytest.fixture(scope="module")
def served(demo_store_dir, tmp_path_factory, embedder):
    """The demo corpus plus one article, under a scheme of one concept whose label is
    hostile: every suggested place names it, so escaping is seen on every row."""
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.ingest.pipeline import Pipeline
    from citegraph.webapp.server import BackgroundServer

    directory = tmp_path_factory.mktemp("suggestions") / "store"
    shutil.copytree(demo_store_dir, directory)
    with SQLiteStore(directory) as store:
        store.replace_concepts([Concept("https://example.org/x/hostile", HOSTILE_LABEL,
                                        alt_labels=[XSS_IMG])])
        for n in (1, 2):  # two articles: a phrase of one passage is no candidate
            report = Pipeline(store, embedder).ingest_text(f"budgets-{n}", "R&D budgets",
                                                           EXTRA)
            assert report.new == 1
    app = make_app(directory, embedder, token=TOKEN)
    with BackgroundServer(app) as running:
        yield running, app


def get(server, path):
    r = http(server.url, "GET", path)
    assert r.status == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_the_page_lists_candidates_with_counts_place_and_examples(served):
    server, _app = served
    html = get(server, "/suggestions")
    found = rows(html)
    assert len(found) >= 5
    service = next(r for r in found if ">service team<" in r)
    counts = re.findall(r'<td class="num">(\d+)</td>', service)
    # three demo passages in two articles, and the two added articles
    assert (int(counts[0]), int(counts[1])) == (5, 4)  # passages, articles
    # each example links to its passage on the article page
    links = re.findall(r'href="(/articles/[^"#]+)#p(\d+)"', service)
    assert 1 <= len(links) <= 2
    for path, ordinal in links:
        assert f'id="p{ordinal}"' in get(server, path)
    assert "From all " in html


def test_everything_on_the_page_is_escaped(served):
    server, _app = served
    html = get(server, "/suggestions")
    assert XSS_SCRIPT not in html and XSS_IMG not in html
    assert str(escape(HOSTILE_LABEL)) in html  # the suggested place of every row
    assert "R&amp;D budget" in html and "R&D" not in html


def test_computed_once_per_store_state_and_again_after_a_write(served):
    from citegraph.webapp.suggestions import cache_of

    server, app = served
    get(server, "/suggestions")
    before = cache_of(app).computed
    first = get(server, "/suggestions")
    assert cache_of(app).computed == before  # the same state: the kept result
    assert "loyalty ladder" not in first
    text = ("The loyalty ladder explains repeat buying. Every loyalty ladder has rungs, and "
            "the loyalty ladder of a bank differs.")
    for n in range(3):
        r = http(server.url, "POST", "/api/articles", {"id": f"ladder-{n}", "title": "Ladders",
                                                       "text": text},
                 headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status in (200, 201), r.text
    second = get(server, "/suggestions")
    assert cache_of(app).computed == before + 1
    assert "loyalty ladder" in second


def test_the_concepts_page_links_to_it(served):
    server, _app = served
    assert 'href="/suggestions"' in get(server, "/concepts")
