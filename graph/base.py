"""The GraphStore contract every backend implements (embedded SQLite, Neo4j).

Methods are small primitives; anything composed from them (neighbourhoods, export,
migration) lives outside the backends so that it behaves the same everywhere.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Optional

import numpy as np

from citegraph.errors import CitegraphError
from citegraph.graph.cooccurrence import CoOccurrence, CoOccurrenceCounts
from citegraph.graph.models import Article, Concept, Hit, Mention, Passage, SentenceVectors

if TYPE_CHECKING:
    from citegraph.graph.passage_details import PassageDetails


class StoreError(CitegraphError):
    """An expected store failure, reported to the user as one line."""


class StoreFileError(StoreError):
    """The store's file or its disk failed (damaged, full, read-only, unreadable); `kind`
    says which in a few words, for callers that must not show the path."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


class IngestLockState:
    def __init__(self, interrupted: bool = False):
        self.interrupted = interrupted  # the previous ingest ended without finishing


class ArticleStore(ABC):
    """Articles and their passages: written whole, read back in pieces."""

    @abstractmethod
    def article_hash(self, article_id: str) -> Optional[str]:
        """The content hash of a stored article, or None when it is not stored."""

    @abstractmethod
    def upsert_article(self, article: Article, passages: list[Passage],
                       mentions: list[Mention]) -> None:
        """Write one article with its passages (embeddings set) and mentions in one
        transaction, replacing whatever the article had before."""

    def upsert_articles(self, items: list[tuple[Article, list[Passage], list[Mention]]]
                        ) -> None:
        """Write several articles as upsert_article does, each whole or not at all, in
        order; a backend may batch them into fewer transactions (Neo4j: one a batch)."""
        for article, passages, mentions in items:
            self.upsert_article(article, passages, mentions)

    @abstractmethod
    def delete_article(self, article_id: str) -> bool:
        """Remove an article, its passages and their mentions; False if unknown."""

    @abstractmethod
    def get_article(self, article_id: str) -> Optional[Article]: ...

    @abstractmethod
    def article_passages(self, article_id: str) -> list[Passage]:
        """The article's passages in order, without embeddings."""

    @abstractmethod
    def get_passages(self, passage_ids: list[str]) -> list[Passage]:
        """Passages in the order asked for (unknown ids skipped), without embeddings."""

    @abstractmethod
    def sentence_vectors(self, passage_ids: list[str]) -> dict[str, SentenceVectors]:
        """Sentence spans and vectors of passages, for extractive answers."""

    def passage_details(self, passage_ids: list[str]) -> "PassageDetails":
        """Everything a search result shows of these passages (graph/passage_details.py);
        composed from the reads above unless a backend answers it in one."""
        from citegraph.graph.passage_details import passage_details

        return passage_details(self, passage_ids)

    @abstractmethod
    def article_titles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        """Article records (text left empty; author and published kept) for the given ids."""

    @abstractmethod
    def list_articles(self, limit: int = 20, offset: int = 0,
                      sort: str = "date") -> tuple[int, list[tuple[Article, int]]]:
        """(number of articles, one page of (article with its text left empty, number of
        passages)). `sort`: "date", by publication date newest first, articles without one
        last (newest ingested first among them), or "title", A to Z ignoring ASCII case; ties
        by id."""

    @abstractmethod
    def iter_articles(self) -> Iterator[Article]: ...

    @abstractmethod
    def iter_passages(self, with_embeddings: bool = False) -> Iterator[Passage]: ...


class ConceptStore(ABC):
    """The concept scheme and the mentions that link passages to it."""

    @abstractmethod
    def replace_concepts(self, concepts: list[Concept]) -> None:
        """Make the stored scheme exactly `concepts` (with BROADER and RELATED edges);
        mentions of concepts that disappear are removed."""

    @abstractmethod
    def list_concepts(self) -> list[tuple[Concept, int]]:
        """Every concept with its number of mentions."""

    @abstractmethod
    def get_concept(self, iri: str) -> Optional[Concept]: ...

    def concept_labels(self, iris) -> dict[str, str]:
        """iri → prefLabel for the given IRIs; an IRI no stored concept has maps to itself."""
        out = {}
        for iri in dict.fromkeys(iris):
            concept = self.get_concept(iri)
            out[iri] = concept.label if concept else iri
        return out

    def scheme_revision(self) -> Optional[str]:
        """A token that changes whenever the stored scheme does (replace_concepts), so that
        what is derived from the scheme is built once per revision (graph/scheme_cache.py);
        None: the backend keeps none and it is derived again per request."""
        return None

    def concept_names(self) -> list[tuple[str, str]]:
        """(iri, prefLabel) of every concept: what short ids are made of."""
        return [(c.iri, c.label) for c, _count in self.list_concepts()]

    def mention_counts(self, iris) -> dict[str, int]:
        """iri → number of mentions, for the given IRIs (unknown ones: 0)."""
        wanted = set(iris)
        counts = {iri: 0 for iri in wanted}
        counts.update((c.iri, n) for c, n in self.list_concepts() if c.iri in wanted)
        return counts

    def most_mentioned(self, limit: int) -> list[tuple[str, int]]:
        """(iri, mentions) of the `limit` most mentioned concepts (none unmentioned), most
        first, ties by IRI."""
        ranked = sorted(((c.iri, n) for c, n in self.list_concepts() if n),
                        key=lambda pair: (-pair[1], pair[0]))
        return ranked[:limit]

    @abstractmethod
    def narrower(self, iri: str) -> list[str]:
        """IRIs of the concepts whose broader concept is `iri`."""

    @abstractmethod
    def replace_mentions(self, passage_ids: list[str], mentions: list[Mention]) -> None:
        """Relink: drop the mentions of these passages and store `mentions` instead."""

    @abstractmethod
    def passage_mentions(self, passage_ids: list[str]) -> dict[str, list[Mention]]: ...

    @abstractmethod
    def concept_mentions(self, iri: str, limit: int = 50) -> list[Mention]:
        """Mentions of a concept, strongest first."""

    @abstractmethod
    def iter_mentions(self) -> Iterator[Mention]: ...

    def iter_concepts(self) -> Iterator[Concept]:
        for concept, _count in self.list_concepts():
            yield concept


class CoOccurrenceStore(ABC):
    """Concepts mentioned in the same passages, counted by the store as it is written."""

    # Co-occurrence (graph/cooccurrence.py) is kept by the store itself: every write that
    # changes mentions (upsert_article, delete_article, replace_mentions, replace_concepts,
    # clearing) updates the pair counts, per-concept totals and the number of passages with
    # any mention in its own transaction. Weights are computed from the counts when read.
    @abstractmethod
    def rebuild_cooccurrence(self) -> None:
        """Recount co-occurrence from the mentions: a repair tool (a store written by an
        earlier version, or by hand); no normal write needs it."""

    @abstractmethod
    def cooccurrence_counts(self) -> CoOccurrenceCounts:
        """The stored co-occurrence counts (pairs, per-concept totals, passages)."""

    @abstractmethod
    def co_occurrences(self, iri: str, limit: int = 20) -> list[CoOccurrence]:
        """The concepts co-occurring with `iri`, most shared passages first (then by IRI),
        each with its count, supporting passages and PMI/NPMI weights."""

    def co_occurring(self, iri: str, limit: int = 20) -> list[tuple[str, float, list[str]]]:
        """(other iri, weight = shared passages, passage ids) for the concepts co-occurring
        with `iri`, heaviest first; `co_occurrences` has the association weights too."""
        return [(c.other, float(c.count), c.passages) for c in self.co_occurrences(iri, limit)]


class VectorSearch(ABC):
    """Passages by embedding similarity."""

    @abstractmethod
    def vector_search(self, vector: np.ndarray, k: int) -> list[Hit]:
        """Passages nearest to a normalised query vector, by cosine similarity."""


class KeywordSearch(ABC):
    """Passages by BM25 over their words."""

    @abstractmethod
    def keyword_search(self, query: str, k: int) -> list[Hit]:
        """Passages ranked by BM25 on the store's full-text index."""


class StoreMeta(ABC):
    """The store as a whole: its settings, counts, locks, snapshots and lifetime."""

    # store settings: small values that belong to this store (graph/rdf_vocab.py)
    @abstractmethod
    def meta_value(self, key: str) -> Optional[str]:
        """The stored value of a store setting, None when unset."""

    @abstractmethod
    def put_meta_value(self, key: str, value: str, replace: bool = False) -> str:
        """Store a setting (unless `replace`, a value already there stays); the value kept."""

    @abstractmethod
    def stats(self) -> dict[str, int]:
        """{"articles", "passages", "concepts", "mentions"} counts."""

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """Reads made by this thread inside the block see one state of the store, whatever
        is written meanwhile (export). The default promises nothing beyond each read."""
        yield

    def close(self) -> None:
        """Release connections; the default holds none."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def load_indexes(self) -> None:
        """Load what searches read from memory (vector and keyword indexes), so that a server
        pays for it before it answers, not on its first search. Searches load it anyway."""

    @contextmanager
    def ingest_lock(self, wait: Optional[float] = None,
                    notify: Optional[Callable[[str], None]] = None) -> Iterator[IngestLockState]:
        """Hold the store for one bulk ingest at a time; `wait`: seconds to wait for another
        (None: as long as it takes, 0: refuse at once with a StoreError). The state says
        whether the previous holder ended without finishing. A backend whose own
        transactions keep concurrent ingests apart takes no lock."""
        yield IngestLockState()


class GraphStore(StoreMeta, ArticleStore, ConceptStore, CoOccurrenceStore, VectorSearch,
                 KeywordSearch):
    """The whole contract every backend implements: the union of the parts above, each a
    concern of its own (a backend may build each part in a module of its own, as
    graph/sqlite/ does)."""
