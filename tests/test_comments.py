"""Comment threads as structure: every reader tells the author's body from readers' comments
(citegraph/text/comments.py), each comment is its own span with its byline's author and date,
bylines stay out of passages, no passage crosses a section, and section/author/date travel
through both stores, search results, the JSON, RDF, the passages export, pages and the CLI."""
from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from pathlib import Path

import pytest
from test_store_contract import store  # noqa: F401  (the contract suite's backends)

from citegraph.graph.models import Passage
from citegraph.ingest.pipeline import IngestReport, Pipeline
from citegraph.ingest.readers import read_file
from citegraph.text.cleaning import clean_text_marked
from citegraph.text.comments import Section, byline_spans, find_sections
from citegraph.text.splitter import Splitter

from conftest import REPO, SEEDS, needs_seeds

DATA = REPO / "tests" / "data" / "comments"
# an independent reading of a byline's date and time, for checks on the seeds
DATE_TIME = re.compile(r"(?:January|February|March|April|May|June|July|August|September|"
                       r"October|November|December) \d{1,2}, \d{4} at \d{1,2}:\d{2} [ap]m")


def sections_of(text: str) -> list[Section]:
    cleaned, marks = clean_text_marked(text)
    return find_sections(cleaned, marks)


def comments(sections) -> list[tuple]:
    return [(s.author, s.date) for s in sections if s.kind == "comment"]


def check_passages(text: str, sections: list[Section], spans) -> None:
    """No passage crosses a section or holds a byline; every other non-space character of
    the text lies in exactly one passage."""
    bylines = byline_spans(text, sections)
    covered = [False] * len(text)
    for span, section in spans:
        assert section.words_start <= span.start and span.end <= section.end, (span, section)
        for i in range(span.start, span.end):
            assert not covered[i]
            covered[i] = True
        for a, b in bylines:
            assert span.end <= a or b <= span.start, f"byline {text[a:b]!r} in a passage"
    in_byline = set(i for a, b in bylines for i in range(a, b))
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]
            and i not in in_byline]
    assert not lost, f"{len(lost)} characters in no passage, first {text[lost[0]:lost[0] + 40]!r}"


# --- detection, reader by reader ------------------------------------------------------------
def test_numbered_bylines_and_replies_in_plain_text():
    draft, = read_file(DATA / "numbered.txt", None)
    assert [s.kind for s in draft.sections] == ["body"] + ["comment"] * 4
    assert comments(draft.sections) == [
        (None, "2011-10-24T05:35:00"),  # "1. October 24, 2011 at 5:35 am": a date, no name
        ("Rosa Kaplan", "2011-10-26T06:51:00"),  # a reply: "– Rosa Kaplan" over its date
        ("Mitch Lieberman", "2011-10-24T07:31:00"),
        ("dariasteigman", "2011-11-29T16:42:00")]
    first = draft.sections[1]
    assert draft.text[first.words_start:].lstrip().startswith("Commenting on your post")
    assert "Third, service builds trust" in draft.text[:draft.sections[0].end]


def test_says_bylines_after_a_markdown_thread_heading():
    draft, = read_file(DATA / "says.md", None)
    assert (draft.author, draft.published) == ("Ana Ruiz", "2024-03-01")
    assert comments(draft.sections) == [("Priya Raman", "2024-03-03T09:15:00"),
                                        ("Tom Becker", None),  # "says:" without a date
                                        ("Lena Ott", "2024-03-04T18:02:00")]
    assert "3 thoughts on" not in draft.text  # the heading is furniture, its place is kept
    body = draft.text[:draft.sections[0].end]
    assert body.rstrip().endswith("now every team takes part.")


def test_wordpress_comment_markup_in_html():
    draft, = read_file(DATA / "wordpress.html", None)
    assert comments(draft.sections) == [("Mitch Lieberman", "2024-05-03T07:31:00+00:00"),
                                        ("Rosa Kaplan", "2024-05-04T18:02:00+00:00")]
    body, first, reply = draft.sections
    assert "onboarding calls fell by a third" in draft.text[body.start:body.end]
    assert "Owners per stage" not in draft.text[body.start:body.end]
    # the byline stands in the text as on the page, before the comment's words
    assert draft.text[first.start:first.words_start].split("\n")[:2] == [
        "Mitch Lieberman says:", "May 3, 2024 at 7:31 am"]
    assert draft.text[first.words_start:first.end].startswith("Owners per stage")
    assert draft.text[reply.words_start:reply.end].startswith("How did you choose")
    assert "Leave a Reply" not in draft.text


BYLINE_ONLY_THREAD = """<html><body><main><article><h1>Queues</h1>
<p>Our queue fell to forty seconds once the product engineers took calls every Friday.</p>
<p>The second change was a callback option for anyone waiting more than two minutes.</p>
<p class="comment"><span class="author">The editor</span> adds that the callback option was first
tried in the Lisbon office in 2023, a year before any other office took it up.</p>
</article>
<section class="comments" id="comments"><h2>2 responses</h2>
<div class="comment"><p class="comment-author">Martin Okafor</p>
<p>The Friday calls worked for us too.</p>
<div class="comment"><p class="comment-author">Ana Lima</p><p>How long did it take?</p></div>
</div></section></main></body></html>"""


def test_a_thread_whose_comments_mark_only_their_byline(tmp_path):
    """A comment marked up with its author but no words element (the demo's own markup):
    the rest of it is its words, under its own byline; a byline-only `.comment` outside any
    thread container is no comment."""
    page = tmp_path / "page.html"
    page.write_text(BYLINE_ONLY_THREAD, encoding="utf-8")
    draft, = read_file(page, None)
    assert comments(draft.sections) == [("Martin Okafor", None), ("Ana Lima", None)]
    _body, first, reply = draft.sections
    assert draft.text[first.words_start:first.end].strip() == "The Friday calls worked for us too."
    assert draft.text[reply.words_start:reply.end].strip() == "How long did it take?"


def test_the_demo_comment_is_by_its_author():
    draft, = read_file(REPO / "demo" / "corpus" / "voice-of-the-customer.html", None)
    [comment] = [s for s in draft.sections if s.kind == "comment"]
    assert comment.author == "Martin Okafor"
    assert draft.text[comment.words_start:comment.end].startswith("The point about two loops")


def test_jsonl_records_with_and_without_a_thread_heading():
    with_heading, no_heading = read_file(DATA / "records.jsonl", None)
    assert comments(with_heading.sections) == [("Mitch Lieberman", "2011-10-24T07:31:00"),
                                               ("Rosa Kaplan", "2011-10-26T06:51:00")]
    # no heading: the one-line numbered byline with name, date and time starts the thread
    assert comments(no_heading.sections) == [("Mitch Lieberman", "2011-10-24T07:31:00"),
                                             ("Rosa Kaplan", "2011-10-26T06:51:00")]


def test_a_page_without_comments_is_one_body_section():
    text = "A Title\n\nThe body of the article says one thing.\n\nThen another thing."
    assert [(s.kind, s.start, s.end) for s in sections_of(text)] == [("body", 0, len(text))]


# --- hostile input ---------------------------------------------------------------------------------
def test_the_authors_own_numbered_and_dated_lists_are_not_comments():
    """'1. Something 2011', dated list items without words of their own between them, a
    diary's time stamp without a list mark, a name over a job title: all body."""
    draft, = read_file(DATA / "own_list.txt", None)
    assert [s.kind for s in draft.sections] == ["body"]
    for text in ("Intro.\n\n1. Something 2011\n\n2. Another thing 2012\n\nMore text.",
                 "Intro.\n\nOctober 24, 2011 at 5:35 am\n\nWe opened the lines early.",
                 "Intro.\n\n1. Kickoff October 24, 2011\n\nWe met the whole team."):
        assert [s.kind for s in sections_of(text)] == ["body"], text


def test_a_heading_without_bylines_makes_each_numbered_comment_its_own():
    text = ("Body text of the post.\n\n12 responses to “Post”\n\n1. First reader's words.\n\n"
            "    1) an inner point\n\n    2) another inner point\n\n2. Second reader's words.")
    found = sections_of(text)
    cleaned, _ = clean_text_marked(text)
    assert [s.kind for s in found] == ["body", "comment", "comment"]
    assert "an inner point" in cleaned[found[1].start:found[1].end]
    assert cleaned[found[2].start:found[2].end] == "2. Second reader's words."


def test_a_count_heading_opens_a_thread_only_over_a_byline():
    text = ("The post.\n\n3 Comments\n\nJane Doe\nMarch 3, 2024 at 9:15 am\n\nNice post.\n\n"
            "Bo Chen says:\n\nAgreed.")
    found = sections_of(text)
    assert comments(found) == [("Jane Doe", "2024-03-03T09:15:00"), ("Bo Chen", None)]
    assert text[found[0].start:found[0].end].endswith("3 Comments")  # the heading is body
    # the author's own "Comments" heading over ordinary text is no thread
    plain = "Code style.\n\nComments\n\nWrite comments that say why, not what.\n\nJane Doe"
    assert [s.kind for s in sections_of(plain)] == ["body"]


def test_chinese_text_and_chinese_comments():
    zh = "客户体验团队每周整理反馈数据并讨论下一步的改进计划。" * 40
    text = f"标题\n\n{zh}\n\n1. 2011年10月24日\n\n{zh}"
    found = sections_of(text)
    assert [s.kind for s in found] == ["body"]
    thread = f"标题\n\n{zh}\n\n2 thoughts on “标题”\n\n王芳 says:\n\n{zh}\n\n李雷 says:\n\n短评。"
    cleaned, marks = clean_text_marked(thread)
    found = find_sections(cleaned, marks)
    assert comments(found) == [("王芳", None), ("李雷", None)]
    check_passages(cleaned, found, Splitter().split_sections(cleaned, found))


def test_huge_comment_counts_and_huge_lines():
    count = 20_000
    thread = "".join(f"{i}. Reader {i} October 24, 2011 at 7:31 am\n\nComment number {i}.\n\n"
                     for i in range(1, count + 1))
    text = "Body of the post.\n\n" + thread
    found = sections_of(text)
    assert len([s for s in found if s.kind == "comment"]) == count
    assert found[-1].author == f"Reader {count}"
    # one line of a million characters of byline bait: never read as a byline, no blow-up
    bait = "Body.\n\n1. " + "Mitch October 24, 2011 at 7:31 am " * 30_000
    assert [s.kind for s in sections_of(bait)] == ["body"]


def test_passages_never_cross_sections_and_bylines_stay_out():
    for name in ("numbered.txt", "says.md", "wordpress.html", "records.jsonl"):
        for draft in read_file(DATA / name, None):
            spans = Splitter().split_sections(draft.text, draft.sections)
            check_passages(draft.text, draft.sections, spans)


def test_a_long_comment_is_split_within_its_own_span():
    words = " ".join(f"word{i}." for i in range(900))
    text = (f"Body.\n\n2 thoughts on “X”\n\n1. Ana Ruiz October 1, 2020 at 1:00 pm\n\n{words}\n\n"
            "2. Bo Chen October 2, 2020 at 2:00 pm\n\nShort.")
    cleaned, marks = clean_text_marked(text)
    found = find_sections(cleaned, marks)
    spans = Splitter().split_sections(cleaned, found)
    assert sum(1 for _, s in spans if s.author == "Ana Ruiz") >= 4
    check_passages(cleaned, found, spans)


# --- the seed articles ------------------------------------------------------------------------------
def raw_comment_count(raw: str) -> int:
    """Comments in a seed file as its lines show them, read independently of the module: a
    list-marked or bulleted line carrying a date and time or standing over one, and, after
    a "N thoughts on" heading, each top-level numbered line."""
    lines = raw.split("\n")
    found = set()
    heading = None
    for i, line in enumerate(lines):
        if re.match(r"^(One|\d+) (thoughts?|responses?|comments?) on ", line.strip()):
            heading = i
        marked = re.match(r"^\s*(?:\d+\.|[•–])\s+\S", line)
        below = lines[i + 1] if i + 1 < len(lines) else ""
        if marked and (DATE_TIME.search(line) or DATE_TIME.fullmatch(below.strip())):
            found.add(i)
        elif (heading is not None and i > heading and re.match(r"^ {0,3}\d+\. ", line)
              and "trackbacks" not in line.lower()):
            found.add(i)
    return len(found)


@needs_seeds
def test_every_seed_comment_is_its_own_span_with_its_author(embedder, tmp_path):
    from citegraph.graph.sqlite_store import SQLiteStore

    total = 0
    with SQLiteStore(tmp_path / "s") as s:
        pipeline = Pipeline(s, embedder)
        for path in sorted(SEEDS.glob("*.txt")):
            raw = path.read_text(encoding="utf-8")
            draft, = read_file(path, None)
            found = [x for x in draft.sections if x.kind == "comment"]
            assert len(found) == raw_comment_count(raw), path.name
            total += len(found)
            names = re.findall(r"^\s*(?:\d+\.|•)\s+([A-Za-z][\w ]{0,40}?)\s*\n\s*" +
                               DATE_TIME.pattern, raw, re.M)
            assert [c.author for c in found if c.author] == names, path.name
            report = IngestReport()
            pipeline.ingest_drafts([draft], report)
            passages = s.article_passages(draft.id)
            assert passages and not report.failed
            for p in passages:
                assert not DATE_TIME.search(p.text), f"{p.id} holds a byline: {p.text[:80]!r}"
                section = next(x for x in draft.sections if x.start <= p.start < x.end)
                assert p.end <= section.end and p.start >= section.words_start
                assert (p.section, p.author) == (section.kind, section.author)
    assert total >= 7  # 1 comment on 000, 6 (with 2 replies) on 004


# --- stores, results, JSON ------------------------------------------------------------------
def ingest_fixtures(store, embedder) -> IngestReport:  # noqa: F811
    report = IngestReport()
    drafts = [d for name in ("numbered.txt", "says.md", "wordpress.html")
              for d in read_file(DATA / name, None)]
    Pipeline(store, embedder).ingest_drafts(drafts, report)
    assert not report.failed, report.failed
    return report


def test_section_author_and_date_round_trip_through_the_store(store, embedder):  # noqa: F811
    ingest_fixtures(store, embedder)
    got = store.article_passages("says.md")
    comment = [p for p in got if p.section == "comment"]
    assert [(p.author, p.date) for p in comment] == [
        ("Priya Raman", "2024-03-03T09:15:00"), ("Tom Becker", "2024-03-01"),
        ("Lena Ott", "2024-03-04T18:02:00")]  # Tom's byline has no date: the article's
    body = [p for p in got if p.section == "body"]
    assert body and all((p.author, p.date) == ("Ana Ruiz", "2024-03-01") for p in body)
    nameless = [p for p in store.article_passages("numbered.txt") if p.section == "comment"][0]
    assert (nameless.author, nameless.date) == (None, "2011-10-24T05:35:00")
    again = store.get_passages([comment[0].id])[0]
    assert (again.section, again.author, again.date) == (
        "comment", "Priya Raman", "2024-03-03T09:15:00")
    listed = {p.id: p for p in store.iter_passages()}
    assert listed[comment[2].id].author == "Lena Ott"


def test_results_json_and_citations_carry_section_author_and_date(store, embedder):  # noqa: F811
    from citegraph.search.factory import build_retriever
    from citegraph.search.service import SearchService

    ingest_fixtures(store, embedder)
    service = SearchService(store, embedder, build_retriever(store, "hybrid"))
    result = service.search("Did bug reports get clearer when engineers joined?", 5).to_dict()
    top = result["results"][0]
    assert (top["section"], top["author"], top["date"]) == ("comment", "Tom Becker",
                                                            "2024-03-01")
    assert not result["answer"]["abstained"]
    sources = result["answer"]["sources"]
    assert [s["number"] for s in sources] == result["answer"]["citations"]
    for s in sources:
        r = result["results"][s["number"] - 1]
        assert (s["passage_id"], s["section"], s["author"], s["date"]) == (
            r["passage_id"], r["section"], r["author"], r["date"])
    assert all(r["section"] in ("body", "comment") for r in result["results"])


def test_answers_prefer_the_body_when_it_answers_as_well(embedder):
    from citegraph.search.answer import Evidence, choose

    same = "Every product manager spends one hour a month listening to live support calls."
    texts = [same, same + " We agree."]
    vectors, sentences = embedder.encode_passages(texts)
    question = "How long do product managers spend listening to support calls?"
    qv = embedder.encode_query(question)
    comment_first = [Evidence(1, texts[0], sentences[0], comment=True),
                     Evidence(2, texts[1], sentences[1])]
    assert choose(question, qv, comment_first).units[0].number == 2
    both_body = [Evidence(1, texts[0], sentences[0]), Evidence(2, texts[1], sentences[1])]
    assert choose(question, qv, both_body).units[0].number == 1  # the rank decides then
    # a comment that answers when the body does not is still quoted
    other = "Our offices are painted blue and green."
    vectors, sentences = embedder.encode_passages([same, other])
    only_comment = [Evidence(1, same, sentences[0], comment=True),
                    Evidence(2, other, sentences[1])]
    assert choose(question, qv, only_comment).units[0].number == 1


# --- migration of a schema-4 store ----------------------------------------------------------------
def make_version_four(directory: Path) -> None:
    """What schema version 4 wrote: no passage section, author or date, and content hashes
    made before sections existed."""
    from citegraph.ingest.pipeline import content_hash

    conn = sqlite3.connect(directory / "citegraph.sqlite3", isolation_level=None)
    conn.executescript("ALTER TABLE passages DROP COLUMN section;"
                       " ALTER TABLE passages DROP COLUMN author;"
                       " ALTER TABLE passages DROP COLUMN date;"
                       " ALTER TABLE passages DROP COLUMN page;"
                       " UPDATE meta SET value = '4' WHERE key = 'schema';")
    for name in ("numbered.txt", "says.md", "wordpress.html"):
        draft, = read_file(DATA / name, None)
        draft.sections = []
        conn.execute("UPDATE articles SET content_hash = ? WHERE id = ?",
                     (content_hash(draft), draft.id))
    conn.close()


def test_a_schema_four_store_marks_its_passages_body_by_the_articles_author(tmp_path, embedder):
    from citegraph.graph.sqlite_schema import SCHEMA_VERSION
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(tmp_path / "s") as s:
        ingest_fixtures(s, embedder)
        before = {p.id: p.text for p in s.iter_passages()}
    make_version_four(tmp_path / "s")
    with SQLiteStore(tmp_path / "s", readonly=True) as s:  # read-only: derived, file untouched
        got = s.article_passages("says.md")
        assert {(p.section, p.author, p.date) for p in got} == {("body", "Ana Ruiz", "2024-03-01")}
    conn = sqlite3.connect(tmp_path / "s" / "citegraph.sqlite3")
    assert conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == ("4",)
    conn.close()
    with SQLiteStore(tmp_path / "s") as s:
        assert {p.id: p.text for p in s.iter_passages()} == before
        got = s.article_passages("says.md")
        assert {(p.section, p.author, p.date) for p in got} == {("body", "Ana Ruiz", "2024-03-01")}
        assert {p.author for p in s.article_passages("numbered.txt")} == {None}
    conn = sqlite3.connect(tmp_path / "s" / "citegraph.sqlite3")
    assert conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (
        SCHEMA_VERSION,)
    conn.close()
    # re-ingesting the files finds the comments again (their hash now holds the sections)
    with SQLiteStore(tmp_path / "s") as s:
        report = ingest_fixtures(s, embedder)
        assert report.changed == 3
        assert any(p.section == "comment" for p in s.article_passages("says.md"))


# --- RDF and the passages export ----------------------------------------------------------------------
def test_rdf_and_passages_export_round_trip_section_author_and_date(tmp_path, embedder):
    import rdflib

    from citegraph.graph.rdf_export import export, passages_jsonl
    from citegraph.graph.rdf_import import RdfImportError, import_rdf
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(tmp_path / "a") as source:
        ingest_fixtures(source, embedder)
        want = {p.id: (p.section, p.author, p.date) for p in source.iter_passages()}
        lines = [json.loads(x) for x in passages_jsonl(source)]
        path = tmp_path / "graph.ttl"
        with open(path, "w", encoding="utf-8") as out:
            export(source, "turtle", out, with_embeddings=True)
    assert {x["passage_id"]: (x["section"], x["author"], x["date"]) for x in lines} == want
    assert "comment" in {v[0] for v in want.values()}
    with SQLiteStore(tmp_path / "b") as target:
        import_rdf(target, path, get_embedder=lambda: embedder)
        assert {p.id: (p.section, p.author, p.date) for p in target.iter_passages()} == want
    # import checks the values
    graph = rdflib.Graph().parse(path)
    cg = rdflib.Namespace("https://w3id.org/citegraph/ns#")
    subject = next(graph.subjects(cg.section, rdflib.Literal("comment")))
    for predicate, bad, words in ((cg.section, "sidebar", "cg:section 'sidebar'"),
                                  (rdflib.URIRef("https://schema.org/datePublished"),
                                   "yesterday", "not an ISO 8601 date")):
        broken = rdflib.Graph()
        for triple in graph:
            broken.add(triple)
        broken.remove((subject, predicate, None))
        broken.add((subject, predicate, rdflib.Literal(bad)))
        bad_path = tmp_path / "bad.ttl"
        broken.serialize(bad_path, format="turtle")
        with SQLiteStore(tmp_path / f"c-{bad}") as target:
            with pytest.raises(RdfImportError) as info:
                import_rdf(target, bad_path, get_embedder=lambda: embedder)
            assert words in str(info.value) and "\n" not in str(info.value)
            assert target.stats()["passages"] == 0


def test_an_export_without_sections_imports_as_body(tmp_path, embedder):
    import rdflib

    from citegraph.graph.rdf_export import export
    from citegraph.graph.rdf_import import import_rdf
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(tmp_path / "a") as source:
        ingest_fixtures(source, embedder)
        with open(tmp_path / "g.ttl", "w", encoding="utf-8") as out:
            export(source, "turtle", out, with_embeddings=True)
    graph = rdflib.Graph().parse(tmp_path / "g.ttl")
    cg = rdflib.Namespace("https://w3id.org/citegraph/ns#")
    schema = rdflib.Namespace("https://schema.org/")
    for p in list(graph.subjects(rdflib.RDF.type, cg.Passage)):
        graph.remove((p, cg.section, None))
        graph.remove((p, schema.author, None))
        graph.remove((p, schema.datePublished, None))
    graph.serialize(tmp_path / "old.ttl", format="turtle")
    with SQLiteStore(tmp_path / "b") as target:
        import_rdf(target, tmp_path / "old.ttl", get_embedder=lambda: embedder)
        assert {(p.section, p.author, p.date) for p in target.article_passages("says.md")} == {
            ("body", "Ana Ruiz", "2024-03-01")}


# --- pages and the CLI --------------------------------------------------------------------------------
@pytest.fixture
def comment_store(tmp_path, embedder):
    from citegraph.graph.sqlite_store import SQLiteStore

    directory = tmp_path / "store"
    with SQLiteStore(directory) as s:
        ingest_fixtures(s, embedder)
        hostile = read_file(DATA / "says.md", None)[0]
        hostile.id = "hostile.md"
        # an author as markup could name it (bylines in text never take such a name)
        last = hostile.sections[-1]
        hostile.sections[-1] = dataclasses.replace(last, author="<b>Lena</b> & <i>Ott</i>")
        report = IngestReport()
        Pipeline(s, embedder).ingest_drafts([hostile], report)
        assert not report.failed
        assert [p.author for p in s.article_passages("hostile.md")][-1] == "<b>Lena</b> & <i>Ott</i>"
    return directory


def test_pages_show_comment_by_author_and_date(comment_store, embedder):
    from webapp_support import http, make_app, q

    from citegraph.webapp.server import BackgroundServer

    app = make_app(comment_store, embedder)
    app.extensions["citegraph.runtime"].sync_scheme()  # link the shipped scheme, as ingest does
    with BackgroundServer(app) as running:
        page = http(running.url, "GET", "/?q=" + q("Did bug reports get clearer?"))
        assert page.status == 200
        assert 'comment by <span class="author"><bdi>Tom Becker</bdi></span>' in page.text
        article = http(running.url, "GET", "/articles/says.md")
        assert article.status == 200
        assert ('comment by <span class="author"><bdi>Priya Raman</bdi></span>, <time class="date"'
                ' datetime="2024-03-03T09:15:00">') in article.text
        assert article.text.count('class="passage-card comment"') == 3
        hostile = http(running.url, "GET", "/articles/hostile.md")
        assert "&lt;b&gt;Lena&lt;/b&gt; &amp; &lt;i&gt;Ott&lt;/i&gt;" in hostile.text
        assert "<b>Lena</b>" not in hostile.text
        api = http(running.url, "GET", "/api/articles/says.md").json()
        assert {(p["section"], p["author"]) for p in api["passages"]} >= {
            ("comment", "Lena Ott"), ("body", "Ana Ruiz")}
        found = http(running.url, "GET", "/api/search?q=" + q("Did bug reports get clearer?")
                     + "&k=3").json()
        assert found["results"][0]["section"] == "comment"
        assert found["answer"]["sources"][0]["section"] in ("body", "comment")
        # a concept's page says which of its passages are comments, and by whom
        concepts = http(running.url, "GET", "/api/concepts").json()["concepts"]
        shown = 0
        for c in concepts:
            card = http(running.url, "GET", "/api/concepts/" + q(c["id"])).json()
            comments = [p for p in card["passages"] if p["section"] == "comment"]
            if comments:
                page = http(running.url, "GET", "/concepts/" + q(c["id"])).text
                assert page.count('<p class="byline comment">') == len(comments)
                shown += 1
        assert shown, "no concept is mentioned in a comment of the fixtures"


def test_pages_isolate_names_that_carry_bidi_controls(comment_store, embedder):
    """A right-to-left override in an id, title, source or commenter's name is kept as given
    but shown inside <bdi>, so it cannot reorder the page's own words around it ("by X,
    published ..." read backwards, or "report\u202efdp.exe" passing for an .exe's name)."""
    from webapp_support import http, make_app, q

    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.webapp.server import BackgroundServer

    rlo = "\u202e"
    draft = read_file(DATA / "says.md", None)[0]
    draft.id, draft.title, draft.source = f"bidi{rlo}dm.txt", f"Notes {rlo}evil", f"feed{rlo}x"
    last = draft.sections[-1]
    draft.sections[-1] = dataclasses.replace(last, author=f"Eve {rlo}evE")
    with SQLiteStore(comment_store) as s:
        report = IngestReport()
        Pipeline(s, embedder).ingest_drafts([draft], report)
        assert not report.failed
    with BackgroundServer(make_app(comment_store, embedder)) as running:
        article = http(running.url, "GET", "/articles/" + q(draft.id)).text
        for name in (draft.id, draft.title, draft.source, f"Eve {rlo}evE"):
            assert f"<bdi>{name}</bdi>" in article, name
        listing = http(running.url, "GET", "/articles?sort=title&limit=100").text
        assert f"<bdi>{draft.title}</bdi>" in listing and f"<bdi>{draft.source}</bdi>" in listing
        found = http(running.url, "GET", "/?q=" + q("Did bug reports get clearer?")).text
        assert f"<bdi>{draft.title}</bdi>" in found
        # outside <bdi> no override remains on any of these pages
        for text in (article, listing, found):
            assert rlo not in re.sub(r"<bdi>[^<]*</bdi>", "", text.split("<body", 1)[1])


def test_cli_ask_shows_comment_by(comment_store, embedder, monkeypatch):
    from click.testing import CliRunner

    from citegraph.cli import main
    from citegraph.runtime import Runtime

    monkeypatch.setattr(Runtime, "embedder", property(lambda self: embedder))
    result = CliRunner().invoke(main, ["ask", "Did bug reports get clearer?", "--k", "3",
                                       "--store", str(comment_store)])
    assert result.exit_code == 0, result.output
    assert "· comment by Tom Becker, 2024-03-01" in result.stdout
    result = CliRunner().invoke(main, ["ask", "Did bug reports get clearer?", "--k", "3",
                                       "--json", "--store", str(comment_store)])
    data = json.loads(result.stdout)
    assert data["results"][0]["section"] == "comment"
    assert data["results"][0]["author"] == "Tom Becker"


def test_passage_model_defaults_to_the_body():
    p = Passage("a#0", "a", 0, "x", 0, 1)
    assert (p.section, p.author, p.date) == ("body", None, None)
