"""Copy a whole graph from one store to another through the GraphStore contract: concepts
(with their hierarchy), articles, passages with their embeddings and sentence vectors, and
mentions; co-occurrence is derived again in the target. Nothing is re-embedded."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from typing import Callable, Iterable, Iterator, Optional

from citegraph.graph.base import GraphStore, StoreError
from citegraph.graph.models import Passage
from citegraph.graph.rdf_vocab import BASE_IRI_KEY


@dataclass
class MigrationReport:
    source: dict[str, int]
    target: dict[str, int]

    @property
    def complete(self) -> bool:
        return self.source == self.target


def migrate(source: GraphStore, target: GraphStore,
            progress: Optional[Callable[[Iterable], Iterable]] = None) -> MigrationReport:
    """Copy `source` into the empty store `target`, one article per transaction."""
    counts = source.stats()
    present = target.stats()
    if any(present.values()):
        raise StoreError("the target store is not empty ("
                         + ", ".join(f"{n} {name}" for name, n in present.items()) + ")")
    # concepts first: mentions point at them
    target.replace_concepts(list(source.iter_concepts()))
    copied: set[str] = set()
    groups: Iterable[tuple[str, Iterator[Passage]]] = groupby(
        source.iter_passages(with_embeddings=True), key=attrgetter("article_id"))
    if progress is not None:
        groups = progress(groups)
    for article_id, group in groups:
        article = source.get_article(article_id)
        if article is None:  # passages without their article are not part of the graph
            continue
        passages = list(group)
        ids = [p.id for p in passages]
        sentences = source.sentence_vectors(ids)
        for p in passages:
            p.sentences = sentences.get(p.id)
        mentions = [m for ms in source.passage_mentions(ids).values() for m in ms]
        target.upsert_article(article, passages, mentions)
        copied.add(article_id)
    for article in source.iter_articles():  # articles too short to have passages
        if article.id not in copied:
            target.upsert_article(article, [], [])
    # the same collection: its RDF IRIs stay those of the source (graph/rdf_vocab.py)
    base = source.meta_value(BASE_IRI_KEY)
    if base:
        target.put_meta_value(BASE_IRI_KEY, base, replace=True)
    return MigrationReport(counts, target.stats())
