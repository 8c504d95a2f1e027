"""The `citegraph` command as users run it: a real subprocess, real store, real model."""
import json
import os
import subprocess
import sys

import pytest

from conftest import DEMO, DEMO_ARTICLES, REPO, SEEDS, needs_seeds

CLI = [sys.executable, "-m", "citegraph"]


def run(*args, store=None, check=None):
    env = dict(os.environ, CITEGRAPH_THREADS="1")
    if store is not None:
        env["CITEGRAPH_STORE"] = str(store)
    proc = subprocess.run(CLI + list(args), capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=600)
    if check is not None:
        assert proc.returncode == check, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("cli") / "store"
    out = run("ingest", str(DEMO), "--store", str(store), check=0)
    assert f"{DEMO_ARTICLES} new" in out.stdout
    return store


def test_stats_json(cli_store):
    counts = json.loads(run("stats", "--json", store=cli_store, check=0).stdout)
    assert counts["articles"] == DEMO_ARTICLES and counts["passages"] >= 30
    assert set(counts) == {"articles", "passages", "concepts", "mentions"}
    assert counts["concepts"] > 0 and counts["mentions"] > 0  # linked on ingest


def test_reingest_is_a_no_op(cli_store):
    out = run("ingest", str(DEMO), "--json", store=cli_store, check=0)
    summary = json.loads(out.stdout)
    assert summary["unchanged"] == DEMO_ARTICLES and summary["new"] == summary["changed"] == 0


def test_ask_json_and_text(cli_store):
    question = "How much did rewriting the renewal letter cut renewal calls?"
    result = json.loads(run("ask", question, "--k", "3", "--json", store=cli_store,
                            check=0).stdout)
    assert len(result["results"]) == 3
    assert "cut renewal calls by about a fifth" in result["answer"]["text"]
    text = run("ask", question, "--k", "2", store=cli_store, check=0).stdout
    assert "cut renewal calls by about a fifth" in text and "[1]" in text


def test_a_question_with_bytes_that_are_not_utf8_is_one_line(cli_store):
    """A shell passes undecodable bytes on as lone surrogates; the tokenizer cannot take them
    (a traceback before): one line naming the question, exit 2."""
    env = dict(os.environ, CITEGRAPH_THREADS="1", CITEGRAPH_STORE=str(cli_store))
    proc = subprocess.run(CLI + ["ask", b"who \xff owns churn"], capture_output=True,
                          env=env, cwd=REPO, timeout=600)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert err.strip().count("\n") == 0 and "question: not text at character 5" in err


@needs_seeds
def test_ingest_and_ask_the_seed_articles(tmp_path):
    store = tmp_path / "seeds"
    assert "5 new" in run("ingest", str(SEEDS), "--store", str(store), check=0).stdout
    result = json.loads(run("ask", "Who owned the analytics at Sun?", "--k", "3", "--json",
                            store=store, check=0).stdout)
    assert "Marissa Peterson" in result["answer"]["text"]


def test_ask_queries_file_one_line_per_query(cli_store, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"_id": "q1", "text": "Is listening the same as engaging?"}\n'
                       '{"id": "q2", "text": "Who owns customer analytics?"}\n', encoding="utf-8")
    lines = run("ask", "--queries", str(queries), "--k", "4", "--json", store=cli_store,
                check=0).stdout.strip().split("\n")
    records = [json.loads(line) for line in lines]
    assert [r["query_id"] for r in records] == ["q1", "q2"]
    assert all(len(r["results"]) == 4 for r in records)
    assert records[0]["results"][0]["article_id"] == "measuring-engagement-listening-vs-engaging"
    assert records[1]["results"][0]["article_id"] == "who-owns-customer-analytics.md"


def test_export_passages_jsonl_offsets(cli_store, tmp_path):
    out = tmp_path / "passages.jsonl"
    run("export", "--format", "passages-jsonl", "-o", str(out), store=cli_store, check=0)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    counts = json.loads(run("stats", "--json", store=cli_store, check=0).stdout)
    assert len(rows) == counts["passages"]
    assert set(rows[0]) == {"passage_id", "article_id", "start", "end", "text", "section",
                            "author", "date"}


def test_delete_and_unknown_delete(cli_store, tmp_path):
    import shutil

    store = tmp_path / "copy"
    shutil.copytree(cli_store, store)
    run("delete", "crm-beyond-software.md", store=store, check=0)
    assert json.loads(run("stats", "--json", store=store, check=0).stdout)["articles"] == \
        DEMO_ARTICLES - 1
    proc = run("delete", "no-such-article", store=store, check=1)
    assert proc.stderr.strip() == "citegraph: article 'no-such-article': not in the store"


def test_partial_failure_exit_1_names_the_file(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Call centres\n\nA call centre hears customers first.",
                                     encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "deck.pptx").write_bytes(b"PK\x03\x04")
    proc = run("ingest", str(folder), "--store", str(tmp_path / "s"), check=1)
    assert "1 new" in proc.stdout and "1 failed, 1 skipped" in proc.stdout
    errors = proc.stderr.strip().splitlines()
    assert any(str(folder / "empty.txt") in e and "empty file" in e for e in errors)
    assert any(str(folder / "deck.pptx") in e and "skipped: unsupported file type" in e
               for e in errors)


def test_usage_errors_exit_2(tmp_path):
    assert run("ask", store=tmp_path / "s").returncode == 2
    assert run("ask", "q", "--k", "0", store=tmp_path / "s").returncode == 2
    proc = run("ingest", str(tmp_path / "missing.txt"), "--store", str(tmp_path / "s"))
    assert proc.returncode == 1 and "missing.txt" in proc.stderr
    bad_store = tmp_path / "file-not-dir"
    bad_store.write_text("x")
    proc = run("stats", "--store", str(bad_store))
    assert proc.returncode == 2 and proc.stderr.startswith("citegraph: store")


def test_ask_json_carries_the_answer_confidence(cli_store):
    question = "What is a chief customer officer judged on?"
    answer = json.loads(run("ask", question, "--json", store=cli_store, check=0).stdout)["answer"]
    assert not answer["abstained"] and answer["confidence"] > 0.6
    assert len(set(answer["citations"])) == len(answer["citations"])
    text = run("ask", question, store=cli_store, check=0).stdout
    assert f"(answer confidence {answer['confidence']:.2f})" in text
