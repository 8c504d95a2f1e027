"""Rank fusion functions against values computed by hand."""
import pytest

from citegraph.graph.models import Hit
from citegraph.search.fusion import normalised_score_sum, reciprocal_rank_fusion


def hits(*pairs):
    return [Hit(pid, score) for pid, score in pairs]


def test_rrf_by_hand():
    fused = reciprocal_rank_fusion([hits(("a", 9), ("b", 8)), hits(("b", 3), ("c", 2))], k=60)
    scores = {h.passage_id: h.score for h in fused}
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["a"] == pytest.approx(1 / 61)
    assert [h.passage_id for h in fused] == ["b", "a", "c"]


def test_normalised_sum_by_hand():
    dense = hits(("a", 0.9), ("b", 0.7), ("c", 0.5))  # scaled 1, 0.5, 0
    bm25 = hits(("b", 30.0), ("d", 20.0), ("a", 10.0))  # scaled 1, 0.5, 0
    fused = normalised_score_sum([dense, bm25], [0.4, 0.6])
    scores = {h.passage_id: h.score for h in fused}
    assert scores["b"] == pytest.approx(0.4 * 0.5 + 0.6 * 1.0)
    assert scores["a"] == pytest.approx(0.4 * 1.0 + 0.6 * 0.0)
    assert scores["d"] == pytest.approx(0.6 * 0.5)  # missing from dense: 0 there
    assert scores["c"] == pytest.approx(0.0)
    assert [h.passage_id for h in fused] == ["b", "a", "d", "c"]


def test_normalised_sum_depth_keeps_the_head_stable():
    """Hits beyond `depth` fall below 0, so asking for a deeper list does not change how
    the first `depth` hits are scaled."""
    dense = hits(("a", 0.9), ("b", 0.7), ("c", 0.5), ("e", 0.1))
    bm25 = hits(("b", 30.0), ("d", 20.0), ("a", 10.0), ("f", 0.0))
    shallow = normalised_score_sum([dense[:3], bm25[:3]], [0.4, 0.6], depth=3)
    deep = normalised_score_sum([dense, bm25], [0.4, 0.6], depth=3)
    assert [h.passage_id for h in deep[:4]] == [h.passage_id for h in shallow]
    # e: (0.1 - 0.5) / 0.4 in dense; missing from BM25, so its floor f: (0 - 10) / 20
    assert {h.passage_id: h.score for h in deep}["e"] == pytest.approx(0.4 * -1.0 + 0.6 * -0.5)


def test_normalised_sum_edges():
    assert normalised_score_sum([[], []]) == []
    # one list empty: the other alone decides; a single hit scales to 1
    fused = normalised_score_sum([hits(("a", 0.3)), []], [0.5, 0.5])
    assert [(h.passage_id, h.score) for h in fused] == [("a", pytest.approx(0.5))]
    # equal scores do not divide by zero
    fused = normalised_score_sum([hits(("a", 2.0), ("b", 2.0))])
    assert [h.score for h in fused] == [1.0, 1.0]
