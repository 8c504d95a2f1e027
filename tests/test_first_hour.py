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


def test_ingest_still_makes_a_store_and_reads_then_work(cli, tmp_path):
    article = tmp_path / "note.txt"
    article.write_text("Churn review\n\nThe analytics team owns churn reporting.",
                       encoding="utf-8")
    store = tmp_path / "store"
    assert cli("ingest", article, "--store", store).exit_code == 0
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
