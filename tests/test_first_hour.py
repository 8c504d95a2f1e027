"""A newcomer's first hour (issue 27): what the command line says and does on first tries.
The CLI runs in process (click's CliRunner) on real stores with the session's model."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from citegraph.cli import main

READ_COMMANDS = [
    ["ask", "Who owns customer analytics?"],
    ["stats"],
    ["articles"],
    ["export"],
    ["serve"],  # on a port already taken (below), so that it cannot run on
    ["concepts"],
    ["concept", "churn"],
    ["suggest-concepts"],
    ["delete", "some-article"],
    ["relink"],
]


@pytest.fixture
def cli(embedder, monkeypatch):
    from citegraph.runtime import Runtime

    monkeypatch.setattr(Runtime, "embedder", embedder, raising=False)

    def invoke(*args):
        return CliRunner().invoke(main, [str(a) for a in args])
    return invoke


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_a_read_command_on_a_missing_store_exits_2_naming_it(cli, tmp_path, command):
    """A mistyped --store used to make an empty store and answer from it with exit 0."""
    import socket

    missing = tmp_path / "no-such-store"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = ["--port", busy.getsockname()[1]] if command == ["serve"] else []
        result = cli(*command, *port, "--store", missing)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "no Citegraph store there" in lines[0], lines
    assert not missing.exists()  # nothing was made


def test_an_existing_folder_without_a_store_is_no_store(cli, tmp_path):
    result = cli("stats", "--store", tmp_path)
    assert result.exit_code == 2 and "no Citegraph store there" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_scheme_add_leaves_the_file_alone_when_the_store_is_missing(cli, tmp_path):
    scheme = tmp_path / "mine.ttl"
    text = ("@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
            "<https://example.org/s> a skos:ConceptScheme .\n")
    scheme.write_text(text, encoding="utf-8")
    result = cli("scheme", "add", "Churn", "--scheme", scheme, "--store", tmp_path / "nope")
    assert result.exit_code == 2 and "no Citegraph store there" in result.stderr
    assert scheme.read_text(encoding="utf-8") == text


def one_note_store(cli, tmp_path):
    """A store holding one ingested note, made the way a user makes it."""
    article = tmp_path / "note.txt"
    article.write_text("Churn review\n\nThe analytics team owns churn reporting.",
                       encoding="utf-8")
    store = tmp_path / "store"
    assert cli("ingest", article, "--store", store).exit_code == 0
    return store


def test_ingest_still_makes_a_store_and_reads_then_work(cli, tmp_path):
    store = one_note_store(cli, tmp_path)
    stats = cli("stats", "--store", store, "--json")
    assert stats.exit_code == 0 and json.loads(stats.output)["articles"] == 1


# --- ask --queries: a long query is a question too; a bad line is named, the rest answered --
def test_ask_queries_answers_every_good_query_and_names_the_bad_lines(cli, demo_store_dir,
                                                                      tmp_path):
    from conftest import DEMO

    example = (DEMO / "crm-beyond-software.md").read_text(encoding="utf-8")
    paragraph = (example + "\n") * 3
    paragraph = paragraph[:5000]  # query by example: find passages like this one
    lines = [
        json.dumps({"_id": "long", "text": paragraph}),
        '{"_id": "broken", "text": "unterminated',
        json.dumps({"id": "short", "text": "Who should own customer analytics?"}),
        json.dumps({"id": "no-text"}),
        json.dumps({"_id": "surrogate", "text": "churn \ud800 owner"}),
        json.dumps({"_id": "blank", "text": "   "}),
        json.dumps({"_id": "last", "text": "How can marketing and service stop working in silos?"}),
    ]
    queries = tmp_path / "queries.jsonl"
    queries.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("ask", "--queries", queries, "--k", "3", "--store", demo_store_dir)
    assert result.exit_code == 1, result.output  # some inputs failed
    answered = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["query_id"] for r in answered] == ["long", "short", "last"]
    assert answered[0]["results"][0]["article_id"] == "crm-beyond-software.md"
    assert all(len(r["results"]) == 3 for r in answered)
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 5, errors  # four lines named, one summary
    for number in (2, 4, 5, 6):
        assert sum(f"{queries}:{number}" in e for e in errors) == 1, (number, errors)
    assert "query surrogate" in errors[2] and "not text" in errors[2]
    assert "4 of the queries not answered" in errors[-1]


def test_a_paragraph_question_is_answered_in_one_question_too(cli, demo_store_dir):
    from conftest import DEMO

    paragraph = (DEMO / "who-owns-customer-analytics.md").read_text(encoding="utf-8")
    assert len(paragraph) > 1000
    result = cli("ask", paragraph, "--json", "--k", "2", "--store", demo_store_dir)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["article_id"] == \
        "who-owns-customer-analytics.md"


def test_bm25_scores_a_bounded_number_of_query_terms(demo_store_dir):
    """A paragraph query costs at most MAX_QUERY_TERMS posting lists: a term past the
    bound is not scored (here the only term that matches anything)."""
    from citegraph.graph.sqlite_store import SQLiteStore

    filler = " ".join(f"zq{n}x" for n in range(300))  # distinct, match nothing; 300 > bound
    with SQLiteStore(demo_store_dir, readonly=True) as store:
        assert store.keyword_search("churn", 5)
        assert store.keyword_search(filler + " churn", 5) == []
        assert store.fts_keyword_search(filler + " churn", 5) == []
        assert store.keyword_search("churn " + filler, 5)


# --- messages for first tries (item 3) ------------------------------------------------------
def test_a_missing_path_says_so(cli, tmp_path):
    missing = tmp_path / "corpus-typo"
    result = cli("ingest", missing, "--store", tmp_path / "store")
    assert result.exit_code == 1  # an input failed
    assert f"{missing}: no such file or folder" in result.stderr
    assert "unsupported file type" not in result.stderr


def test_ingest_help_says_ids_keep_the_extension(cli):
    text = " ".join(cli("ingest", "--help").output.split())
    assert "extension included" in text and "without its extension" not in text


def test_serve_on_a_busy_port_fails_before_it_says_serving(cli, demo_store_dir):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("serve", "--port", port, "--store", demo_store_dir)
    assert result.exit_code == 2
    assert f"--port {port}:" in result.stderr and "serving on" not in result.stderr


# --- CLI details (item 8) ------------------------------------------------------------------
def test_one_article_is_one_article(cli, tmp_path):
    store = one_note_store(cli, tmp_path)
    listing = cli("articles", "--store", store)
    assert "of 1 article (" in listing.output, listing.output
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings
    from citegraph.webapp import create_app

    runtime = Runtime(Settings(store=str(store)))
    with SQLiteStore(store) as s:
        runtime.__dict__["store"] = s
        app = create_app(runtime=runtime, config={"PRELOAD": False})
        landing = app.test_client().get("/").get_data(as_text=True)
    assert "<strong>1</strong> article ·" in landing and "1 passage" in landing
    assert "1 passages" not in landing and "1 articles" not in landing


def test_suggest_says_when_no_concept_matches(cli, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("Zebras graze quietly near the river delta at dawn.", encoding="utf-8")
    result = cli("suggest", text)
    assert result.exit_code == 0 and "No concept of the scheme matches this text" in \
        result.output
    assert "--threshold" in result.output


def test_export_file_has_the_users_umask(cli, demo_store_dir, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = tmp_path / "graph.ttl"
        result = cli("export", "--what", "concepts", "-o", out, "--store", demo_store_dir)
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_ingest_prints_progress_lines_when_stderr_is_no_terminal(cli, tmp_path, monkeypatch):
    from citegraph.commands import common

    monkeypatch.setattr(common, "PROGRESS_EVERY", 0.0)  # a line after every file
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(3):
        (corpus / f"note-{n}.txt").write_text(f"Note {n}\n\nChurn review number {n}.",
                                              encoding="utf-8")
    result = cli("ingest", corpus, "--store", tmp_path / "store")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("ingest: ")]
    assert [line.split(",")[0] for line in lines] == [
        "ingest: 1/3 files", "ingest: 2/3 files", "ingest: 3/3 files"]


def test_scheme_add_writes_the_files_own_prefixed_names(cli, tmp_path):
    """A scheme file that declares prefixes gets a block in its own style (cx:..., skos:...);
    a file without them gets full IRIs; both load back as the same concept."""
    from citegraph.ontology.scheme import SHIPPED, load_scheme

    prefixed = tmp_path / "mine.ttl"
    prefixed.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    before = prefixed.read_text(encoding="utf-8")
    result = cli("scheme", "add", "Journey orchestration", "--broader",
                 "https://citegraph.org/scheme/cx/CustomerExperience", "--alt", "orchestration",
                 "--scheme", prefixed, "--no-relink")
    assert result.exit_code == 0, result.output
    block = prefixed.read_text(encoding="utf-8")[len(before):]
    assert "cx:JourneyOrchestration a skos:Concept ;" in block, block
    assert "skos:broader cx:CustomerExperience" in block and "skos:inScheme cx:scheme" in block
    assert "<https://" not in block and "<http://" not in block
    added = load_scheme(prefixed).by_iri["https://citegraph.org/scheme/cx/JourneyOrchestration"]
    assert added.broader == ["https://citegraph.org/scheme/cx/CustomerExperience"]

    bare = tmp_path / "bare.ttl"
    bare.write_text(
        "<https://example.org/s> a <http://www.w3.org/2004/02/skos/core#ConceptScheme> .\n"
        "<https://example.org/c/Churn> a <http://www.w3.org/2004/02/skos/core#Concept> ;\n"
        "  <http://www.w3.org/2004/02/skos/core#prefLabel> \"churn\"@en ;\n"
        "  <http://www.w3.org/2004/02/skos/core#inScheme> <https://example.org/s> .\n",
        encoding="utf-8")
    result = cli("scheme", "add", "Churn rate", "--broader", "https://example.org/c/Churn",
                 "--scheme", bare, "--no-relink")
    assert result.exit_code == 0, result.output
    assert "<https://example.org/c/ChurnRate>" in bare.read_text(encoding="utf-8")


def test_concept_lists_associations_only_as_co_occurring(cli, demo_store_dir, tmp_path):
    import shutil

    store = tmp_path / "store"
    shutil.copytree(demo_store_dir, store)
    assert cli("relink", "--store", store).exit_code == 0  # the shipped scheme, linked
    data = json.loads(cli("concept", "accountability", "--json", "--store", store).output)
    npmis = {c["label"]: c["npmi"] for c in data["co_occurring"]}
    assert npmis["customer retention"] < 0 < npmis["customer analytics"]  # the data's facts
    text = cli("concept", "accountability", "--store", store).output
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("co-occurring:"))
    assert "customer analytics" in line and "customer retention" not in line
