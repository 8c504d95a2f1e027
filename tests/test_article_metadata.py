"""Article author and publication date: captured by each reader, carried by the pipeline
into both stores, listed newest first, exported as schema.org RDF and read back, and put on
every search result (the result JSON of DESIGN.md)."""
from __future__ import annotations

import io
import json

import pytest
from test_store_contract import store  # noqa: F401  (the contract suite's backends)

from citegraph.graph.listing import article_listing
from citegraph.graph.models import Article
from citegraph.ingest.readers import (clean_author, iso_date, read_html, read_jsonl,
                                      read_markdown, read_txt)

HTML = b"""<html><head><title>Quarterly notes</title>
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2023-04-05T10:20:00Z">
</head><body><article><h1>Quarterly notes</h1>
<p>The contact centre hears more about customers than any other team, and what it hears
should reach the people who decide what to build next.</p></article></body></html>"""

HTML_TIME = b"""<html><head><title>Time element</title></head><body><article>
<p class="byline">By <span class="author">Bob Smith</span>,
<time datetime="2022-02-03">3 February 2022</time></p>
<p>Customer journey maps start from evidence gathered from support tickets and interviews,
not from what the organisation believes about its customers.</p></article></body></html>"""

HTML_BARE = b"""<html><head><title>No metadata</title></head><body><article>
<p>Published on March 4, 2020, according to the text, but no metadata says so: the text
is not metadata, and the reader must not take a date from it.</p></article></body></html>"""


# --- readers -----------------------------------------------------------------------------
def test_html_author_and_date_from_meta_tags():
    draft = read_html(HTML, "notes.html", "corpus/notes.html")[0]
    assert (draft.author, draft.published) == ("Jane Doe", "2023-04-05")


def test_html_author_and_date_from_the_page_and_its_time_element():
    draft = read_html(HTML_TIME, "t.html", "corpus/t.html")[0]
    assert (draft.author, draft.published) == ("Bob Smith", "2022-02-03")


def test_html_without_metadata_has_no_date_from_its_text():
    draft = read_html(HTML_BARE, "b.html", "corpus/b.html")[0]
    assert (draft.author, draft.published) == ("", "")


def test_markdown_front_matter_author_and_date():
    raw = (b'---\ntitle: "Owning analytics"\nauthor: "Ana Ruiz"\ndate: 2024-03-01\n---\n'
           b"# Owning analytics\n\nSomeone has to own customer analytics.\n")
    draft = read_markdown(raw, "a.md", "corpus/a.md")[0]
    assert (draft.title, draft.author, draft.published) == (
        "Owning analytics", "Ana Ruiz", "2024-03-01")
    listed = read_markdown(b"---\nauthors: [A One, 'B Two']\ndate: 2024-03-01T09:30:00Z\n---\n"
                           b"Body text.\n", "b.md", "corpus/b.md")[0]
    assert (listed.author, listed.published) == ("A One, B Two", "2024-03-01T09:30:00+00:00")
    bare = read_markdown(b"# Title\n\nNo front matter.\n", "c.md", "corpus/c.md")[0]
    assert (bare.author, bare.published) == ("", "")


def test_jsonl_author_and_date_or_published():
    lines = [{"id": "1", "text": "One.", "author": "Ana Ruiz", "date": "2024-01-02"},
             {"id": "2", "text": "Two.", "author": ["A One", {"name": "B Two"}],
              "published": "Fri, 01 Mar 2024 10:00:00 GMT"},
             {"id": "3", "text": "Three.", "date": "not a date", "author": 42},
             {"id": "4", "text": "Four."}]
    data = "\n".join(json.dumps(r) for r in lines).encode()
    drafts = read_jsonl(data, "f", "corpus/f.jsonl")
    assert [(d.author, d.published) for d in drafts] == [
        ("Ana Ruiz", "2024-01-02"), ("A One, B Two", "2024-03-01T10:00:00+00:00"),
        ("", ""), ("", "")]


def test_plain_text_has_neither():
    draft = read_txt(b"A title\n\nSome text.\n", "t.txt", "corpus/t.txt")[0]
    assert (draft.author, draft.published) == ("", "")


@pytest.mark.parametrize("value,expected", [
    ("2024-03-01", "2024-03-01"), ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00+00:00"),
    ("2024-03-01 10:00", "2024-03-01T10:00:00"), ("'2024-03-01'", "2024-03-01"),
    ("2024-13-01", ""), ("yesterday", ""), ("", ""), (None, ""), (2024, "")])
def test_iso_date(value, expected):
    assert iso_date(value) == expected


def test_clean_author_is_one_line_and_bounded():
    assert clean_author("  Ana\n Ruiz ") == "Ana Ruiz"
    assert len(clean_author("x" * 1000)) == 300
    assert clean_author({"name": "Ana"}) == "Ana" and clean_author(3) == ""


# --- stores --------------------------------------------------------------------------------
def _article(aid: str, published=None, author=None, ingested="2024-06-01T00:00:00+00:00"):
    return Article(aid, f"Title {aid}", "Some text.", source=f"c/{aid}", content_hash=aid,
                   ingested_at=ingested, author=author, published=published)


def _with_passage(article: Article):
    import numpy as np

    from citegraph.graph.models import Passage

    vector = np.zeros(384, dtype=np.float32)
    vector[0] = 1.0
    return [Passage(f"{article.id}#0", article.id, 0, article.text, 0, len(article.text),
                    embedding=vector)]


def test_author_and_date_round_trip_through_the_store(store):  # noqa: F811
    dated = _article("dated", "2023-04-05T10:20:00+02:00", "Jane Doe")
    bare = _article("bare")
    for a in (dated, bare):
        store.upsert_article(a, _with_passage(a), [])
    assert store.get_article("dated") == dated
    assert store.get_article("bare") == bare
    heads = store.article_titles(["dated", "bare"])
    assert (heads["dated"].author, heads["dated"].published) == (
        "Jane Doe", "2023-04-05T10:20:00+02:00")
    assert (heads["bare"].author, heads["bare"].published) == (None, None)
    assert {a.id: a.published for a in store.iter_articles()} == {
        "dated": "2023-04-05T10:20:00+02:00", "bare": None}


def test_listing_by_date_is_newest_published_first_and_undated_last(store):  # noqa: F811
    records = [_article("old", "2021-01-01", ingested="2024-09-01T00:00:00+00:00"),
               _article("new", "2024-05-05T08:00:00Z", "Ana"),
               _article("mid", "2023-02-02"),
               _article("undated-late", ingested="2024-12-01T00:00:00+00:00"),
               _article("undated-early", ingested="2024-01-01T00:00:00+00:00")]
    for a in records:
        store.upsert_article(a, _with_passage(a), [])
    listing = article_listing(store, limit=10, sort="date").as_dict()
    assert [a["id"] for a in listing["articles"]] == [
        "new", "mid", "old", "undated-late", "undated-early"]
    first = listing["articles"][0]
    assert (first["author"], first["date"]) == ("Ana", "2024-05-05T08:00:00Z")
    assert listing["articles"][-1]["author"] is None and listing["articles"][-1]["date"] is None
    page = article_listing(store, limit=2, offset=2, sort="date").as_dict()
    assert [a["id"] for a in page["articles"]] == ["old", "undated-late"]


def test_a_version_three_store_gains_the_columns(tmp_path):
    import sqlite3

    from citegraph.graph.sqlite_schema import SCHEMA_VERSION
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(tmp_path / "s") as s:
        s.upsert_article(_article("a"), _with_passage(_article("a")), [])
    conn = sqlite3.connect(tmp_path / "s" / "citegraph.sqlite3", isolation_level=None)
    conn.executescript("DROP INDEX articles_by_published; ALTER TABLE articles DROP COLUMN"
                       " author; ALTER TABLE articles DROP COLUMN published;"
                       " ALTER TABLE passages DROP COLUMN section;"
                       " ALTER TABLE passages DROP COLUMN author;"
                       " ALTER TABLE passages DROP COLUMN date;"
                       " ALTER TABLE passages DROP COLUMN page;"
                       " UPDATE meta SET value = '3' WHERE key = 'schema';")
    conn.close()
    with SQLiteStore(tmp_path / "s", readonly=True) as s:  # read-only: NULLs, file untouched
        assert s.get_article("a").published is None
        assert article_listing(s).articles[0].date is None
    with SQLiteStore(tmp_path / "s") as s:
        dated = _article("b", "2020-01-01", "Ana")
        s.upsert_article(dated, _with_passage(dated), [])
        assert s.get_article("b") == dated
        assert [a.id for a in article_listing(s).articles] == ["b", "a"]
    conn = sqlite3.connect(tmp_path / "s" / "citegraph.sqlite3")
    assert conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (
        SCHEMA_VERSION,)
    conn.close()


# --- pipeline, search results and RDF ------------------------------------------------------------
@pytest.fixture
def dated_store(demo_store, embedder, tmp_path):
    """The demo store plus two dated articles with authors (Markdown and JSONL)."""
    from citegraph.ingest.pipeline import Pipeline

    folder = tmp_path / "dated"
    folder.mkdir()
    (folder / "dated-note.md").write_text(
        "---\ntitle: Contact centre escalations\nauthor: Ana Ruiz\ndate: 2024-03-01\n---\n"
        "# Contact centre escalations\n\nEscalations from the contact centre reach the product"
        " team every Friday, with the three loudest customer complaints of the week and the"
        " calls behind them.\n", encoding="utf-8")
    (folder / "more.jsonl").write_text(json.dumps(
        {"id": "zebra-memo", "title": "Zebra memo", "author": "Bo Chen",
         "published": "2021-07-08T09:00:00Z",
         "text": "The zebra memo says that customer churn is reviewed by the chief customer"
                 " officer each quarter, before the budget round."}) + "\n", encoding="utf-8")
    report = Pipeline(demo_store, embedder).ingest_paths([str(folder)])
    assert report.new == 2 and not report.failed, report.failed
    return demo_store


def test_results_carry_the_articles_author_and_date(dated_store, embedder):
    from citegraph.search.factory import build_retriever
    from citegraph.search.service import SearchService

    service = SearchService(dated_store, embedder, build_retriever(dated_store))
    out = service.search("When do contact centre escalations reach the product team?",
                         k=5).to_dict()
    top = out["results"][0]
    assert top["title"] == "Contact centre escalations"
    assert (top["author"], top["date"]) == ("Ana Ruiz", "2024-03-01")
    assert all("author" in r and "date" in r and "signals" not in r for r in out["results"])
    undated = [r for r in out["results"] if r["article_id"] != top["article_id"]]
    assert undated and all(r["date"] is None for r in undated)
    memo = service.search("zebra memo churn review", k=3).to_dict()["results"][0]
    assert (memo["article_id"], memo["author"], memo["date"]) == (
        "zebra-memo", "Bo Chen", "2021-07-08T09:00:00+00:00")


def test_reingesting_unchanged_metadata_is_a_no_op(dated_store, embedder):
    from citegraph.ingest.pipeline import IngestReport, Pipeline
    from citegraph.ingest.readers import ArticleDraft as Draft

    pipeline = Pipeline(dated_store, embedder)
    draft = dict(title="Zebra memo", text="A short memo about churn.", url="")
    report = IngestReport()

    pipeline.ingest_drafts([Draft("memo-2", **draft, author="Bo", published="2021-01-01")],
                           report)
    pipeline.ingest_drafts([Draft("memo-2", **draft, author="Bo", published="2021-01-01")],
                           report)
    assert (report.new, report.unchanged) == (1, 1)
    pipeline.ingest_drafts([Draft("memo-2", **draft, author="Bo", published="2021-01-02")],
                           report)
    assert report.changed == 1
    assert dated_store.get_article("memo-2").published == "2021-01-02"


def test_rdf_exports_author_and_dates_and_imports_them_back(dated_store, tmp_path):
    import rdflib

    from citegraph.graph.rdf_export import export
    from citegraph.graph.rdf_import import import_rdf
    from citegraph.graph.sqlite_store import SQLiteStore

    out = io.StringIO()
    export(dated_store, "turtle", out, base_iri="http://example.org/", with_embeddings=True)
    graph = rdflib.Graph().parse(data=out.getvalue(), format="turtle")
    schema = rdflib.Namespace("https://schema.org/")
    cg = rdflib.Namespace("https://w3id.org/citegraph/ns#")
    XSD = rdflib.namespace.XSD
    memo = next(graph.subjects(schema.identifier, rdflib.Literal("zebra-memo")))
    assert graph.value(memo, schema.author) == rdflib.Literal("Bo Chen")
    assert graph.value(memo, schema.datePublished) == rdflib.Literal(
        "2021-07-08T09:00:00+00:00", datatype=XSD.dateTime)
    assert graph.value(memo, cg.ingestedAt).datatype == XSD.dateTime
    assert graph.value(memo, schema.dateCreated) is None
    note = next(s for s in graph.subjects(schema.author, rdflib.Literal("Ana Ruiz")))
    assert graph.value(note, schema.datePublished) == rdflib.Literal("2024-03-01",
                                                                     datatype=XSD.date)
    vocabulary = rdflib.Graph().parse(
        __import__("conftest").REPO / "ontology" / "cg.ttl")
    assert (cg.ingestedAt, rdflib.RDF.type, rdflib.OWL.DatatypeProperty) in vocabulary
    path = tmp_path / "export.ttl"
    path.write_text(out.getvalue(), encoding="utf-8")
    with SQLiteStore(tmp_path / "copy") as copy:
        import_rdf(copy, path)
        for a in dated_store.iter_articles():
            assert copy.get_article(a.id) == a
