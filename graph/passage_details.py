"""What a search result shows of its passages, read for all of them at once: the passages,
their articles' heads, their mentions with the concepts' labels, and their sentence vectors.
`passage_details` composes it from the store's primitives (five reads, the labels one a
concept on a backend without its own `concept_labels`); a backend may answer it in one."""
from __future__ import annotations

from dataclasses import dataclass, field

from citegraph.graph.models import Article, Mention, Passage, SentenceVectors


@dataclass
class PassageDetails:
    passages: list[Passage] = field(default_factory=list)  # in the order asked; unknown skipped
    articles: dict[str, Article] = field(default_factory=dict)  # id -> head (text left empty)
    mentions: dict[str, list[Mention]] = field(default_factory=dict)  # strongest first
    labels: dict[str, str] = field(default_factory=dict)  # iri -> prefLabel (or the iri)
    sentences: dict[str, SentenceVectors] = field(default_factory=dict)


def passage_details(store, passage_ids: list[str]) -> PassageDetails:
    passages = store.get_passages(passage_ids)
    ids = [p.id for p in passages]
    mentions = store.passage_mentions(ids)
    return PassageDetails(
        passages=passages,
        articles=store.article_titles(p.article_id for p in passages),
        mentions=mentions,
        labels=store.concept_labels(m.iri for ms in mentions.values() for m in ms),
        sentences=store.sentence_vectors(ids))
