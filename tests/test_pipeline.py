"""The ingest pipeline on the real store and model: idempotence, replacement, deletion."""
import shutil

from citegraph.ingest.pipeline import IngestReport, Pipeline

from conftest import SEEDS


def test_reingesting_unchanged_files_changes_nothing(seed_store, embedder):
    before = seed_store.stats()
    passages_before = [(p.id, p.start, p.end) for p in seed_store.iter_passages()]
    report = Pipeline(seed_store, embedder).ingest_paths([str(SEEDS)])
    assert (report.new, report.changed, report.unchanged) == (0, 0, 5)
    assert seed_store.stats() == before
    assert [(p.id, p.start, p.end) for p in seed_store.iter_passages()] == passages_before


def test_changed_file_replaces_its_passages(tmp_path, empty_store, embedder):
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    pipeline = Pipeline(empty_store, embedder)
    pipeline.ingest_paths([str(folder)])
    target = next(folder.glob("001_*.txt"))
    article_id = target.stem
    old = empty_store.article_passages(article_id)
    target.write_text("Contact centres as insight engines\n\n"
                      "Every call to a contact centre is a customer telling you something.",
                      encoding="utf-8")
    report = pipeline.ingest_paths([str(folder)])
    assert (report.new, report.changed, report.unchanged) == (0, 1, 4)
    new = empty_store.article_passages(article_id)
    assert len(new) == 1 and len(old) > 1
    assert "Every call to a contact centre" in new[0].text
    assert empty_store.stats()["passages"] == sum(
        len(empty_store.article_passages(f.stem)) for f in folder.glob("*.txt"))
    hits = empty_store.keyword_search("Marissa Peterson Sun Sigma", 5)
    assert all(not h.passage_id.startswith(article_id) for h in hits)


def test_delete_leaves_no_orphans(seed_store, embedder):
    article_id = "004_2ef38c754822b559"
    n = len(seed_store.article_passages(article_id))
    before = seed_store.stats()
    assert seed_store.delete_article(article_id)
    assert not seed_store.delete_article(article_id)
    after = seed_store.stats()
    assert after["articles"] == before["articles"] - 1
    assert after["passages"] == before["passages"] - n
    assert seed_store.get_article(article_id) is None
    assert seed_store.article_passages(article_id) == []
    query = embedder.encode_query("Is listening the same as engaging?")
    assert all(not h.passage_id.startswith(article_id)
               for h in seed_store.vector_search(query, 50))
    assert all(not h.passage_id.startswith(article_id)
               for h in seed_store.keyword_search("listening engaging IBM imperatives", 50))


def test_passage_offsets_point_into_the_cleaned_article(seed_store):
    for article in seed_store.iter_articles():
        for p in seed_store.article_passages(article.id):
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
