"""The embedded store's SQLite schema (created idempotently on open).

Version 2 keeps co-occurrence as counts maintained by every write (graph/cooccurrence.py):
`cooccur_pairs` (a < b, passages mentioning both), `cooccur_concepts` (passages mentioning
the concept) and meta 'cooccur_passages' (passages with any mention); `cooccurs` is a view
with the version-1 table's columns. Version 1 stores are migrated on their first writable
open (MIGRATIONS)."""

SCHEMA_VERSION = "6"
FTS_TOKENIZE = "unicode61 remove_diacritics 2"  # the in-memory keyword index must agree
COOCCUR_PASSAGES = "cooccur_passages"  # meta key: passages with any mention

COOCCURRENCE_DDL = [
    "CREATE TABLE IF NOT EXISTS cooccur_pairs (a TEXT NOT NULL, b TEXT NOT NULL,"
    " n INTEGER NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS cooccur_pairs_by_b ON cooccur_pairs(b, a)",
    "CREATE TABLE IF NOT EXISTS cooccur_concepts (iri TEXT PRIMARY KEY,"
    " n INTEGER NOT NULL) WITHOUT ROWID",
    f"INSERT OR IGNORE INTO meta(key, value) VALUES ('{COOCCUR_PASSAGES}', '0')",
    # the version-1 table's columns, for readers of the file: weight = shared passages
    "CREATE VIEW IF NOT EXISTS cooccurs(a, b, weight, passages) AS"
    " SELECT a, b, CAST(n AS REAL), (SELECT json_group_array(passage_id) FROM"
    " (SELECT DISTINCT m1.passage_id FROM mentions m1 JOIN mentions m2"
    " ON m2.passage_id = m1.passage_id WHERE m1.iri = cp.a AND m2.iri = cp.b"
    " ORDER BY m1.passage_id)) FROM cooccur_pairs cp",
]

# Version 3: concepts keep their language, their other triples and their scheme's triples
# (JSON lists of [predicate, value, tag]), so that RDF export loses nothing.
CONCEPT_EXTRA_DDL = [
    "ALTER TABLE concepts ADD COLUMN language TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE concepts ADD COLUMN extra TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE concepts ADD COLUMN scheme_triples TEXT NOT NULL DEFAULT '[]'",
]

# Version 4: articles carry their author and publication date (ISO 8601) where the source
# names them; the article listing sorts by that date.
ARTICLE_METADATA_DDL = [
    "ALTER TABLE articles ADD COLUMN author TEXT",
    "ALTER TABLE articles ADD COLUMN published TEXT",
    "CREATE INDEX IF NOT EXISTS articles_by_published ON articles(published)",
]

# Version 5: passages say which part of the article they lie in ("body", or "comment": a
# reader's comment) and carry its author and date (ISO 8601): a comment's own where its byline
# names them, else the article's. Passages stored before are the body, by the article's author.
PASSAGE_SECTION_DDL = [
    "ALTER TABLE passages ADD COLUMN section TEXT NOT NULL DEFAULT 'body'",
    "ALTER TABLE passages ADD COLUMN author TEXT",
    "ALTER TABLE passages ADD COLUMN date TEXT",
    "UPDATE passages SET author = (SELECT a.author FROM articles a"
    " WHERE a.id = passages.article_id), date = (SELECT a.published FROM articles a"
    " WHERE a.id = passages.article_id)",
]

# Version 6: passages of a paged source (PDF) carry the page they lie on; NULL elsewhere.
PASSAGE_PAGE_DDL = ["ALTER TABLE passages ADD COLUMN page INTEGER"]

# version -> statements bringing a store of that version to the next; run in one write
# transaction on open, followed by a recount of co-occurrence
MIGRATIONS = {
    "1": ["DROP INDEX IF EXISTS cooccurs_by_b", "DROP TABLE IF EXISTS cooccurs",
          *COOCCURRENCE_DDL],
    "2": CONCEPT_EXTRA_DDL,
    "3": ARTICLE_METADATA_DDL,
    "4": PASSAGE_SECTION_DDL,
    "5": PASSAGE_PAGE_DDL,
}

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT, url TEXT,
    content_hash TEXT NOT NULL, ingested_at TEXT NOT NULL, text TEXT NOT NULL,
    author TEXT, published TEXT);
CREATE INDEX IF NOT EXISTS articles_by_published ON articles(published);
CREATE TABLE IF NOT EXISTS passages (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, text TEXT NOT NULL,
    start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
    embedding BLOB NOT NULL,
    sentence_spans TEXT NOT NULL DEFAULT '[]', sentence_vectors BLOB,
    section TEXT NOT NULL DEFAULT 'body', author TEXT, date TEXT, page INTEGER);
CREATE INDEX IF NOT EXISTS passages_by_article ON passages(article_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS passage_fts USING fts5(
    title, body, tokenize = '{FTS_TOKENIZE}');
CREATE TABLE IF NOT EXISTS concepts (
    iri TEXT PRIMARY KEY, label TEXT NOT NULL, alt_labels TEXT NOT NULL,
    hidden_labels TEXT NOT NULL, definition TEXT NOT NULL, scheme TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT '', extra TEXT NOT NULL DEFAULT '[]',
    scheme_triples TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS broader (
    narrower TEXT NOT NULL REFERENCES concepts(iri) ON DELETE CASCADE,
    broader TEXT NOT NULL REFERENCES concepts(iri) ON DELETE CASCADE,
    PRIMARY KEY (narrower, broader));
CREATE INDEX IF NOT EXISTS broader_by_broader ON broader(broader);
CREATE TABLE IF NOT EXISTS related (
    a TEXT NOT NULL REFERENCES concepts(iri) ON DELETE CASCADE,
    b TEXT NOT NULL REFERENCES concepts(iri) ON DELETE CASCADE,
    PRIMARY KEY (a, b));
CREATE TABLE IF NOT EXISTS mentions (
    passage_id TEXT NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
    iri TEXT NOT NULL REFERENCES concepts(iri) ON DELETE CASCADE,
    score REAL NOT NULL, method TEXT NOT NULL,
    start_char INTEGER, end_char INTEGER, surface TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS mentions_by_passage ON mentions(passage_id);
CREATE INDEX IF NOT EXISTS mentions_by_concept ON mentions(iri, score);
""" + ";\n".join(COOCCURRENCE_DDL) + ";\n"

