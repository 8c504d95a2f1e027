"""The co-occurrence counts as SQL on one connection inside a write (or read) transaction:
what every write that changes mentions calls (graph/cooccurrence.py says what is counted)."""
from __future__ import annotations

import sqlite3

from citegraph.graph.cooccurrence import CoOccurrenceCounts
from citegraph.graph.sqlite.schema import COOCCUR_PASSAGES


def chunks(values: list, size: int = 500):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def marks(values: list) -> str:
    return ",".join("?" * len(values))


def concept_sets(c: sqlite3.Connection, passage_ids: list[str]) -> dict[str, set[str]]:
    """passage id -> the concepts its mentions are of (passages without any left out)."""
    out: dict[str, set[str]] = {}
    for chunk in chunks(passage_ids):
        for pid, iri in c.execute("SELECT passage_id, iri FROM mentions"
                                  f" WHERE passage_id IN ({marks(chunk)})", chunk):
            out.setdefault(pid, set()).add(iri)
    return out


def add_cooccurrence(c: sqlite3.Connection, change: CoOccurrenceCounts) -> None:
    if not change:
        return
    c.executemany("INSERT INTO cooccur_pairs(a, b, n) VALUES (?,?,?)"
                  " ON CONFLICT(a, b) DO UPDATE SET n = n + excluded.n",
                  [(a, b, n) for (a, b), n in change.pairs.items()])
    c.executemany("DELETE FROM cooccur_pairs WHERE a=? AND b=? AND n <= 0",
                  [pair for pair, n in change.pairs.items() if n < 0])
    c.executemany("INSERT INTO cooccur_concepts(iri, n) VALUES (?,?)"
                  " ON CONFLICT(iri) DO UPDATE SET n = n + excluded.n",
                  list(change.concepts.items()))
    c.executemany("DELETE FROM cooccur_concepts WHERE iri=? AND n <= 0",
                  [(iri,) for iri, n in change.concepts.items() if n < 0])
    if change.passages:
        c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key=?",
                  (change.passages, COOCCUR_PASSAGES))


def recount_cooccurrence(c: sqlite3.Connection) -> None:
    c.execute("DELETE FROM cooccur_pairs")
    c.execute("DELETE FROM cooccur_concepts")
    c.execute("INSERT INTO cooccur_pairs(a, b, n)"
              " SELECT m1.iri, m2.iri, COUNT(DISTINCT m1.passage_id)"
              " FROM mentions m1 JOIN mentions m2"
              " ON m1.passage_id = m2.passage_id AND m1.iri < m2.iri"
              " GROUP BY m1.iri, m2.iri")
    c.execute("INSERT INTO cooccur_concepts(iri, n)"
              " SELECT iri, COUNT(DISTINCT passage_id) FROM mentions GROUP BY iri")
    c.execute("INSERT OR REPLACE INTO meta(key, value)"
              " SELECT ?, CAST(COUNT(DISTINCT passage_id) AS TEXT) FROM mentions",
              (COOCCUR_PASSAGES,))


def derived_counts(c: sqlite3.Connection) -> CoOccurrenceCounts:
    """Counts straight from the mentions (a version-1 store opened read-only)."""
    counts = CoOccurrenceCounts()
    counts.pairs.update({(a, b): n for a, b, n in c.execute(
        "SELECT m1.iri, m2.iri, COUNT(DISTINCT m1.passage_id) FROM mentions m1"
        " JOIN mentions m2 ON m1.passage_id = m2.passage_id AND m1.iri < m2.iri"
        " GROUP BY m1.iri, m2.iri")})
    counts.concepts.update(dict(c.execute(
        "SELECT iri, COUNT(DISTINCT passage_id) FROM mentions GROUP BY iri")))
    counts.passages = c.execute(
        "SELECT COUNT(DISTINCT passage_id) FROM mentions").fetchone()[0]
    return counts.prune()
