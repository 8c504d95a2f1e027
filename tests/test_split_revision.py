"""An article stored under an older splitting (passage and sentence boundaries) is read again by
the next ingest of its file, so an upgrade's better sentence boundaries reach the answers of
an existing store; a file ingested again under the same splitting stays unchanged."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

WRAPPED = ("Wrapped notes\n\n"
           "The Lisbon team answers every call within forty seconds, because the\n"
           "queue is staffed by the people who wrote the product. Customers notice\n"
           "the difference at once.\n")


@pytest.fixture
def ingest(embedder, monkeypatch, tmp_path):
    from citegraph.cli import main
    from citegraph.runtime import Runtime

    monkeypatch.setattr(Runtime, "embedder", property(lambda self: embedder))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text(WRAPPED, encoding="utf-8")

    def run() -> dict:
        result = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--store",
                                           str(tmp_path / "store"), "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout.strip().splitlines()[-1])
    return run


def sentence_spans(store_dir) -> list:
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(store_dir, readonly=True) as store:
        [passage] = store.article_passages("notes.txt")
        return list(store.sentence_vectors([passage.id])[passage.id].spans)


def test_an_older_splitting_is_read_again_once(ingest, monkeypatch, tmp_path):
    import citegraph.ingest.pipeline as pipeline

    assert ingest()["new"] == 1
    assert ingest()["unchanged"] == 1
    spans = sentence_spans(tmp_path / "store")
    # the heading, then two sentences: a hard wrap is a space, not the end of a sentence
    assert len(spans) == 3 and WRAPPED[spans[1][0]:spans[1][1]].endswith("wrote the product.")
    monkeypatch.setattr(pipeline, "SPLIT_REVISION", pipeline.SPLIT_REVISION + 1)
    again = ingest()
    assert again["changed"] == 1 and again["unchanged"] == 0
    assert sentence_spans(tmp_path / "store") == spans
    assert ingest()["unchanged"] == 1
