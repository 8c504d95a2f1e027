"""Extractive answers: in each result passage, the sentence closest to the question, then the
best of those sentences quoted with numbered citations. No text is generated: every word of
an answer is a quotation from a cited passage.

Sentence vectors come from the store (computed at ingest from the passage's own forward
pass), so choosing sentences costs one small matrix product per passage, no model call."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from citegraph.graph.models import SentenceVectors
from citegraph.search.results import Answer
from citegraph.text.splitter import is_heading

ANSWER_SENTENCES = 3


@dataclass
class Highlight:
    start: int  # offsets into the passage text
    end: int
    score: float


def best_sentence(question_vector: np.ndarray, text: str,
                  sentences: Optional[SentenceVectors]) -> Highlight:
    if sentences is None or not sentences.spans:
        return Highlight(0, len(text), 0.0)
    scores = sentences.vectors.astype(np.float32) @ question_vector
    # a heading or a question (titles often are one) is not an answer while the passage
    # has a statement to quote
    skip = [is_heading(text[a:b]) or text[a:b].rstrip().endswith("?") for a, b in sentences.spans]
    if not all(skip):
        scores = np.where(skip, -np.inf, scores)
    best = int(np.argmax(scores))
    start, end = sentences.spans[best]
    return Highlight(int(start), int(end), float(scores[best]))


def compose(quotes: list[tuple[int, str, float]], limit: int = ANSWER_SENTENCES) -> Answer:
    """quotes: (citation number, sentence, score) → the strongest distinct sentences, each
    followed by its citation mark."""
    chosen, seen = [], set()
    for number, sentence, _score in sorted(quotes, key=lambda q: (-q[2], q[0])):
        flat = " ".join(sentence.split())
        if flat.lower() in seen:
            continue
        seen.add(flat.lower())
        chosen.append((number, flat))
        if len(chosen) == limit:
            break
    return Answer(" ".join(f"{s} [{n}]" for n, s in chosen), [n for n, _ in chosen])
