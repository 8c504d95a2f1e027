"""`suggest`: the concepts a text is about, from the ingest linker (labels, then embedding
similarity), measured against the hand-labelled passages at the default threshold; and the
command line `citegraph suggest FILE|-`."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from citegraph.ingest.linker import SUGGEST_LIMIT, SUGGEST_THRESHOLD, ConceptLinker
from test_linker import GOLD, load_gold, needs_seeds

CX = "https://citegraph.org/scheme/cx/"
# (least precision, least recall) of suggest at the default threshold, as measured when
# written (the linker's own floors are in tests/test_linker.py)
FLOORS = {"demo": (0.96, 0.65), "seeds": (0.97, 0.87)}


@pytest.fixture(scope="module")
def linker(embedder):
    from citegraph.ontology.scheme import load_scheme

    return ConceptLinker(load_scheme().concepts, embedder)


def suggest_precision_recall(linker, pairs, threshold=SUGGEST_THRESHOLD):
    tp = predicted = wanted = 0
    for passage, gold in pairs:
        found = {c.iri for c, _s in linker.suggest(passage.text, SUGGEST_LIMIT, threshold)}
        tp += len(found & gold)
        predicted += len(found)
        wanted += len(gold)
    return tp / max(predicted, 1), tp / max(wanted, 1)


@pytest.mark.parametrize("name", ["demo", pytest.param("seeds", marks=needs_seeds)])
def test_suggest_precision_and_recall_on_gold(name, linker, request):
    store_dir = request.getfixturevalue({"demo": "demo_store_dir", "seeds": "seed_store_dir"}[name])
    pairs = load_gold(GOLD[name][0], store_dir)
    precision, recall = suggest_precision_recall(linker, pairs)
    print(f"suggest gold ({name}) at {SUGGEST_THRESHOLD}: precision {precision:.3f} "
          f"recall {recall:.3f}")
    assert precision >= FLOORS[name][0] and recall >= FLOORS[name][1]


def test_suggest_ranks_labelled_concepts_first_with_scores(linker):
    found = linker.suggest("Our contact centre feeds customer feedback to the CMO.")
    iris = [c.iri for c, _s in found]
    assert {CX + "ContactCenter", CX + "CustomerFeedback", CX + "ChiefMarketingOfficer"} <= set(iris)
    assert [s for _c, s in found] == sorted((s for _c, s in found), reverse=True)
    assert linker.suggest("", 5) == [] and linker.suggest("contact centre", limit=0) == []


def test_cli_suggest_reads_stdin_and_prints_json(tmp_path):
    from citegraph.cli import main

    result = CliRunner().invoke(main, ["suggest", "-", "--json", "--limit", "3"],
                                input="Who owns the contact center?")
    assert result.exit_code == 0, result.output
    results = json.loads(result.output)["results"]
    assert results[0] == {"iri": CX + "ContactCenter", "id": "ContactCenter",
                          "label": "contact center", "score": 1.0}
    assert len(results) <= 3
    result = CliRunner().invoke(main, ["suggest", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2 and result.output.count("\n") == 1
