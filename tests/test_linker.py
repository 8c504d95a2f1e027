"""The concept linker on real passages: precision and recall against hand-labelled gold sets
(the demo corpus's passages, tests/data/linker_gold_demo.jsonl, always; the seed articles',
tests/data/linker_gold.jsonl, where ../shared is there), exact surface spans, default linking
on ingest, and relinking on a scheme change without re-embedding."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from citegraph.ingest.linker import ConceptLinker
from citegraph.ontology.labels import label_keys, normalise
from citegraph.ontology.scheme import load_scheme
from citegraph.ontology.sync import apply_scheme, scheme_changed

from conftest import DEMO, needs_seeds

DATA = Path(__file__).parent / "data"
CX = "https://citegraph.org/scheme/cx/"
# name: (gold file, fewest passages, least precision, least recall). The floors are what the
# linker reached on each gold set when its test was written (lexical + embedding,
# micro-averaged over (passage, concept) pairs); the test fails if the linker falls below
# either. The seed gold was labelled while the scheme's alternative labels were written from
# the same articles; the demo gold was labelled afterwards, by reading each passage against
# the scheme (tests/data/README.md), and the linker does less well on it: see
# test_linker_reaches_the_seed_figures_on_the_demo_gold.
GOLD = {"demo": (DATA / "linker_gold_demo.jsonl", 39, 0.97, 0.65),
        "seeds": (DATA / "linker_gold.jsonl", 40, 0.98, 0.90)}
TARGET = (0.98, 0.90)


@pytest.fixture(scope="module")
def scheme():
    return load_scheme()


@pytest.fixture(scope="module")
def linker(scheme, embedder):
    return ConceptLinker(scheme.concepts, embedder)


def load_gold(path: Path, store_dir) -> list:
    """[(passage with its embedding, gold concept IRIs)], the passages found in the store by
    article id and the start of their text."""
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(store_dir, readonly=True) as store:
        passages = list(store.iter_passages(with_embeddings=True))
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        found = [p for p in passages if p.article_id == record["article_id"]
                 and p.text.startswith(record["text_prefix"])]
        assert len(found) == 1, record["text_prefix"]
        pairs.append((found[0], set(record["concepts"])))
    return pairs


@pytest.fixture(scope="module", params=["demo", pytest.param("seeds", marks=needs_seeds)])
def gold(request):
    """(name of the gold set, its pairs)."""
    store_dir = request.getfixturevalue({"demo": "demo_store_dir",
                                         "seeds": "seed_store_dir"}[request.param])
    return request.param, load_gold(GOLD[request.param][0], store_dir)


@pytest.fixture
def gold_pairs(gold):
    return gold[1]


def precision_recall(linker, gold_pairs) -> tuple[float, float]:
    mentions = linker.link([p for p, _g in gold_pairs])
    predicted = {}
    for m in mentions:
        predicted.setdefault(m.passage_id, set()).add(m.iri)
    tp = sum(len(predicted.get(p.id, set()) & g) for p, g in gold_pairs)
    precision = tp / sum(len(predicted.get(p.id, set())) for p, _g in gold_pairs)
    recall = tp / sum(len(g) for _p, g in gold_pairs)
    return precision, recall


def test_gold_set_is_large_and_uses_scheme_concepts(gold, scheme):
    name, pairs = gold
    assert len(pairs) >= GOLD[name][1]
    assert len({p.id for p, _g in pairs}) == len(pairs)
    assert all(g <= set(scheme.by_iri) for _p, g in pairs)


def test_demo_gold_covers_every_demo_passage(demo_store_dir):
    from citegraph.graph.sqlite_store import SQLiteStore

    pairs = load_gold(GOLD["demo"][0], demo_store_dir)
    with SQLiteStore(demo_store_dir, readonly=True) as store:
        assert {p.id for p, _g in pairs} == {p.id for p in store.iter_passages()}
    assert sum(len(g) for _p, g in pairs) >= 200


def test_linker_precision_and_recall_on_gold(gold, linker):
    name, pairs = gold
    precision, recall = precision_recall(linker, pairs)
    print(f"linker gold ({name}): precision {precision:.3f} recall {recall:.3f}")
    assert precision >= GOLD[name][2]
    assert recall >= GOLD[name][3]


@pytest.mark.xfail(strict=True, reason="on text its labels were not written from, the linker "
                   "misses plain synonyms (agents, chief executive, service team, survey, "
                   "customer experience lead) and links a few wrong senses ('new customer "
                   "roles', 'the individual customer'); when this passes, raise the demo floors")
def test_linker_reaches_the_seed_figures_on_the_demo_gold(demo_store_dir, linker):
    precision, recall = precision_recall(linker, load_gold(GOLD["demo"][0], demo_store_dir))
    assert precision >= TARGET[0] and recall >= TARGET[1]


def test_lexical_mentions_record_exact_spans_inside_the_passage(gold_pairs, linker, scheme):
    for passage, _g in gold_pairs:
        for m in linker.lexical(passage):
            assert passage.text[m.start:m.end] == m.surface
            concept = scheme.by_iri[m.iri]
            keys = {k for lab in [concept.label, *concept.alt_labels, *concept.hidden_labels]
                    for k in label_keys(lab)}
            assert normalise(m.surface) in keys
            assert m.method in ("label", "alt_label") and m.score >= 0.8


def test_embedding_mentions_are_weaker_and_above_threshold(gold_pairs, embedder, scheme):
    loose = ConceptLinker(scheme.concepts, embedder, threshold=0.3, max_per_passage=3)
    mentions = [m for m in loose.link([p for p, _g in gold_pairs]) if m.method == "embedding"]
    assert mentions
    assert all(m.start is None and 0.3 * 0.8 <= m.score < 0.8 for m in mentions)
    lexical = {(m.passage_id, m.iri) for p, _g in gold_pairs for m in loose.lexical(p)}
    assert not lexical & {(m.passage_id, m.iri) for m in mentions}


def test_scheme_change_relinks_without_reembedding(demo_store, linker, scheme, embedder,
                                                   tmp_path):
    assert apply_scheme(demo_store, scheme, linker) is True
    assert apply_scheme(demo_store, scheme, linker) is False  # unchanged: nothing to do
    before = {p.id: p.embedding.copy() for p in demo_store.iter_passages(with_embeddings=True)}
    assert any(m.iri == CX + "ContactCenter" for m in demo_store.iter_mentions())
    assert demo_store.co_occurring(CX + "ContactCenter")

    # a user's scheme: the contact center concept removed
    text = Path(scheme.source).read_text(encoding="utf-8")
    start = text.index("cx:ContactCenter a skos:Concept")
    text = text[:start] + text[text.index("\n\n", start):]
    text = re.sub(r"cx:ContactCenter\b", "cx:CustomerService", text)  # links re-pointed
    custom = tmp_path / "custom.ttl"
    custom.write_text(text, encoding="utf-8")
    changed = load_scheme(custom)
    assert scheme_changed(demo_store, changed)
    apply_scheme(demo_store, changed, ConceptLinker(changed.concepts, embedder))
    assert demo_store.get_concept(CX + "ContactCenter") is None
    assert not any(m.iri == CX + "ContactCenter" for m in demo_store.iter_mentions())
    assert not demo_store.co_occurring(CX + "ContactCenter")
    after = {p.id: p.embedding for p in demo_store.iter_passages(with_embeddings=True)}
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_ingest_links_by_default_with_the_shipped_scheme(tmp_path, embedder):
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings

    runtime = Runtime(Settings(store=str(tmp_path / "store")))
    runtime.__dict__["embedder"] = embedder
    with runtime.store as store:
        runtime.sync_scheme()
        report = runtime.pipeline().ingest_paths([str(DEMO / "chief-customer-officer-vs-cmo.txt")])
        stats = store.stats()
        assert report.mentions > 0 and stats["mentions"] == report.mentions
        assert stats["concepts"] == len(runtime.scheme.concepts)
        assert store.co_occurring(CX + "ChiefCustomerOfficer")
