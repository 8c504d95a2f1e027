"""IR metrics against values computed by hand."""
import math

import pytest

from citegraph.search.metrics import fold_to_articles, mean, mrr_at_k, ndcg_at_k, recall_at_k


def test_ndcg_binary_relevance_by_hand():
    # relevant at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    ranking = ["a", "r1", "b", "r2", "c"]
    relevant = {"r1": 1, "r2": 1}
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(ranking, relevant, 10) == pytest.approx(expected)
    assert ndcg_at_k(ranking, relevant, 10) == pytest.approx(0.6509209, abs=1e-6)


def test_ndcg_graded_relevance_and_cutoff():
    ranking = ["x", "y", "z"]
    relevant = {"x": 1, "y": 2, "z": 3}
    dcg = 1 + 2 / math.log2(3) + 3 / 2
    ideal = 3 + 2 / math.log2(3) + 1 / 2
    assert ndcg_at_k(ranking, relevant, 3) == pytest.approx(dcg / ideal)
    # cut at 1: only "x" (gain 1) against the ideal "z" (gain 3)
    assert ndcg_at_k(ranking, relevant, 1) == pytest.approx(1 / 3)


def test_ndcg_edges():
    assert ndcg_at_k(["a", "b"], {"a": 1}, 10) == 1.0
    assert ndcg_at_k(["b", "c"], {"a": 1}, 10) == 0.0
    assert ndcg_at_k([], {"a": 1}, 10) == 0.0
    assert ndcg_at_k(["a"], {}, 10) == 0.0
    # a relevant document beyond the cut-off does not count
    assert ndcg_at_k(["b", "a"], {"a": 1}, 1) == 0.0


def test_recall_by_hand():
    relevant = {"a": 1, "b": 1, "c": 1, "d": 0}  # grade 0 is not relevant
    assert recall_at_k(["a", "x", "c", "b"], relevant, 3) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "x", "c", "b"], relevant, 100) == 1.0
    assert recall_at_k(["d"], relevant, 100) == 0.0
    assert recall_at_k(["a"], {}, 100) == 0.0


def test_mrr_by_hand():
    relevant = {"r": 1}
    assert mrr_at_k(["r", "a"], relevant, 10) == 1.0
    assert mrr_at_k(["a", "b", "r"], relevant, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["a", "b", "r"], relevant, 2) == 0.0
    assert mrr_at_k(["a", "r", "r2"], {"r": 1, "r2": 1}, 10) == 0.5


def test_fold_to_articles_keeps_best_rank():
    # passages of article "A" at ranks 1 and 3: "A" is first and appears once
    assert fold_to_articles(["A", "B", "A", "C", "B"]) == ["A", "B", "C"]
    assert fold_to_articles([]) == []


def test_mean():
    assert mean([0.5, 1.0, 0.0]) == pytest.approx(0.5)
    assert mean([]) == 0.0
