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


def test_search_page_without_a_question_is_a_form(server):
    text = page(server, "/")
    assert '<form class="search"' in text and 'name="q"' in text
    assert 'class="result"' not in text


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
    assert f'href="/concepts/{EX}cco"' in text
    # the anchor exists on the article page
    article_id, ordinal = anchors[0]
    assert f'id="p{ordinal}"' in page(server, f"/articles/{article_id}")


def test_bad_question_is_a_400_page_not_a_crash(server):
    text = page(server, "/?q=" + "a" * 10_000, status=400)
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
    assert 'id="graph"' in text and "/static/graph.js" in text
    assert 'data-src="/api/concepts/' in text
    assert ">Executive role</a>" in text and ">Chief Marketing Officer</a>" in text  # relations
    marks = re.findall(r"<mark>(.*?)</mark>", text)
    assert marks and {m.lower() for m in marks} <= {"chief customer officer", "cco"}
    page(server, "/concepts/" + q(EX + "missing"), status=404)


def test_article_page_has_passage_anchors_and_marked_mentions(server):
    text = page(server, "/articles/" + q(XSS_ID))
    assert 'id="p0"' in text
    assert re.search(r'<a class="mention" href="/concepts/[^"]+cco" title="Chief Customer Officer">'
                     r"Chief Customer Officer</a>", text)
    page(server, "/articles/no-such-article", status=404)


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
