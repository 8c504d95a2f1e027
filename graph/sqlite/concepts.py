"""The SQLite store's concept scheme (concepts, broader and related links) and the mentions
that link passages to it."""
from __future__ import annotations

import json
import sqlite3
from typing import Iterator, Optional

from citegraph.graph.base import ConceptStore
from citegraph.graph.cooccurrence import delta
from citegraph.graph.models import Concept, Mention
from citegraph.graph.sqlite.connection import SQLiteConnection
from citegraph.graph.sqlite.counts import add_cooccurrence, chunks, concept_sets, marks

SCHEME_REVISION = "scheme_revision"  # meta key: bumped by every replace_concepts


def insert_mentions(c: sqlite3.Connection, mentions: list[Mention]) -> None:
    c.executemany(
        "INSERT INTO mentions(passage_id, iri, score, method, start_char, end_char, surface)"
        " VALUES (?,?,?,?,?,?,?)",
        [(m.passage_id, m.iri, float(m.score), m.method, m.start, m.end, m.surface)
         for m in mentions])


class SQLiteConcepts(SQLiteConnection, ConceptStore):
    def replace_concepts(self, concepts: list[Concept]) -> None:
        with self._write() as c:
            keep = [k.iri for k in concepts]
            c.execute("CREATE TEMP TABLE IF NOT EXISTS keep_iri(iri TEXT PRIMARY KEY)")
            c.execute("DELETE FROM keep_iri")
            c.executemany("INSERT OR IGNORE INTO keep_iri VALUES (?)", [(i,) for i in keep])
            # passages losing mentions with the concepts that go (ON DELETE CASCADE)
            touched = [r[0] for r in c.execute(
                "SELECT DISTINCT passage_id FROM mentions"
                " WHERE iri NOT IN (SELECT iri FROM keep_iri)")]
            before = concept_sets(c, touched)
            c.execute("DELETE FROM concepts WHERE iri NOT IN (SELECT iri FROM keep_iri)")
            add_cooccurrence(c, delta(before, concept_sets(c, touched)))
            c.execute("DELETE FROM broader")
            c.execute("DELETE FROM related")
            c.executemany(
                "INSERT INTO concepts(iri, label, alt_labels, hidden_labels, definition, scheme,"
                " language, extra, scheme_triples) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(iri) DO UPDATE SET label=excluded.label,"
                " alt_labels=excluded.alt_labels, hidden_labels=excluded.hidden_labels,"
                " definition=excluded.definition, scheme=excluded.scheme,"
                " language=excluded.language, extra=excluded.extra,"
                " scheme_triples=excluded.scheme_triples",
                [(k.iri, k.label, json.dumps(k.alt_labels), json.dumps(k.hidden_labels),
                  k.definition, k.scheme, k.language, json.dumps(k.extra, ensure_ascii=False),
                  json.dumps(k.scheme_triples, ensure_ascii=False)) for k in concepts])
            c.executemany("INSERT OR IGNORE INTO broader(narrower, broader) VALUES (?,?)",
                          [(k.iri, b) for k in concepts for b in k.broader])
            c.executemany("INSERT OR IGNORE INTO related(a, b) VALUES (?,?)",
                          [tuple(sorted((k.iri, r))) for k in concepts for r in k.related
                           if r != k.iri])
            # what is derived from the scheme (graph/scheme_cache.py) is built again
            c.execute("INSERT INTO meta(key, value) VALUES (?, '1') ON CONFLICT(key)"
                      " DO UPDATE SET value = CAST(value AS INTEGER) + 1", (SCHEME_REVISION,))
            self._bump_version(c)

    def scheme_revision(self) -> str:
        return self.meta_value(SCHEME_REVISION) or "0"  # no replace_concepts wrote a scheme

    def _concept(self, row, links: Optional[tuple[dict, dict]] = None) -> Concept:
        """A concept from its row; `links`: (narrower → broader list, iri → related list)
        of every concept, read once for a whole listing, else read here for this one."""
        iri, label, alt, hidden, definition, scheme, language, extra, scheme_triples = row
        if links is not None:
            broader, related = links[0].get(iri, []), links[1].get(iri, [])
        else:
            c = self._conn()
            broader = [r[0] for r in c.execute("SELECT broader FROM broader WHERE narrower=?",
                                               (iri,))]
            related = [r[0] for r in c.execute(
                "SELECT b FROM related WHERE a=? UNION SELECT a FROM related WHERE b=?",
                (iri, iri))]
        return Concept(iri, label, json.loads(alt), json.loads(hidden), definition, scheme,
                       sorted(broader), sorted(set(related)), language or "",
                       json.loads(extra or "[]"), json.loads(scheme_triples or "[]"))


    @property
    def _CONCEPT_COLS(self) -> str:
        """The concept columns; a store of schema version 2 opened read-only has no
        language, extra or scheme_triples column yet (defaults are read in their place)."""
        cols = getattr(self, "_concept_cols", None)
        if cols is None:
            have = {r[1] for r in self._conn().execute("PRAGMA table_info(concepts)")}
            cols = "iri, label, alt_labels, hidden_labels, definition, scheme, " + ", ".join(
                name if name in have else f"{default} AS {name}" for name, default in
                (("language", "''"), ("extra", "'[]'"), ("scheme_triples", "'[]'")))
            self._concept_cols = cols
        return cols

    def list_concepts(self) -> list[tuple[Concept, int]]:
        rows = self._conn().execute(
            f"SELECT {self._CONCEPT_COLS}, (SELECT COUNT(*) FROM mentions m WHERE m.iri=c.iri)"
            " FROM concepts c ORDER BY label").fetchall()
        broader: dict[str, list[str]] = {}
        related: dict[str, list[str]] = {}
        for narrower, wider in self._conn().execute("SELECT narrower, broader FROM broader"):
            broader.setdefault(narrower, []).append(wider)
        for a, b in self._conn().execute("SELECT a, b FROM related"):
            related.setdefault(a, []).append(b)
            if a != b:
                related.setdefault(b, []).append(a)
        return [(self._concept(r[:9], (broader, related)), r[9]) for r in rows]

    def concept_names(self) -> list[tuple[str, str]]:
        return self._conn().execute("SELECT iri, label FROM concepts").fetchall()

    def mention_counts(self, iris) -> dict[str, int]:
        wanted = list(dict.fromkeys(iris))
        counts = dict.fromkeys(wanted, 0)
        for chunk in chunks(wanted):
            counts.update(self._conn().execute(
                f"SELECT iri, COUNT(*) FROM mentions WHERE iri IN ({marks(chunk)})"
                " GROUP BY iri", chunk))
        return counts

    def most_mentioned(self, limit: int) -> list[tuple[str, int]]:
        return self._conn().execute(
            "SELECT iri, COUNT(*) AS n FROM mentions GROUP BY iri ORDER BY n DESC, iri LIMIT ?",
            (limit,)).fetchall()

    def get_concept(self, iri: str) -> Optional[Concept]:
        row = self._conn().execute(
            f"SELECT {self._CONCEPT_COLS} FROM concepts WHERE iri=?", (iri,)).fetchone()
        return self._concept(row) if row else None

    def concept_labels(self, iris) -> dict[str, str]:
        wanted = list(dict.fromkeys(iris))
        out = dict(zip(wanted, wanted))
        for chunk in chunks(wanted):  # one query, not three per concept as get_concept
            out.update(self._conn().execute(
                f"SELECT iri, label FROM concepts WHERE iri IN ({marks(chunk)})", chunk))
        return out

    def narrower(self, iri: str) -> list[str]:
        return sorted(r[0] for r in self._conn().execute(
            "SELECT narrower FROM broader WHERE broader=?", (iri,)))

    def replace_mentions(self, passage_ids: list[str], mentions: list[Mention]) -> None:
        touched = list(dict.fromkeys([*passage_ids, *(m.passage_id for m in mentions)]))
        with self._write() as c:
            before = concept_sets(c, touched)
            for chunk in chunks(list(passage_ids)):
                c.execute(f"DELETE FROM mentions WHERE passage_id IN ({marks(chunk)})", chunk)
            insert_mentions(c, mentions)
            add_cooccurrence(c, delta(before, concept_sets(c, touched)))
            self._bump_version(c)

    _MENTION_COLS = "passage_id, iri, score, method, start_char, end_char, surface"

    def passage_mentions(self, passage_ids: list[str]) -> dict[str, list[Mention]]:
        out: dict[str, list[Mention]] = {pid: [] for pid in passage_ids}
        for chunk in chunks(list(passage_ids)):
            rows = self._conn().execute(
                f"SELECT {self._MENTION_COLS} FROM mentions WHERE passage_id IN ({marks(chunk)})"
                " ORDER BY score DESC", chunk)
            for r in rows:
                out[r[0]].append(Mention(*r))
        return out

    def concept_mentions(self, iri: str, limit: int = 50) -> list[Mention]:
        rows = self._conn().execute(
            f"SELECT {self._MENTION_COLS} FROM mentions WHERE iri=? ORDER BY score DESC,"
            " passage_id LIMIT ?", (iri, limit))
        return [Mention(*r) for r in rows]


    def iter_mentions(self) -> Iterator[Mention]:
        for r in self._conn().execute(
                f"SELECT {self._MENTION_COLS} FROM mentions ORDER BY passage_id, iri, start_char"):
            yield Mention(*r)
