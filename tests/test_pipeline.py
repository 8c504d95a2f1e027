"""The ingest pipeline on the real store and model: idempotence, replacement, deletion."""
import shutil

import pytest

from citegraph.ingest.pipeline import IngestReport, Pipeline

from conftest import DEMO, DEMO_ARTICLES, needs_seeds


def test_reingesting_unchanged_files_changes_nothing(demo_store, embedder):
    before = demo_store.stats()
    passages_before = [(p.id, p.start, p.end) for p in demo_store.iter_passages()]
    report = Pipeline(demo_store, embedder).ingest_paths([str(DEMO)])
    assert (report.new, report.changed, report.unchanged) == (0, 0, DEMO_ARTICLES)
    assert demo_store.stats() == before
    assert [(p.id, p.start, p.end) for p in demo_store.iter_passages()] == passages_before


def test_changed_file_replaces_its_passages(tmp_path, empty_store, embedder):
    folder = tmp_path / "articles"
    shutil.copytree(DEMO, folder)
    pipeline = Pipeline(empty_store, embedder)
    pipeline.ingest_paths([str(folder)])
    target = folder / "contact-centre-customer-insight.txt"
    article_id = target.name  # ids keep the extension
    old = empty_store.article_passages(article_id)
    target.write_text("Contact centres as insight engines\n\n"
                      "Every call to a contact centre is a customer telling you something.",
                      encoding="utf-8")
    report = pipeline.ingest_paths([str(folder)])
    assert (report.new, report.changed, report.unchanged) == (0, 1, DEMO_ARTICLES - 1)
    new = empty_store.article_passages(article_id)
    assert len(new) == 1 and len(old) > 1
    assert "Every call to a contact centre" in new[0].text
    assert empty_store.stats()["passages"] == sum(
        len(empty_store.article_passages(a.id)) for a in empty_store.iter_articles())
    assert empty_store.stats()["articles"] == DEMO_ARTICLES
    hits = empty_store.keyword_search("Priya Raman renewal letter", 5)
    assert hits and all(not h.passage_id.startswith(article_id) for h in hits)


def test_delete_leaves_no_orphans(demo_store, embedder):
    article_id = "measuring-engagement-listening-vs-engaging"  # one record of the JSONL file
    query = embedder.encode_query("Is listening the same as engaging?")
    words = "listening engaging followers sentiment"
    assert demo_store.vector_search(query, 1)[0].passage_id.startswith(article_id)
    assert demo_store.keyword_search(words, 1)[0].passage_id.startswith(article_id)
    n = len(demo_store.article_passages(article_id))
    before = demo_store.stats()
    assert demo_store.delete_article(article_id)
    assert not demo_store.delete_article(article_id)
    after = demo_store.stats()
    assert n > 1 and after["articles"] == before["articles"] - 1
    assert after["passages"] == before["passages"] - n
    assert demo_store.get_article(article_id) is None
    assert demo_store.article_passages(article_id) == []
    assert all(not h.passage_id.startswith(article_id)
               for h in demo_store.vector_search(query, 50))
    assert all(not h.passage_id.startswith(article_id)
               for h in demo_store.keyword_search(words, 50))


@pytest.mark.parametrize("store_fixture", ["demo_store",
                                           pytest.param("seed_store", marks=needs_seeds)])
def test_passage_offsets_point_into_the_cleaned_article(store_fixture, request):
    store = request.getfixturevalue(store_fixture)
    articles = list(store.iter_articles())
    assert articles
    for article in articles:
        passages = store.article_passages(article.id)
        assert passages
        for p in passages:
            assert article.text[p.start:p.end] == p.text
            assert p.id == f"{article.id}#{p.ordinal}"


def test_batch_with_duplicate_ids_keeps_the_first(tmp_path, empty_store, embedder):
    tmp_path = tmp_path / "batch"
    tmp_path.mkdir()
    (tmp_path / "a.jsonl").write_text(
        '{"id": "x", "text": "Customer journey maps show every step a customer takes."}\n', encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(
        '{"id": "x", "text": "A different article that reuses the same id."}\n', encoding="utf-8")
    report = Pipeline(empty_store, embedder).ingest_paths([str(tmp_path)])
    assert report.new == 1 and len(report.failed) == 1
    assert "duplicate article id 'x'" in report.failed[0][1]
    assert "journey" in empty_store.get_article("x").text


def test_title_context_changes_vectors_not_passages(tmp_path, embedder):
    import numpy as np

    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.ingest.readers import ArticleDraft

    body = "\n\n".join(" ".join([f"Sentence {i} about queues, agents and callbacks."] * 12)
                       for i in range(3))
    draft = ArticleDraft("cc", "Running a contact centre", body)
    stores = {}
    for flag in (False, True):
        store = SQLiteStore(tmp_path / str(flag))
        Pipeline(store, embedder, title_context=flag).ingest_drafts([draft], IngestReport())
        stores[flag] = store
    plain = list(stores[False].iter_passages(with_embeddings=True))
    titled = list(stores[True].iter_passages(with_embeddings=True))
    assert [(p.id, p.start, p.end) for p in plain] == [(p.id, p.start, p.end) for p in titled]
    title = embedder.encode_query("Running a contact centre")
    for a, b in zip(plain, titled):
        assert float(b.embedding @ title) > float(a.embedding @ title)
    sentences = stores[True].sentence_vectors([p.id for p in titled])
    for p in titled:
        sv = sentences[p.id]
        assert [p.text[s:e] for s, e in sv.spans][0].startswith("Sentence")
        assert np.all(np.linalg.norm(sv.vectors.astype(np.float32), axis=1) > 0.99)


# --- ids keep the extension; stores of earlier versions (ids without it) are matched ------
def _ingest_the_old_way(store, embedder, paths):
    """What versions before ids kept the extension stored: each file's id without its
    extension, its `source` the same label as now."""
    from citegraph.ingest.readers import discover, read_file

    drafts = []
    for path, root in discover([str(p) for p in paths]):
        for draft in read_file(path, root):
            if draft.legacy_id:
                draft.id, draft.legacy_id = draft.legacy_id, ""
            drafts.append(draft)
    report = IngestReport()
    Pipeline(store, embedder).ingest_drafts(drafts, report)
    assert not report.failed, report.failed
    return report


def test_a_new_store_records_its_id_scheme(empty_store):
    row = empty_store._conn().execute("SELECT value FROM meta WHERE key='id_scheme'").fetchone()
    assert row == ("path-with-extension",)


def test_new_ids_keep_the_extension(demo_store):
    ids = {a.id for a in demo_store.iter_articles()}
    assert {"who-owns-customer-analytics.md", "chief-customer-officer-vs-cmo.txt",
            "voice-of-the-customer.html", "measuring-engagement-listening-vs-engaging"} <= ids
    assert not {"who-owns-customer-analytics", "chief-customer-officer-vs-cmo"} & ids


def test_store_with_ids_without_extension_is_reingested_without_duplicates(
        tmp_path, empty_store, embedder):
    empty_store._conn().execute("DELETE FROM meta WHERE key='id_scheme'")  # an old store
    old = _ingest_the_old_way(empty_store, embedder, [DEMO])
    assert old.new == DEMO_ARTICLES
    old_ids = {a.id for a in empty_store.iter_articles()}
    assert "who-owns-customer-analytics" in old_ids and not any("." in i for i in old_ids)
    before = empty_store.stats()
    passages_before = [(p.id, p.start, p.end) for p in empty_store.iter_passages()]
    report = Pipeline(empty_store, embedder).ingest_paths([str(DEMO)])
    assert not report.failed, report.failed
    assert (report.new, report.changed, report.unchanged) == (0, 0, DEMO_ARTICLES)
    assert {a.id for a in empty_store.iter_articles()} == old_ids
    assert empty_store.stats() == before
    assert [(p.id, p.start, p.end) for p in empty_store.iter_passages()] == passages_before
    # the meta row stays absent: the store still holds old-style ids
    assert empty_store._conn().execute(
        "SELECT value FROM meta WHERE key='id_scheme'").fetchone() is None


def test_old_ids_are_kept_only_for_the_same_file(tmp_path, empty_store, embedder):
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.txt").write_text("One\n\nThe first note of the old store.", encoding="utf-8")
    (folder / "sub" / "two.md").write_text("# Two\n\nA nested note.", encoding="utf-8")
    _ingest_the_old_way(empty_store, embedder, [folder])
    assert {a.id for a in empty_store.iter_articles()} == {"one", "sub/two"}
    # a new file with the same stem, and a changed old one
    (folder / "one.md").write_text("# One in Markdown\n\nNot the text file.", encoding="utf-8")
    (folder / "sub" / "two.md").write_text("# Two\n\nA nested note, changed.", encoding="utf-8")
    (folder / "three.txt").write_text("Three\n\nA note the old version never saw.",
                                      encoding="utf-8")
    report = Pipeline(empty_store, embedder).ingest_paths([str(folder)])
    assert not report.failed, report.failed
    assert (report.new, report.changed, report.unchanged) == (2, 1, 1)
    articles = {a.id: a for a in empty_store.iter_articles()}
    assert set(articles) == {"one", "sub/two", "one.md", "three.txt"}
    assert articles["one"].source == "notes/one.txt"
    assert articles["one.md"].source == "notes/one.md"
    assert "changed" in empty_store.article_passages("sub/two")[0].text
    # a file named directly matches its old id on the stored source too
    again = Pipeline(empty_store, embedder).ingest_paths([str(folder / "one.txt")])
    assert (again.new, again.changed, again.unchanged) == (0, 0, 1)
    assert again.article_ids == ["one"]


def test_old_id_of_another_file_is_not_taken(tmp_path, empty_store, embedder):
    """An old-style id whose article came from elsewhere (another folder, the API) is not
    this file's: the file gets its new id."""
    from citegraph.ingest.readers import ArticleDraft

    report = IngestReport()
    Pipeline(empty_store, embedder).ingest_drafts(
        [ArticleDraft("notes", "Notes", "Notes from the API.", source=""),
         ArticleDraft("other", "Other", "Notes of another folder.", source="teamB/other.txt")],
        report)
    folder = tmp_path / "teamA"
    folder.mkdir()
    (folder / "notes.txt").write_text("Notes\n\nTeam A notes.", encoding="utf-8")
    (folder / "other.txt").write_text("Other\n\nTeam A other.", encoding="utf-8")
    report = Pipeline(empty_store, embedder).ingest_paths([str(folder)])
    assert not report.failed and report.new == 2
    assert {a.id for a in empty_store.iter_articles()} == {
        "notes", "other", "notes.txt", "other.txt"}
