"""Retrieval on Neo4j: vectors through Neo4j's own vector index, keywords through an
in-memory postings index kept in step with the graph (graph/keyword), which scores exactly
as the embedded store does."""
from __future__ import annotations

import threading
import time
from typing import Callable, Optional

import numpy as np

from citegraph.graph import cypher
from citegraph.graph.analysis import MAX_QUERY_TERMS, analysed_text, query_terms
from citegraph.graph.base import StoreError
from citegraph.graph.keyword import PostingsIndex
from citegraph.graph.models import Hit
from citegraph.graph.neo4j.concepts import SCHEME_REVISION
from citegraph.graph.neo4j.records import floats
from citegraph.graph.neo4j.session import RETRY_SECONDS, Neo4jSession
from citegraph.graph.passage_details import PassageDetails

VECTOR_CANDIDATES = 100  # the vector index is always asked for at least this many
# load_indexes (a server's start) runs searches this long to warm the server's read path;
# each reads the details of this many hits, as a page of results does
WARM_SECONDS, WARM_DETAILS = 5.0, 10
SYNC_PAGE = 5000  # passages (or removal log entries) read a page at a time into the keyword index
OBSERVED_FRESH_S = 1.0  # a sync state read with a vector search serves the search's keywords
# A search waits this long for another's keyword sync, then fails (503): while Neo4j is down
# the syncing search waits out the driver's retries for each read, and searches queued behind
# it, each then doing the same, waited past a client's 60 s timeout (benchmarks/soak.py)
SYNC_WAIT_S = RETRY_SECONDS

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


class Neo4jRetrieval(Neo4jSession):
    passage_details: Callable[[list[str]], PassageDetails]  # Neo4jArticles's, in Neo4jStore

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._keywords = PostingsIndex((cypher.TITLE_BOOST, 1.0))  # columns: title, text
        self._keyword_ids: dict[int, str] = {}  # key -> passage id
        self._keyword_last = 0
        self._removals_seen: Optional[int] = None  # the removal log's position applied
        self._keyword_state: Optional[tuple[int, int, int]] = None
        self._keyword_lock = threading.Lock()
        # .state: (next, removals, passages, when) read by this thread's last vector search
        self._observed = threading.local()

    def vector_search(self, vector: np.ndarray, k: int) -> list[Hit]:
        if k <= 0:
            return []
        # the index is approximate (HNSW): asked for 11 it found 95.8% of the exact top 10
        # on SciFact (11k passages), asked for 100 it found 98.1%, in no more time
        row = self._read(cypher.vector_search(), k=max(int(k), VECTOR_CANDIDATES),
                         vector=floats(vector), revision_key=SCHEME_REVISION)[0]
        now = time.monotonic()
        self._observed.state = (int(row["next"]), int(row["removals"]), int(row["passages"]),
                                now)
        self._observed.revision = (row["revision"], now)
        # Neo4j reports cosine similarity rescaled to [0, 1]; the contract speaks cosine
        return [Hit(pid, 2.0 * float(score) - 1.0) for pid, score in row["hits"][:int(k)]]

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
        # a passage another thread's sync removed since the index answered is dropped (its
        # id is gone with it), as the embedded store drops a row deleted since
        ids = self._keyword_ids
        return [Hit(ids[key], float(score))
                for key, score in zip(found[0].tolist(), found[1].tolist()) if key in ids]

    def fulltext_search(self, query: str, k: int) -> list[Hit]:
        """Neo4j's own full-text index (Lucene BM25, English analyser)."""
        expression = lucene_query(query)
        if not expression or k <= 0:
            return []
        rows = self._read(cypher.keyword_search(), query=expression, k=int(k))
        return [Hit(r["id"], float(r["score"])) for r in rows]

    def load_indexes(self) -> None:
        self._sync_keywords()  # vectors: Neo4j's own index
        self.warm_search_path()

    def warm_search_path(self, seconds: Optional[float] = None) -> int:
        """Run a search's two statements (the vector query, passage_details) for `seconds`
        on random vectors, so that the server has compiled its read path before the first
        search: a JVM that has not run them since it started interprets that path while the
        JIT compiles it. Measured on 2,000 abstracts (benchmarks/README.md): the server took
        18 ms a search over its first 100, 4 ms after 800, and the compiler threads took a
        core for a minute, after a restart as after a bulk ingest (which compiles only the
        write path). Returns the searches run; none on an empty store."""
        rng = np.random.default_rng(0)
        deadline = time.monotonic() + (WARM_SECONDS if seconds is None else seconds)
        runs = 0
        while time.monotonic() < deadline:
            vector = rng.standard_normal(cypher.DIMENSIONS)
            hits = self.vector_search(vector / np.linalg.norm(vector), VECTOR_CANDIDATES)
            if not hits:  # an empty store
                break
            self.passage_details([h.passage_id for h in hits[:WARM_DETAILS]])
            runs += 1
        self._observed.state = self._observed.revision = None  # not a search's reads
        return runs

    def _take_observed_revision(self) -> tuple[bool, Optional[str]]:
        """(True, the scheme revision) this thread's vector search has just read, taken once
        (the concept signal of the same search then reads no revision of its own); (False,
        None) when there is none fresher than OBSERVED_FRESH_S."""
        observed = getattr(self._observed, "revision", None)
        self._observed.revision = None
        if observed is None or time.monotonic() - observed[1] > OBSERVED_FRESH_S:
            return False, None
        return True, observed[0]

    def _take_observed_state(self) -> Optional[tuple[int, int, int]]:
        """The sync state this thread's vector search has just read with its hits, taken
        once: the keyword list of a hybrid search then reflects the graph as the vector list
        does, without a round trip of its own. Older than OBSERVED_FRESH_S: not used."""
        observed = getattr(self._observed, "state", None)
        self._observed.state = None
        if observed is None or time.monotonic() - observed[3] > OBSERVED_FRESH_S:
            return None
        return observed[:3]

    def _sync_keywords(self) -> None:
        """Bring the in-memory keyword index to the graph: passages gone are removed (from
        the graph's removal log), new ones (keys above the last seen) added. Writes by other
        processes are seen too."""
        key = self._take_observed_state()
        if key is None:
            state = self._read(cypher.keyword_sync_state())[0]
            key = (int(state["next"]), int(state["removals"]), int(state["passages"]))
        if key == self._keyword_state:
            return
        if not self._keyword_lock.acquire(timeout=SYNC_WAIT_S):
            raise StoreError(f"Neo4j at {self.uri}: the keyword index was busy for "
                             f"{SYNC_WAIT_S:g} s")
        try:
            if key == self._keyword_state:
                return
            self._remove_gone_keywords(key[1])
            while rows := self._read(cypher.keyword_rows(), after=self._keyword_last,
                                     limit=SYNC_PAGE):
                keys = np.array([r["seq"] for r in rows], dtype=np.int64)
                self._keywords.add(keys, ([analysed_text(r["title"] or "") for r in rows],
                                          [analysed_text(r["text"] or "") for r in rows]))
                self._keyword_ids.update((int(r["seq"]), r["id"]) for r in rows)
                self._keyword_last = int(keys[-1])
            self._keyword_state = key
        finally:
            self._keyword_lock.release()

    def _remove_gone_keywords(self, removals: int) -> None:
        """Remove the passages the removal log lists after the position this index has
        applied, up to `removals` at least (the log position read before this sync's rows).
        The first sync (an empty index) only takes the position; an index the log has been
        pruned past compares every key once."""
        if self._removals_seen is None or not self._keyword_ids:
            self._removals_seen = removals
            return
        if removals == self._removals_seen:
            return
        gone: list[int] = []
        upto = 0  # a `clear`: every key up to this one
        seen = self._removals_seen
        while True:
            rows = self._read(cypher.passage_removals(), after=seen, limit=SYNC_PAGE)
            if not rows or rows[0]["at"] != seen + 1:  # read to the end, or pruned past
                break
            for row in rows:
                gone.extend(row["seqs"] or ())
                upto = max(upto, int(row["upto"] or 0))
            seen = int(rows[-1]["at"])
            if len(rows) < SYNC_PAGE:
                break
        if seen < removals:  # the log no longer holds what this index missed
            row = self._read(cypher.passage_seqs())[0]
            present = np.asarray(row["seqs"], dtype=np.int64)
            self._drop_keywords(np.setdiff1d(self._keywords.keys(), present))
            self._removals_seen = int(row["removals"])
            return
        # the keys as logged (a key this index never held is no key to remove): no pass
        # over the whole index, which at 100k passages took 50 ms
        dropped = np.unique(np.asarray(gone, dtype=np.int64))
        if upto:
            keys = self._keywords.keys()
            dropped = np.union1d(dropped, keys[keys <= upto])
        self._drop_keywords(dropped)
        self._removals_seen = seen

    def _drop_keywords(self, keys: np.ndarray) -> None:
        self._keywords.remove(keys)
        for seq in keys.tolist():
            self._keyword_ids.pop(seq, None)
