"""`POST /api/suggest` measured over HTTP on the hand-labelled passages (tests/data/
linker_gold*.jsonl) at its default limit and threshold: what a client of the API gets, the
same figures as the linker in process (tests/test_suggest.py), above the same floors."""
from __future__ import annotations

import shutil

import pytest

from test_linker import GOLD, load_gold, needs_seeds
from test_suggest import FLOORS, suggest_precision_recall
from webapp_support import http, make_app


def served_precision_recall(url: str, pairs) -> tuple[float, float]:
    tp = predicted = wanted = 0
    for passage, gold in pairs:
        r = http(url, "POST", "/api/suggest", {"text": passage.text})
        assert r.status == 200, r.text
        found = {x["iri"] for x in r.json()["results"]}
        tp += len(found & gold)
        predicted += len(found)
        wanted += len(gold)
    return tp / max(predicted, 1), tp / max(wanted, 1)


@pytest.mark.parametrize("name", ["demo", pytest.param("seeds", marks=needs_seeds)])
def test_api_suggest_precision_and_recall_on_gold(name, request, tmp_path, embedder):
    from citegraph.webapp.server import BackgroundServer

    store_dir = request.getfixturevalue({"demo": "demo_store_dir",
                                         "seeds": "seed_store_dir"}[name])
    pairs = load_gold(GOLD[name][0], store_dir)
    copy = tmp_path / "store"
    shutil.copytree(store_dir, copy)
    app = make_app(copy, embedder, token="")
    with BackgroundServer(app) as server:
        precision, recall = served_precision_recall(server.url, pairs)
    linker = app.extensions["citegraph.runtime"].linker
    print(f"/api/suggest gold ({name}, {len(pairs)} passages): precision {precision:.3f} "
          f"recall {recall:.3f}")
    assert (precision, recall) == pytest.approx(suggest_precision_recall(linker, pairs))
    assert precision >= FLOORS[name][0] and recall >= FLOORS[name][1]
