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
    article_id = target.stem
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
