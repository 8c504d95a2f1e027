"""Concept lookup by label with a large scheme: a concept page, a `?concept=` search and a
404, served by the real app (Flask's test client, no network) over a store holding a
generated scheme of --concepts concepts (no articles: the lookup is what is timed).

    python benchmarks/concept_lookup.py [--concepts 10000] [--repeat 5]

Figures, one a line (milliseconds, median over --repeat requests, after one warm-up):
    concept_page_ms     GET /concepts/<a label near the end of the alphabet>
    concept_search_ms   GET /api/search?q=...&concept=<that label>
    concept_404_ms      GET /concepts/<a label no concept has>
    first_request_ms    the first concept page after start (builds what is cached)
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, figure  # noqa: E402

sys.path.insert(0, str(REPO))
from citegraph.graph.models import Concept  # noqa: E402

EX = "https://example.org/generated/"


def generated_scheme(n: int) -> list[Concept]:
    """n concepts, each with two alt labels, every tenth under a broader one."""
    return [Concept(f"{EX}c{i}", f"Concept number {i:06d}",
                    alt_labels=[f"Alias {i} one", f"Alias {i} two"],
                    definition=f"The generated concept {i}.",
                    broader=[f"{EX}c{i - i % 10}"] if i % 10 else [])
            for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concepts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.settings import Settings
    from citegraph.webapp import create_app

    with tempfile.TemporaryDirectory() as tmp:
        with SQLiteStore(tmp) as store:
            store.replace_concepts(generated_scheme(args.concepts))
        app = create_app(Settings(store=tmp), config={"PRELOAD": False, "TESTING": True})
        client = app.test_client()
        label = f"alias {args.concepts - 3} two"  # an alt label, case differing
        app.extensions["citegraph.runtime"].embedder.encode_query("warm up")

        def timed(url: str, status: int) -> float:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == status, (url, response.status_code)
            return elapsed

        requests = {"concept_page_ms": (f"/concepts/{label}", 200),
                    "concept_search_ms": (f"/api/search?q=customer&concept={label}", 200),
                    "concept_404_ms": ("/concepts/no such concept here", 404)}
        figure("concepts", args.concepts)
        figure("first_request_ms", timed(*requests["concept_page_ms"]))
        for name, (url, status) in requests.items():
            timed(url, status)
            figure(name, statistics.median(timed(url, status) for _ in range(args.repeat)))


if __name__ == "__main__":
    main()
