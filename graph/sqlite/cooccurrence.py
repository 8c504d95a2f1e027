"""The SQLite store's co-occurrence reads, from the counts its writes keep
(graph/sqlite/counts.py)."""
from __future__ import annotations

from citegraph.graph.base import CoOccurrenceStore
from citegraph.graph.cooccurrence import CoOccurrence, CoOccurrenceCounts, co_occurrence
from citegraph.graph.sqlite.connection import SQLiteConnection
from citegraph.graph.sqlite.counts import (chunks, derived_counts, marks,
                                           recount_cooccurrence)
from citegraph.graph.sqlite.schema import COOCCUR_PASSAGES


class SQLiteCoOccurrence(SQLiteConnection, CoOccurrenceStore):
    def rebuild_cooccurrence(self) -> None:
        with self._write() as c:
            recount_cooccurrence(c)

    def cooccurrence_counts(self) -> CoOccurrenceCounts:
        c = self._conn()
        if self._legacy_cooccurrence:
            return derived_counts(c)
        counts = CoOccurrenceCounts()
        counts.pairs.update({(a, b): n for a, b, n in c.execute(
            "SELECT a, b, n FROM cooccur_pairs")})
        counts.concepts.update(dict(c.execute("SELECT iri, n FROM cooccur_concepts")))
        counts.passages = int(c.execute("SELECT value FROM meta WHERE key=?",
                                        (COOCCUR_PASSAGES,)).fetchone()[0])
        return counts.prune()

    def co_occurrences(self, iri: str, limit: int = 20) -> list[CoOccurrence]:
        c = self._conn()
        totals: dict[str, int]
        if self._legacy_cooccurrence:
            counts = derived_counts(c)
            rows = sorted(((b if a == iri else a, n) for (a, b), n in counts.pairs.items()
                           if iri in (a, b)), key=lambda r: (-r[1], r[0]))[:limit]
            totals, total = counts.concepts, counts.passages
        else:
            rows = c.execute(
                "SELECT o, n FROM (SELECT b AS o, n FROM cooccur_pairs WHERE a=?"
                " UNION ALL SELECT a, n FROM cooccur_pairs WHERE b=?)"
                " ORDER BY n DESC, o LIMIT ?", (iri, iri, limit)).fetchall()
            if not rows:
                return []
            wanted = [iri, *(o for o, _n in rows)]
            totals = {}
            for chunk in chunks(wanted):
                totals.update(c.execute("SELECT iri, n FROM cooccur_concepts"
                                        f" WHERE iri IN ({marks(chunk)})", chunk))
            total = int(c.execute("SELECT value FROM meta WHERE key=?",
                                  (COOCCUR_PASSAGES,)).fetchone()[0])
        passages: dict[str, set[str]] = {}
        for chunk in chunks([o for o, _n in rows]):
            for other, pid in c.execute(
                    "SELECT m2.iri, m1.passage_id FROM mentions m1 JOIN mentions m2"
                    " ON m2.passage_id = m1.passage_id"
                    f" WHERE m1.iri = ? AND m2.iri IN ({marks(chunk)})", [iri, *chunk]):
                passages.setdefault(other, set()).add(pid)
        return [co_occurrence(other, n, passages.get(other, ()), totals.get(iri, 0),
                              totals.get(other, 0), total) for other, n in rows]
