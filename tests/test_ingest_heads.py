"""The ingest reads the stored heads (hash, source) of a file's articles a window at a time
(ingest/pipeline.py HEAD_BATCH): one store read a window instead of one an article (on Neo4j
a round trip each), with the same outcome as reading them one by one. On the embedded store
always, on a live Neo4j with `-m neo4j`."""
from __future__ import annotations

from citegraph.ingest import pipeline as pipeline_module
from citegraph.ingest.pipeline import IngestReport, Pipeline
from citegraph.ingest.readers import ArticleDraft
from test_store_contract import store  # noqa: F401  (the contract suite's backends)


class CountedHeads:
    """The store's own article_titles, counted (the store still answers every read)."""

    def __init__(self, store):
        self.calls: list[list[str]] = []
        self._read = store.article_titles

    def __call__(self, ids):
        ids = list(ids)
        self.calls.append(ids)
        return self._read(ids)


def drafts(n: int, tag: str = "", start: int = 0) -> list[ArticleDraft]:
    return [ArticleDraft(f"note-{i}", f"Note {i}", f"Note {i} is about topic {i}{tag}.",
                         source="notes.jsonl") for i in range(start, start + n)]


def test_a_file_of_articles_reads_stored_heads_a_window_at_a_time(store, embedder,
                                                                   monkeypatch):
    monkeypatch.setattr(pipeline_module, "HEAD_BATCH", 4)
    counted = CountedHeads(store)
    monkeypatch.setattr(store, "article_titles", counted)
    report = IngestReport()
    Pipeline(store, embedder).ingest_drafts(drafts(10), report)
    assert report.new == 10 and not report.failed
    # three windows (4 + 4 + 2 drafts), one read each, each for its window's ids
    assert [len(ids) for ids in counted.calls] == [4, 4, 2]
    assert counted.calls[0] == ["note-0", "note-1", "note-2", "note-3"]
    counted.calls.clear()
    again = IngestReport()
    Pipeline(store, embedder).ingest_drafts(drafts(10), again)
    assert again.unchanged == 10 and len(counted.calls) == 3


def test_windows_tell_new_changed_unchanged_duplicate_and_bad_apart(store, embedder,
                                                                     monkeypatch):
    monkeypatch.setattr(pipeline_module, "HEAD_BATCH", 4)
    monkeypatch.setattr(pipeline_module, "EMBED_BATCH", 3)  # flushes inside windows too
    Pipeline(store, embedder).ingest_drafts(drafts(6), IngestReport())
    batch = (drafts(2) + drafts(2, " changed", start=2)  # window 1: 2 unchanged, 2 changed
             + [ArticleDraft("note-1", "Twice", "The same id again.", source="other.jsonl"),
                ArticleDraft("bad\x00id", "Bad", "An id that cannot be stored."),
                # a lone surrogate cannot even be sent to the store: left out of the read
                ArticleDraft("bad\ud800", "Bad", "Not Unicode.", legacy_id="old\ud800")]
             + drafts(3, start=6)  # new, in windows 2 and 3
             + [ArticleDraft("note-6", "Twice", "A new id again.", source="other.jsonl")])
    report = IngestReport()
    Pipeline(store, embedder).ingest_drafts(batch, report)
    assert (report.new, report.changed, report.unchanged) == (3, 2, 2)
    assert [why.split(" (")[0] for _where, why in report.failed][0] == \
        "duplicate article id 'note-1' in this batch"
    assert len(report.failed) == 4 and "note-6" in report.failed[3][1]
    assert "lone surrogate" in report.failed[2][1]
    assert store.stats()["articles"] == 9
    assert "changed" in store.get_article("note-3").text
    assert store.get_article("note-1").text == "Note 1 is about topic 1."
    assert store.get_article("note-6").title == "Note 6"
    # every article whole: its passages are there
    assert all(store.article_passages(f"note-{i}") for i in range(9))


def test_a_refused_source_is_seen_through_the_window_read(store, embedder, monkeypatch):
    """Without --replace an id held by another file is refused; the stored source comes
    from the window's one read."""
    monkeypatch.setattr(pipeline_module, "HEAD_BATCH", 8)
    Pipeline(store, embedder).ingest_drafts(drafts(2), IngestReport())
    theirs = [ArticleDraft("note-0", "Other", "From another file.", source="other.jsonl"),
              ArticleDraft("note-9", "New", "A new one.", source="other.jsonl")]
    report = IngestReport()
    Pipeline(store, embedder).ingest_drafts(theirs, report, replace=False)
    assert report.new == 1 and len(report.failed) == 1
    assert "already holds notes.jsonl" in report.failed[0][1]
    assert store.get_article("note-0").source == "notes.jsonl"


def test_an_old_id_written_earlier_in_the_window_is_seen(store, embedder, monkeypatch):
    """The window's heads follow the ingest's own writes: an article written (flushed) earlier
    in the window under an old-style id is this file's, as a read at that moment would see."""
    monkeypatch.setattr(pipeline_module, "HEAD_BATCH", 8)
    monkeypatch.setattr(pipeline_module, "EMBED_BATCH", 1)  # every article flushed at once
    old = ArticleDraft("notes", "Notes", "The notes, stored by an old version.",
                       source="team/notes.txt")
    new = ArticleDraft("notes.txt", "Notes", "The notes, read again.",
                       source="team/notes.txt", legacy_id="notes")
    report = IngestReport()
    Pipeline(store, embedder).ingest_drafts([old, new], report)
    # the second draft takes the old id, which this ingest has just written: refused as a
    # duplicate, not stored twice under two ids
    assert report.new == 1 and len(report.failed) == 1
    assert "duplicate article id 'notes'" in report.failed[0][1]
    assert [a.id for a in store.iter_articles()] == ["notes"]


def test_a_folder_of_small_files_is_embedded_in_batches_across_files(store, embedder,
                                                                     monkeypatch, tmp_path):
    """Each file's articles join one embedding batch with the next file's (a folder of
    notes is embedded as one large file is, not a file at a time), each article still
    stored whole in its own right; a bad file in the middle is named and the rest go in."""
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(12):
        (folder / f"note-{i:02d}.txt").write_text(f"Note {i}\n\nNote {i} is about topic {i}.",
                                                  encoding="utf-8")
    (folder / "note-05.jsonl").write_text('{"id": 1, "text": ', encoding="utf-8")  # broken
    batches: list[int] = []
    encode = embedder.encode_passages

    def counted(texts, titles=None):
        batches.append(len(texts))
        return encode(texts, titles)

    monkeypatch.setattr(embedder, "encode_passages", counted)
    monkeypatch.setattr(pipeline_module, "EMBED_BATCH", 5)
    report = Pipeline(store, embedder).ingest_paths([str(folder)])
    assert report.new == 12 and report.failed
    assert all("note-05.jsonl" in where for where, _why in report.failed)
    assert batches == [5, 5, 2]  # twelve one-passage files: not twelve batches of one
    assert all(store.article_passages(f"note-{i:02d}.txt") for i in range(12))
