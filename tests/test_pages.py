"""HTML pages over HTTP against a real waitress server: readable without JavaScript, every
piece of article and concept text escaped."""
from __future__ import annotations

import re

import pytest
from markupsafe import escape

from webapp_support import EX, XSS_ID, XSS_IMG, XSS_SCRIPT, http, q, web_server


@pytest.fixture(scope="module")
def server(demo_store_dir, tmp_path_factory, embedder):
    directory = tmp_path_factory.mktemp("pages") / "store"
    with web_server(demo_store_dir, directory, embedder) as running:
        yield running


def page(server, path, status=200):
    r = http(server.url, "GET", path)
    assert r.status == status, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def test_search_page_without_a_question_is_a_form_over_the_collection(server):
    text = page(server, "/")
    assert '<form class="search"' in text and 'name="q"' in text
    assert 'class="result"' not in text
    # the landing page is not empty: the collection's size, top concepts, latest articles
    assert text.index('<form class="search"') < text.index('class="collection"')
    stats = http(server.url, "GET", "/healthz").json()
    assert re.search(rf"<strong>{stats['articles']}</strong> articles", text)
    top = re.findall(r'<ul class="concepts top-concepts">(.*?)</ul>', text, re.S)
    assert top and len(re.findall(r'href="/concepts/[^"/]+"', top[0])) >= 3
    assert len(re.findall(r'<ul class="latest-articles">.*?</ul>', text, re.S)) == 1
    assert 'href="/articles"' in text


def test_search_page_shows_answer_citations_highlights_and_links(server):
    text = page(server, "/?q=" + q("Who should own the customer relationship?"))
    assert 'id="answer"' in text
    citations = re.findall(r'<a class="citation" href="#r(\d+)">\[\1\]</a>', text)
    assert citations
    for n in citations:
        assert f'id="r{n}"' in text
    assert text.count("<mark>") >= 1
    anchors = re.findall(r'href="/articles/([^"#]+)#p(\d+)"', text)
    assert anchors
    # concepts of the passages are links to their pages
    assert 'href="/concepts/cco"' in text  # the short id
    # the anchor exists on the article page
    article_id, ordinal = anchors[0]
    assert f'id="p{ordinal}"' in page(server, f"/articles/{article_id}")


def test_bad_question_is_a_400_page_not_a_crash(server):
    from citegraph.search.service import MAX_QUESTION_CHARS

    text = page(server, "/?q=" + "a" * (MAX_QUESTION_CHARS + 1), status=400)
    assert 'class="error"' in text and "q:" in text
    page(server, "/?q=ok&k=0", status=400)


def test_concepts_index_lists_every_concept(server):
    text = page(server, "/concepts")
    for label in ["Chief Customer Officer", "Chief Marketing Officer", "Executive role",
                  "Customer relationship management"]:
        assert f">{label}</a>" in text


def test_concept_page_has_definition_relations_graph_and_marked_passages(server):
    text = page(server, "/concepts/" + q(EX + "cco"))
    assert "The executive who owns the customer relationship." in text
    assert 'id="explorer"' in text and "/static/explorer.js" in text
    assert "/static/vendor/cytoscape.min.js" in text  # served from our static folder
    assert 'data-src="/api/concepts/cco/neighbourhood?depth=1"' in text
    assert "<noscript>" in text and 'name="relation"' in text  # legend and filters
    assert page(server, "/concepts/cco") == text  # the short id is the same page
    assert ">Executive role</a>" in text and ">Chief Marketing Officer</a>" in text  # relations
    marks = re.findall(r"<mark>(.*?)</mark>", text)
    assert marks and {m.lower() for m in marks} <= {"chief customer officer", "cco"}
    page(server, "/concepts/" + q(EX + "missing"), status=404)


def test_article_page_has_passage_anchors_and_marked_mentions(server):
    text = page(server, "/articles/" + q(XSS_ID))
    assert 'id="p0"' in text
    assert re.search(r'<a class="mention" href="/concepts/cco" title="Chief Customer Officer">'
                     r"Chief Customer Officer</a>", text)
    page(server, "/articles/no-such-article", status=404)


def test_ids_with_extensions_work_in_pages_links_and_the_api(server):
    """File ids keep their extension (`who-owns-customer-analytics.md`): the dot travels in
    page and API paths as it is, and the article list links to it."""
    article_id = "who-owns-customer-analytics.md"
    for path in ("/articles/" + article_id, "/articles/" + q(article_id)):
        text = page(server, path)
        assert 'id="p0"' in text and "customer analytics" in text.lower()
    for path in ("/api/articles/" + article_id, "/api/articles/" + q(article_id)):
        body = http(server.url, "GET", path).json()
        assert body["id"] == article_id
        assert body["passages"][0]["passage_id"] == article_id + "#0"
    listing = page(server, "/articles?sort=title&limit=200")
    assert f'href="/articles/{article_id}"' in listing
    page(server, "/articles/who-owns-customer-analytics", status=404)  # the old stem: no alias
    assert http(server.url, "GET", "/api/articles/who-owns-customer-analytics.txt").status == 404


def test_pages_carry_no_inline_script(server):
    for path in ["/", "/?q=CRM", "/concepts", "/concepts/" + q(EX + "cco"),
                 "/articles/" + q(XSS_ID)]:
        text = page(server, path)
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"<[^>]+\s(on\w+|style)=", text), path  # no inline handlers


def test_hostile_text_is_escaped_on_every_page(server):
    """The article's title, id, source and text and a concept's label, alternative label and
    definition contain <script> and <img onerror>: every page shows them as text."""
    paths = ["/?q=" + q("who pasted an image into the CRM"),
             "/?q=" + q("CMO pasted image") + "&concept=" + q(EX + "xss"),
             "/concepts", "/concepts/" + q(EX + "xss"), "/concepts/" + q(EX + "cmo"),
             "/articles/" + q(XSS_ID)]
    for path in paths:
        text = page(server, path)
        assert XSS_SCRIPT not in text and "<img" not in text, path
        assert escape(XSS_SCRIPT) in text, path
    article = page(server, "/articles/" + q(XSS_ID))
    assert escape(XSS_IMG) in article and "&lt;i&gt;id&lt;/i&gt;" in article
    assert "javascript:" not in article  # its url is not a link
    concept = page(server, "/concepts/" + q(EX + "xss"))
    assert escape(f"A hostile definition {XSS_IMG}") in concept


def test_concept_urls_use_the_short_id(server):
    concept = http(server.url, "GET", "/api/concepts/cco").json()
    assert concept["id"] == "cco" and concept["iri"] == EX + "cco"
    assert http(server.url, "GET", "/api/concepts/" + q(EX + "cco")).json() == concept
    assert all("id" in ref for ref in concept["broader"] + concept["co_occurring"])
    listed = http(server.url, "GET", "/api/concepts").json()["concepts"]
    assert {c["iri"]: c["id"] for c in listed}[EX + "cco"] == "cco"
    graph = http(server.url, "GET", "/api/concepts/cco/neighbourhood?depth=1").json()
    assert {n["iri"]: n["id"] for n in graph["nodes"]}[EX + "cco"] == "cco"
    co = [e for e in graph["edges"] if e["type"] == "co-occurs"]
    assert co and all({"count", "pmi", "npmi"} <= set(e) for e in co)
    index = page(server, "/concepts")
    assert 'href="/concepts/cco"' in index and f'href="/concepts/{EX}' not in index


def test_openapi_documents_the_association_measures_and_the_listing(server):
    spec = http(server.url, "GET", "/api/openapi.json").json()
    edge = spec["components"]["schemas"]["Edge"]["properties"]
    assert {"count", "pmi", "npmi"} <= set(edge)
    assert "normalised" in edge["npmi"]["description"].lower()
    assert "/api/articles" in spec["paths"] and "get" in spec["paths"]["/api/articles"]


def test_articles_api_pages_and_sorts(server):
    everything = http(server.url, "GET", "/api/articles?limit=200").json()
    total = everything["total"]
    assert total == len(everything["articles"]) >= 3
    first = everything["articles"][0]
    assert set(first) >= {"id", "title", "source", "author", "date", "passages"}
    assert first["passages"] >= 1
    pages, offset = [], 0
    while offset < total:
        body = http(server.url, "GET", f"/api/articles?limit=2&offset={offset}").json()
        assert body["total"] == total
        pages += body["articles"]
        offset += 2
    assert pages == everything["articles"]  # no gaps, no repeats
    titles = [a["title"].lower() for a in
              http(server.url, "GET", "/api/articles?sort=title&limit=200").json()["articles"]]
    assert titles == sorted(titles)
    for bad in ["limit=0", "offset=-1", "sort=size", "limit=x"]:
        assert http(server.url, "GET", "/api/articles?" + bad).status == 400, bad


def test_articles_page_is_paged_sortable_and_escaped(server):
    total = http(server.url, "GET", "/api/articles").json()["total"]
    text = page(server, "/articles?limit=2")
    assert text.count('class="article-link"') == 2
    assert f"Page 1 of {-(-total // 2)}" in text and 'rel="next"' in text
    assert 'rel="prev"' not in text
    last = page(server, f"/articles?limit=2&offset={(total - 1) // 2 * 2}")
    assert 'rel="prev"' in last and 'rel="next"' not in last
    by_title = page(server, "/articles?sort=title&limit=200")
    titles = re.findall(r'class="article-link" href="[^"]+">([^<]*)</a>', by_title)
    assert [t.lower() for t in titles] == sorted(t.lower() for t in titles)
    assert XSS_SCRIPT not in by_title and escape(XSS_SCRIPT) in by_title
    page(server, "/articles?limit=0", status=400)


def test_article_passage_cards_keep_no_template_whitespace(server):
    """pre-wrap applies to the passage text only, not to the card around it (the card's own
    newlines were 80-100 px of blank space)."""
    css = http(server.url, "GET", "/static/app.css").text
    rules = [r for r in re.findall(r"([^{}]+)\{[^}]*white-space:\s*pre-wrap", css)]
    assert rules and all("section" not in r and ".passage-card" not in r for r in rules)
    assert "section.passage " not in css
    text = page(server, "/articles/" + q(XSS_ID))
    assert re.search(r'<section class="passage-card" id="p0">', text)


# --- the store method behind the listing, on every backend (the contract suite's fixtures) ---
from test_store_contract import demo_records, loaded, store  # noqa: E402,F401


def test_list_articles_pages_sorts_and_counts_passages(loaded, demo_records):
    expected = {a.id: (a, len(ps)) for a, ps in demo_records}
    total, page_ = loaded.list_articles(limit=100, offset=0, sort="title")
    assert total == len(expected)
    assert [(a.id, a.title, a.source, n) for a, n in page_] == [
        (a.id, a.title, a.source, n) for a, n in
        sorted(expected.values(), key=lambda pair: (pair[0].title.lower(), pair[0].id))]
    assert all(a.text == "" for a, _n in page_)
    by_date = [a.id for a, _n in loaded.list_articles(limit=100, sort="date")[1]]
    assert by_date == [a.id for a, _n in sorted(
        sorted(expected.values(), key=lambda pair: pair[0].id),
        key=lambda pair: pair[0].ingested_at, reverse=True)]
    pages = [a.id for offset in range(0, total, 3)
             for a, _n in loaded.list_articles(limit=3, offset=offset, sort="date")[1]]
    assert pages == by_date
    assert loaded.list_articles(limit=5, offset=total)[1] == []
    with pytest.raises(ValueError):
        loaded.list_articles(sort="size")
