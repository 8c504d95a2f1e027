"""Input limits, in one place for the readers and the web layer, and the bounded-work check
of JSON nesting that both run before a JSON text reaches the parser.

Every check here is linear in its input: a request or a `.jsonl` line is looked at once,
left to right, with no pattern that can backtrack or rescan."""
from __future__ import annotations

import numpy as np

MAX_FILE_BYTES = 20 * 1024 * 1024  # larger files are refused, not truncated
MAX_ARTICLE_CHARS = 2_000_000
MAX_TITLE_CHARS = 1000  # longer titles are cut by the readers, refused by the API
MAX_ID_CHARS = 300  # ids travel in URLs and passage ids
MAX_JSON_DEPTH = 100  # JSON nested deeper is refused before it is parsed

_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_STEP = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1


def json_depth(text: str | bytes) -> int:
    """The deepest nesting of `[`/`{` outside strings in a JSON text (an upper bound of it
    when the text holds at most MAX_JSON_DEPTH brackets), found without parsing (the parser
    recurses). One linear pass in array operations, no pattern matching: a quote opens or
    closes a string unless an odd run of backslashes comes before it; brackets outside
    strings step the depth up or down. (Up to the first character the parser would refuse,
    this reads the text as the parser does; the parser stops there, so what comes after does
    not matter.) A string-stripping pattern tried again from every later quote of an
    unclosed string took 23 s for 80 KB."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    brackets_open = data.count(b"[") + data.count(b"{")
    if brackets_open <= MAX_JSON_DEPTH:
        return brackets_open  # cannot be deeper than that
    codes = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(codes == _QUOTE)
    # a quote after a run of backslashes is escaped when the run is odd; a run's length is
    # the distance to its first backslash (the last run start before the quote)
    backslash = codes == _BACKSLASH
    run_starts = np.flatnonzero(backslash & ~np.concatenate(([False], backslash[:-1])))
    follows = np.zeros(len(quotes), dtype=bool)
    follows[quotes > 0] = backslash[quotes[quotes > 0] - 1]
    if follows.any():
        after = quotes[follows]
        starts = run_starts[np.searchsorted(run_starts, after - 1, side="right") - 1]
        escaped = np.zeros(len(quotes), dtype=bool)
        escaped[follows] = (after - starts) % 2 == 1
        quotes = quotes[~escaped]
    # a bracket with an odd number of real quotes before it is inside a string
    where = np.flatnonzero(_STEP[codes])
    outside = where[np.searchsorted(quotes, where) % 2 == 0]
    if not len(outside):
        return 0
    return int(max(np.cumsum(_STEP[codes[outside]], dtype=np.int64).max(), 0))


def too_deep(text: str) -> bool:
    """Whether a JSON text nests deeper than MAX_JSON_DEPTH."""
    return json_depth(text) > MAX_JSON_DEPTH
