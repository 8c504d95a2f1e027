"""The embedded store's SQLite schema (created idempotently on open)."""

SCHEMA_VERSION = "1"
FTS_TOKENIZE = "unicode61 remove_diacritics 2"  # the in-memory keyword index must agree

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT, url TEXT,
    content_hash TEXT NOT NULL, ingested_at TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passages (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, text TEXT NOT NULL,
    start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
    embedding BLOB NOT NULL,
    sentence_spans TEXT NOT NULL DEFAULT '[]', sentence_vectors BLOB);
CREATE INDEX IF NOT EXISTS passages_by_article ON passages(article_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS passage_fts USING fts5(
    title, body, tokenize = '{FTS_TOKENIZE}');
CREATE TABLE IF NOT EXISTS concepts (
    iri TEXT PRIMARY KEY, label TEXT NOT NULL, alt_labels TEXT NOT NULL,
    hidden_labels TEXT NOT NULL, definition TEXT NOT NULL, scheme TEXT NOT NULL);
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
CREATE TABLE IF NOT EXISTS cooccurs (
    a TEXT NOT NULL, b TEXT NOT NULL, weight REAL NOT NULL, passages TEXT NOT NULL,
    PRIMARY KEY (a, b));
CREATE INDEX IF NOT EXISTS cooccurs_by_b ON cooccurs(b);
"""
