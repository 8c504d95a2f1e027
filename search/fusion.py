"""Rank fusion as pure functions over ranked hit lists."""
from __future__ import annotations

from citegraph.graph.models import Hit


def reciprocal_rank_fusion(lists: list[list[Hit]], weights: list[float] | None = None,
                           k: int = 60) -> list[Hit]:
    """Σ weight / (k + rank) over the lists a passage appears in (Cormack et al., 2009)."""
    weights = weights or [1.0] * len(lists)
    scores: dict[str, float] = {}
    for hits, weight in zip(lists, weights):
        for rank, hit in enumerate(hits, start=1):
            scores[hit.passage_id] = scores.get(hit.passage_id, 0.0) + weight / (k + rank)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [Hit(pid, score) for pid, score in ranked]


def normalised_score_sum(lists: list[list[Hit]], weights: list[float] | None = None,
                         depth: int | None = None) -> list[Hit]:
    """Σ weight × min-max-normalised score over the lists a passage appears in.

    Each list is scaled so that its best score is 1 and its score at rank `depth` (its last
    one when shorter or unset) is 0, which puts cosine similarities and unbounded BM25 scores
    on one footing; deeper hits fall below 0 on the same line, so asking for more results
    does not reorder the first `depth`. A passage missing from a list gets that list's
    lowest value, capped at 0: it scored below everything the list returned."""
    weights = weights or [1.0] * len(lists)
    scores: dict[str, float] = {}
    floors: list[float] = []
    scaled_lists: list[list[tuple[str, float]]] = []
    for hits in lists:
        if not hits:
            scaled_lists.append([])
            floors.append(0.0)
            continue
        hi = hits[0].score
        lo = hits[min(depth or len(hits), len(hits)) - 1].score
        span = hi - lo
        scaled = [(h.passage_id, (h.score - lo) / span if span > 0 else 1.0) for h in hits]
        scaled_lists.append(scaled)
        floors.append(min(0.0, scaled[-1][1]))
    # every passage starts at the sum of the floors and gains what each list adds above its own
    base = sum(w * f for scaled, w, f in zip(scaled_lists, weights, floors) if scaled)
    for scaled, weight, floor in zip(scaled_lists, weights, floors):
        for pid, value in scaled:
            scores[pid] = scores.get(pid, base) + weight * (value - floor)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [Hit(pid, score) for pid, score in ranked]
