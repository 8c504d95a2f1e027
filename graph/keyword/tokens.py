"""The tokens FTS5 sees in analysed text. The analyser (graph/analysis.py) already gives
lower-case words of letters and digits, so ASCII words pass unchanged; a non-ASCII word is
handed to SQLite's own unicode61 tokenizer once (diacritics folding and word breaks are its
own tables, which Python's unicodedata does not reproduce exactly) and the answer cached."""
from __future__ import annotations

import sqlite3
import threading

from citegraph.graph.sqlite.schema import FTS_TOKENIZE

_lock = threading.Lock()
_conn: sqlite3.Connection | None = None
_folded: dict[str, tuple[str, ...]] = {}


def _tokenizer() -> sqlite3.Connection:
    global _conn
    if _conn is None:
        _conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        _conn.executescript(
            f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize = '{FTS_TOKENIZE}');"
            "CREATE VIRTUAL TABLE word_tokens USING fts5vocab(words, instance);")
    return _conn


def word_tokens(word: str) -> tuple[str, ...]:
    """The FTS5 tokens of one analysed word: (word,) for ASCII, else SQLite's answer."""
    if word.isascii():
        return (word,)
    tokens = _folded.get(word)
    if tokens is None:
        with _lock:
            conn = _tokenizer()
            conn.execute("INSERT INTO words(rowid, word) VALUES (1, ?)", (word,))
            tokens = tuple(t for t, in conn.execute(
                "SELECT term FROM word_tokens ORDER BY offset"))
            conn.execute("DELETE FROM words")
        _folded[word] = tokens
    return tokens


def text_tokens(text: str) -> list[str]:
    """The FTS5 tokens of an analysed text (words joined by spaces)."""
    if text.isascii():
        return text.split()
    return [t for w in text.split() for t in word_tokens(w)]
