"""Rank fusion as pure functions over ranked hit lists."""
from __future__ import annotations

from graph.models import Hit


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
