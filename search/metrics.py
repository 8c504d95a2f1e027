"""IR metrics as pure functions: `ranking` is a list of doc ids best first, `relevant` maps
doc id → graded relevance (> 0 counts as relevant)."""
from __future__ import annotations

import math


def dcg(gains: list[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranking: list[str], relevant: dict[str, float], k: int = 10) -> float:
    gains = [relevant.get(doc, 0.0) for doc in ranking[:k]]
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    best = dcg(ideal)
    return dcg(gains) / best if best > 0 else 0.0


def recall_at_k(ranking: list[str], relevant: dict[str, float], k: int = 100) -> float:
    wanted = {doc for doc, g in relevant.items() if g > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranking[:k])) / len(wanted)


def mrr_at_k(ranking: list[str], relevant: dict[str, float], k: int = 10) -> float:
    for i, doc in enumerate(ranking[:k], start=1):
        if relevant.get(doc, 0.0) > 0:
            return 1.0 / i
    return 0.0


def fold_to_articles(passage_article_ids: list[str]) -> list[str]:
    """Passages ranked best first → articles ranked by their best passage."""
    return list(dict.fromkeys(passage_article_ids))


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
