"""The Neo4j 5 backend on the official driver (Bolt): the whole GraphStore contract.

Writes go through managed write transactions (`execute_write`, which the driver retries on
transient errors), one article per transaction, rows batched with `UNWIND $rows`; reads go
through `execute_read`. Every statement comes from graph.cypher and takes parameters only.
A transaction's work function only reads what it was given, so a retry replays it whole.
"""
from __future__ import annotations

import json
import threading
from typing import Callable, Iterable, Iterator, Optional

import numpy as np

from citegraph.graph import cypher
from citegraph.graph.analysis import MAX_QUERY_TERMS, analysed_text, query_terms
from citegraph.graph.keyword import PostingsIndex
from citegraph.graph.base import GraphStore, StoreError
from citegraph.graph.cooccurrence import (CoOccurrence, CoOccurrenceCounts, co_occurrence,
                                          delta)
from citegraph.graph.uri import NEO4J_SCHEMES
from citegraph.graph.models import Article, Concept, Hit, Mention, Passage, SentenceVectors

PAGE = 500  # rows a page when iterating over the whole graph
VECTOR_CANDIDATES = 100  # the vector index is always asked for at least this many
SYNC_PAGE = 5000  # passages read a page at a time into the keyword index
SCHEMA = (cypher.article_id_constraint, cypher.passage_id_constraint,
          cypher.concept_iri_constraint, cypher.cooccurrence_total_constraint,
          cypher.store_meta_constraint,
          cypher.passage_sequence_constraint, cypher.passage_seq_index,
          cypher.passage_article_index,
          cypher.passage_vector_index, cypher.passage_fulltext_index)
INDEX_WAIT_S = 300

# Lucene's query syntax characters, escaped so that a user's words stay words
_LUCENE_SPECIAL = set('\\+-!():^[]"{}~*?|&/')


def lucene_query(text: str) -> str:
    """A Lucene query OR-ing the user's words over passage text and (boosted) title.

    Words are lower-cased so that AND/OR/NOT stay words, and every special character is
    escaped; the result is passed as a parameter, never written into Cypher."""
    words = list(dict.fromkeys(
        "".join("\\" + ch if ch in _LUCENE_SPECIAL else ch for ch in word.lower())
        for word in text.split()))[:MAX_QUERY_TERMS]  # Lucene refuses over 1024 clauses
    if not words:
        return ""
    terms = " OR ".join(words)
    return f"text:({terms}) OR title:({terms})^{cypher.TITLE_BOOST:g}"


def _floats(vector) -> list[float]:
    """A vector as a list of Python floats, the Bolt type the vector index takes."""
    return np.asarray(vector, dtype=np.float64).ravel().tolist()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].rstrip(": ") if lines else type(exc).__name__


SCHEME_REVISION = "scheme_revision"  # StoreMeta key: a new token per scheme replacement


class Neo4jStore(GraphStore):
    def __init__(self, uri: str, driver, database: Optional[str] = None,
                 create_schema: bool = True):
        self.uri = uri
        self.database = database or None
        self._driver = driver
        self._keywords = PostingsIndex((cypher.TITLE_BOOST, 1.0))  # columns: title, text
        self._keyword_ids: dict[int, str] = {}  # key -> passage id
        self._keyword_last = 0
        self._keyword_state: Optional[tuple[int, int]] = None
        self._keyword_lock = threading.Lock()
        if create_schema:
            self.create_schema()

    @classmethod
    def connect(cls, uri: str, user: str = "neo4j", password: Optional[str] = None,
                database: Optional[str] = None) -> "Neo4jStore":
        """Connect to `uri`; no password: no authentication."""
        from neo4j import GraphDatabase
        from neo4j.exceptions import ConfigurationError, DriverError, Neo4jError

        if not uri.startswith(NEO4J_SCHEMES):
            raise StoreError(f"invalid Neo4j URI {uri}: expected one of "
                             + ", ".join(NEO4J_SCHEMES))
        auth = (user, password) if password is not None else None
        try:
            # the server's notices (e.g. "property key does not exist" on an empty database)
            # are not for our users: the driver would log each one to stderr
            driver = GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
        except (ConfigurationError, ValueError) as exc:
            raise StoreError(f"invalid Neo4j URI {uri}: {_first_line(exc)}") from None
        try:
            driver.verify_connectivity()
        except (DriverError, Neo4jError, OSError, ValueError) as exc:
            driver.close()
            raise StoreError(f"cannot reach Neo4j at {uri}: {_first_line(exc)}") from None
        try:
            return cls(uri, driver, database)
        except StoreError:
            driver.close()
            raise

    # --- the driver layer ------------------------------------------------------------
    def _execute(self, access: str, work: Callable):
        """Run `work(tx)` in a managed transaction, mapping driver errors to one line."""
        from neo4j.exceptions import (AuthError, DriverError, Neo4jError, ServiceUnavailable,
                                      SessionExpired)

        try:
            with self._driver.session(database=self.database) as session:
                run = session.execute_write if access == "write" else session.execute_read
                return run(work)
        except (AuthError, ServiceUnavailable, SessionExpired) as exc:
            raise StoreError(f"cannot reach Neo4j at {self.uri}: {_first_line(exc)}") from None
        except (Neo4jError, DriverError) as exc:
            raise StoreError(f"Neo4j at {self.uri}: {_first_line(exc)}") from None

    @staticmethod
    def _run(tx, statement: cypher.Statement, **parameters) -> list[dict]:
        # the values as the driver decoded them: Record.data() would walk every byte of a
        # byte array and every float of a vector in Python (65 ms for ten passages'
        # sentence vectors); every statement returns plain values and maps, never nodes
        return [dict(zip(record.keys(), record.values()))
                for record in tx.run(statement.text, parameters)]

    def _read(self, statement: cypher.Statement, **parameters) -> list[dict]:
        return self._execute("read", lambda tx: self._run(tx, statement, **parameters))

    def _write(self, statement: cypher.Statement, **parameters) -> list[dict]:
        return self._execute("write", lambda tx: self._run(tx, statement, **parameters))

    def create_schema(self) -> None:
        """Constraints and indexes, each created only when missing; waits until online."""
        for build in SCHEMA:
            self._write(build())
        self._write(cypher.await_indexes(), seconds=INDEX_WAIT_S)
        rows = self._read(cypher.cooccurrence_stale())
        if rows and rows[0]["stale"]:  # a graph written by an earlier version
            self.rebuild_cooccurrence()
        self._key_unkeyed_passages()
        rows = self._read(cypher.passages_without_section())
        if rows and rows[0]["found"]:  # passages of an earlier version: the body
            self._write(cypher.mark_body_passages(), section="body")

    def _key_unkeyed_passages(self) -> None:
        """Keyword-index keys for passages written by an earlier version."""
        while ids := [r["id"] for r in self._read(cypher.passages_without_seq(), limit=PAGE)]:
            def work(tx, ids=ids):
                first = self._run(tx, cypher.reserve_passage_seqs(), count=len(ids))[0]["first"]
                self._run(tx, cypher.set_passage_seqs(),
                          rows=[{"id": pid, "seq": first + i + 1} for i, pid in enumerate(ids)])
            self._execute("write", work)

    def clear(self) -> None:
        """Remove every article, passage and concept (the schema stays)."""
        def work(tx):
            self._run(tx, cypher.clear_graph())
            # no concepts now: nothing derived from the old scheme may be used again
            self._run(tx, cypher.new_scheme_revision(), key=SCHEME_REVISION)

        self._execute("write", work)

    def close(self) -> None:
        self._driver.close()

    # --- articles and passages ----------------------------------------------------------
    def article_hash(self, article_id: str) -> Optional[str]:
        rows = self._read(cypher.article_hash(), id=article_id)
        return rows[0]["content_hash"] if rows else None

    def upsert_article(self, article: Article, passages: list[Passage],
                       mentions: list[Mention]) -> None:
        for p in passages:
            if p.embedding is None:
                raise StoreError(f"passage {p.id}: no embedding")
        # everything is built before the transaction, so that a retry replays the same rows
        record = {"id": article.id, "title": article.title, "text": article.text,
                  "source": article.source, "url": article.url,
                  "content_hash": article.content_hash, "ingested_at": article.ingested_at,
                  "author": article.author or None, "published": article.published or None}
        rows = [{"id": p.id, "ordinal": int(p.ordinal), "title": article.title, "text": p.text,
                 "start": int(p.start), "end": int(p.end), "embedding": _floats(p.embedding),
                 "sentence_spans": json.dumps([list(s) for s in p.sentences.spans])
                 if p.sentences else "[]",
                 "sentence_vectors": p.sentences.to_bytes() if p.sentences else None,
                 "section": p.section or "body", "author": p.author or None,
                 "date": p.date or None, "page": p.page}
                for p in passages]
        mention_rows = _mention_rows(mentions)

        touched = list(dict.fromkeys(m.passage_id for m in mentions))

        def work(tx):
            # the article node first: its write lock keeps writers of this article apart
            # while the co-occurrence before and after are read
            self._run(tx, cypher.merge_article(), article=record)
            before = self._concept_sets(tx, article.id, touched)
            self._run(tx, cypher.delete_article_passages(), article_id=article.id)
            if rows:
                first = self._run(tx, cypher.reserve_passage_seqs(), count=len(rows))[0]["first"]
                keyed = [dict(row, seq=first + i + 1) for i, row in enumerate(rows)]
                self._run(tx, cypher.create_passages(), article_id=article.id, rows=keyed)
                self._run(tx, cypher.link_passages(), article_id=article.id)
            if mention_rows:
                self._run(tx, cypher.create_mentions(), rows=mention_rows)
            after = self._concept_sets(tx, article.id, touched) if mention_rows else {}
            self._add_cooccurrence(tx, delta(before, after))

        self._execute("write", work)

    def delete_article(self, article_id: str) -> bool:
        def work(tx):
            before = self._concept_sets(tx, article_id, [])
            self._run(tx, cypher.delete_article_passages(), article_id=article_id)
            self._add_cooccurrence(tx, delta(before, {}))
            return self._run(tx, cypher.delete_article(), id=article_id)[0]["deleted"] > 0

        return self._execute("write", work)

    def get_article(self, article_id: str) -> Optional[Article]:
        rows = self._read(cypher.get_article(), id=article_id)
        return _article(rows[0]["article"]) if rows else None

    def article_titles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return {}
        rows = self._read(cypher.article_titles(), ids=ids)
        return {r["article"]["id"]: _article(r["article"]) for r in rows}

    def list_articles(self, limit: int = 20, offset: int = 0,
                      sort: str = "date") -> tuple[int, list[tuple[Article, int]]]:
        if sort not in ("date", "title"):
            raise ValueError(f"sort: {sort!r} is not one of date, title")
        row = self._read(cypher.article_listing(), by_title=sort == "title",
                         offset=max(0, int(offset)), limit=max(0, int(limit)))[0]
        return int(row["total"]), [(_article(a), int(a["passages"])) for a in row["articles"]]

    def article_passages(self, article_id: str) -> list[Passage]:
        return [_passage(r["passage"])
                for r in self._read(cypher.article_passages(), article_id=article_id)]

    def get_passages(self, passage_ids: list[str]) -> list[Passage]:
        if not passage_ids:
            return []
        found = {r["passage"]["id"]: _passage(r["passage"])
                 for r in self._read(cypher.get_passages(), ids=list(dict.fromkeys(passage_ids)))}
        return [found[i] for i in passage_ids if i in found]

    def sentence_vectors(self, passage_ids: list[str]) -> dict[str, SentenceVectors]:
        if not passage_ids:
            return {}
        rows = self._read(cypher.sentence_vectors(), ids=list(passage_ids))
        return {r["id"]: SentenceVectors.from_bytes(json.loads(r["spans"]), bytes(r["vectors"]))
                for r in rows}

    # --- concepts and mentions -----------------------------------------------------------
    def replace_concepts(self, concepts: list[Concept]) -> None:
        iris = [c.iri for c in concepts]
        rows = [{"iri": c.iri, "label": c.label, "alt_labels": list(c.alt_labels),
                 "hidden_labels": list(c.hidden_labels), "definition": c.definition,
                 "scheme": c.scheme, "language": c.language,
                 "extra": json.dumps(c.extra, ensure_ascii=False),
                 "scheme_triples": json.dumps(c.scheme_triples, ensure_ascii=False)}
                for c in concepts]
        broader = [{"narrower": c.iri, "broader": b} for c in concepts for b in c.broader]
        related = [dict(zip("ab", pair)) for pair in sorted(
            {tuple(sorted((c.iri, r))) for c in concepts for r in c.related if r != c.iri})]

        def work(tx):
            # passages losing mentions with the concepts that go
            touched = [r["id"] for r in self._run(
                tx, cypher.passages_mentioning_concepts_except(), iris=iris)]
            before = self._concept_sets(tx, None, touched) if touched else {}
            self._run(tx, cypher.delete_concepts_except(), iris=iris)
            if touched:
                self._add_cooccurrence(tx, delta(before, self._concept_sets(tx, None, touched)))
            self._run(tx, cypher.delete_concept_links())
            if rows:
                self._run(tx, cypher.merge_concepts(), rows=rows)
            if broader:
                self._run(tx, cypher.create_broader(), rows=broader)
            if related:
                self._run(tx, cypher.create_related(), rows=related)
            # what is derived from the scheme (graph/scheme_cache.py) is built again
            self._run(tx, cypher.new_scheme_revision(), key=SCHEME_REVISION)

        self._execute("write", work)

    def scheme_revision(self) -> str:
        return self.meta_value(SCHEME_REVISION) or "0"  # "0": no scheme written since

    def list_concepts(self) -> list[tuple[Concept, int]]:
        return [(_concept(r), r["mentions"]) for r in self._read(cypher.list_concepts())]

    def get_concept(self, iri: str) -> Optional[Concept]:
        rows = self._read(cypher.get_concept(), iri=iri)
        return _concept(rows[0]) if rows else None

    def narrower(self, iri: str) -> list[str]:
        return [r["iri"] for r in self._read(cypher.narrower(), iri=iri)]

    def replace_mentions(self, passage_ids: list[str], mentions: list[Mention]) -> None:
        ids = list(passage_ids)
        rows = _mention_rows(mentions)
        touched = list(dict.fromkeys([*ids, *(m.passage_id for m in mentions)]))

        def work(tx):
            before = self._concept_sets(tx, None, touched) if touched else {}
            if ids:
                self._run(tx, cypher.delete_passage_mentions(), ids=ids)
            if rows:
                self._run(tx, cypher.create_mentions(), rows=rows)
            after = self._concept_sets(tx, None, touched) if rows else {}
            self._add_cooccurrence(tx, delta(before, after))

        self._execute("write", work)

    def passage_mentions(self, passage_ids: list[str]) -> dict[str, list[Mention]]:
        out: dict[str, list[Mention]] = {pid: [] for pid in passage_ids}
        if passage_ids:
            for r in self._read(cypher.passage_mentions(), ids=list(passage_ids)):
                out[r["mention"]["passage_id"]].append(_mention(r["mention"]))
        return out

    def concept_mentions(self, iri: str, limit: int = 50) -> list[Mention]:
        return [_mention(r["mention"])
                for r in self._read(cypher.concept_mentions(), iri=iri, limit=int(limit))]

    # --- co-occurrence: counts kept by the writes above (graph/cooccurrence.py) ------------
    def _concept_sets(self, tx, article_id: Optional[str],
                      passage_ids: list[str]) -> dict[str, set[str]]:
        rows = self._run(tx, cypher.passage_concepts(), article_id=article_id,
                         ids=list(passage_ids))
        return {r["id"]: set(r["iris"]) for r in rows if r["iris"]}

    def _add_cooccurrence(self, tx, change: CoOccurrenceCounts) -> None:
        if change.pairs:
            self._run(tx, cypher.add_cooccurrence_pairs(),
                      rows=[{"a": a, "b": b, "n": int(n)} for (a, b), n in change.pairs.items()])
        if change.concepts:
            self._run(tx, cypher.add_concept_passages(),
                      rows=[{"iri": iri, "n": int(n)} for iri, n in change.concepts.items()])
        if change.passages:
            self._run(tx, cypher.add_mentioned_passages(), n=int(change.passages))

    def rebuild_cooccurrence(self) -> None:
        def work(tx):
            self._run(tx, cypher.delete_cooccurrence())
            self._run(tx, cypher.build_cooccurrence())
            self._run(tx, cypher.build_concept_passages())
            self._run(tx, cypher.build_mentioned_passages())

        self._execute("write", work)

    def cooccurrence_counts(self) -> CoOccurrenceCounts:
        rows = self._read(cypher.cooccurrence_counts())
        counts = CoOccurrenceCounts()
        if rows:
            counts.passages = int(rows[0]["passages"] or 0)
            counts.pairs.update({(a, b): int(n) for a, b, n in rows[0]["pairs"]})
            counts.concepts.update({iri: int(n) for iri, n in rows[0]["concepts"]})
        return counts.prune()

    def co_occurrences(self, iri: str, limit: int = 20) -> list[CoOccurrence]:
        rows = self._read(cypher.co_occurring(), iri=iri, limit=int(limit))
        return [co_occurrence(r["iri"], r["count"], r["passages"], r["concept_passages"],
                              r["other_passages"], r["passages_total"]) for r in rows]

    # --- retrieval ---------------------------------------------------------------------
    def vector_search(self, vector: np.ndarray, k: int) -> list[Hit]:
        if k <= 0:
            return []
        # the index is approximate (HNSW): asked for 11 it found 95.8% of the exact top 10
        # on SciFact (11k passages), asked for 100 it found 98.1%, in no more time
        rows = self._read(cypher.vector_search(), k=max(int(k), VECTOR_CANDIDATES),
                          vector=_floats(vector))
        # Neo4j reports cosine similarity rescaled to [0, 1]; the contract speaks cosine
        return [Hit(r["id"], 2.0 * float(r["score"]) - 1.0) for r in rows[:int(k)]]

    def keyword_search(self, query: str, k: int) -> list[Hit]:
        """BM25 exactly as the embedded store scores it (graph/keyword: FTS5's bm25() over
        our analyser's terms, title weight 2), from an in-memory index kept in step with the
        graph. Neo4j's own full-text index (Lucene's BM25 and analyser) ranked differently
        enough to move answers; it still answers the rare query the index cannot."""
        if k <= 0:
            return []
        self._sync_keywords()
        found = self._keywords.search(query_terms(query), k)
        if found is None:
            return self.fulltext_search(query, k)
        return [Hit(self._keyword_ids[int(key)], float(score))
                for key, score in zip(found[0].tolist(), found[1].tolist())]

    def fulltext_search(self, query: str, k: int) -> list[Hit]:
        """Neo4j's own full-text index (Lucene BM25, English analyser)."""
        expression = lucene_query(query)
        if not expression or k <= 0:
            return []
        rows = self._read(cypher.keyword_search(), query=expression, k=int(k))
        return [Hit(r["id"], float(r["score"])) for r in rows]

    def load_indexes(self) -> None:
        self._sync_keywords()  # vectors: Neo4j's own index

    def _sync_keywords(self) -> None:
        """Bring the in-memory keyword index to the graph: passages gone are removed, new
        ones (keys above the last seen) added. Writes by other processes are seen too."""
        state = self._read(cypher.keyword_sync_state())[0]
        key = (int(state["next"]), int(state["passages"]))
        if key == self._keyword_state:
            return
        with self._keyword_lock:
            if key == self._keyword_state:
                return
            present = np.asarray(self._read(cypher.passage_seqs())[0]["seqs"], dtype=np.int64)
            gone = np.setdiff1d(self._keywords.keys(), present)
            self._keywords.remove(gone)
            for seq in gone.tolist():
                self._keyword_ids.pop(seq, None)
            while rows := self._read(cypher.keyword_rows(), after=self._keyword_last,
                                     limit=SYNC_PAGE):
                keys = np.array([r["seq"] for r in rows], dtype=np.int64)
                self._keywords.add(keys, ([analysed_text(r["title"] or "") for r in rows],
                                          [analysed_text(r["text"] or "") for r in rows]))
                self._keyword_ids.update((int(r["seq"]), r["id"]) for r in rows)
                self._keyword_last = int(keys[-1])
            self._keyword_state = key

    # --- whole-store views -----------------------------------------------------------------
    def meta_value(self, key: str) -> Optional[str]:
        rows = self._read(cypher.meta_value(), key=key)
        return rows[0]["value"] if rows else None

    def put_meta_value(self, key: str, value: str, replace: bool = False) -> str:
        return self._write(cypher.put_meta_value(), key=key, value=value,
                           replace=replace)[0]["value"]

    def stats(self) -> dict[str, int]:
        row = self._read(cypher.stats())[0]
        return {name: int(row[name]) for name in ("articles", "passages", "concepts", "mentions")}

    def iter_articles(self) -> Iterator[Article]:
        after = ""
        while True:
            rows = self._read(cypher.articles_page(), after=after, limit=PAGE)
            for r in rows:
                yield _article(r["article"])
            if len(rows) < PAGE:
                return
            after = rows[-1]["article"]["id"]

    def iter_passages(self, with_embeddings: bool = False) -> Iterator[Passage]:
        after_article, after_ordinal = "", -1
        while True:
            rows = self._read(cypher.passages_page(), after_article=after_article,
                              after_ordinal=after_ordinal, with_embeddings=with_embeddings,
                              limit=PAGE)
            for r in rows:
                p = _passage(r["passage"])
                if with_embeddings:
                    p.embedding = np.asarray(r["embedding"], dtype=np.float32)
                yield p
            if len(rows) < PAGE:
                return
            last = rows[-1]["passage"]
            after_article, after_ordinal = last["article_id"], last["ordinal"]

    def iter_mentions(self) -> Iterator[Mention]:
        after = ""
        while True:
            rows = self._read(cypher.mentions_page(), after=after, limit=PAGE)
            # a passage without mentions comes as one row with a null iri
            yield from (_mention(r) for r in rows if r["iri"] is not None)
            if len({r["passage_id"] for r in rows}) < PAGE:
                return
            after = rows[-1]["passage_id"]


# --- records from rows -------------------------------------------------------------------------
def _article(row: dict) -> Article:
    return Article(id=row["id"], title=row.get("title") or "", text=row.get("text") or "",
                   source=row.get("source") or "", url=row.get("url") or "",
                   content_hash=row.get("content_hash") or "",
                   ingested_at=row.get("ingested_at") or "",
                   author=row.get("author") or None, published=row.get("published") or None)


def _passage(row: dict) -> Passage:
    return Passage(row["id"], row["article_id"], row["ordinal"], row["text"], row["start"],
                   row["end"], section=row.get("section") or "body",
                   author=row.get("author") or None, date=row.get("date") or None,
                   page=row.get("page"))


def _concept(row: dict) -> Concept:
    c = row["concept"]
    return Concept(iri=c["iri"], label=c.get("label") or "",
                   alt_labels=list(c.get("alt_labels") or []),
                   hidden_labels=list(c.get("hidden_labels") or []),
                   definition=c.get("definition") or "", scheme=c.get("scheme") or "",
                   broader=sorted(row["broader"]), related=sorted(set(row["related"])),
                   language=c.get("language") or "", extra=json.loads(c.get("extra") or "[]"),
                   scheme_triples=json.loads(c.get("scheme_triples") or "[]"))


def _mention(row: dict) -> Mention:
    return Mention(row["passage_id"], row["iri"], float(row["score"]), row["method"],
                   row.get("start"), row.get("end"), row.get("surface") or "")


def _mention_rows(mentions: list[Mention]) -> list[dict]:
    return [{"passage_id": m.passage_id, "iri": m.iri, "score": float(m.score),
             "method": m.method, "start": None if m.start is None else int(m.start),
             "end": None if m.end is None else int(m.end), "surface": m.surface}
            for m in mentions]
