"""Extractive answers: sentence choice and composition, on vectors built by hand."""
import numpy as np

from citegraph.graph.models import SentenceVectors
from citegraph.search.answer import best_sentence, compose
from citegraph.search.results import Answer


def unit(*xs):
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_best_sentence_skips_titles_and_questions_while_a_statement_exists():
    text = "Who owns analytics?\n\nThe CCO owns it at Sun. Marketing does elsewhere."
    spans = [(0, 19), (21, 44), (45, 70)]
    assert [text[a:b] for a, b in spans][0] == "Who owns analytics?"
    vectors = np.stack([unit(1, 0, 0), unit(0.8, 0.6, 0), unit(0, 0, 1)]).astype(np.float16)
    h = best_sentence(unit(1, 0, 0), text, SentenceVectors(spans, vectors))
    assert text[h.start:h.end] == "The CCO owns it at Sun."
    assert abs(h.score - 0.8) < 1e-2


def test_best_sentence_falls_back_to_a_question_when_nothing_else_is_there():
    text = "Is listening engaging?"
    h = best_sentence(unit(1, 0), text, SentenceVectors([(0, len(text))],
                                                        np.stack([unit(1, 0)]).astype(np.float16)))
    assert (h.start, h.end) == (0, len(text))


def test_compose_orders_by_score_drops_repeats_and_cites():
    answer = compose([(1, "Alpha  beta.", 0.5), (2, "Gamma.", 0.9), (3, "alpha beta.", 0.7),
                      (4, "Delta.", 0.6), (5, "Eps.", 0.1)])
    assert answer == Answer("Gamma. [2] alpha beta. [3] Delta. [4]", [2, 3, 4])
