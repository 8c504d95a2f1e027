"""The keyword analyser shared by indexing and querying: lower-case words, English stop
words out, Snowball stems. Both sides must agree, so there is exactly one."""
from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours yourself yourselves s t don
""".split())


@lru_cache(maxsize=1)
def _stemmer():
    return Stemmer.Stemmer("english")


def analyse(text: str) -> list[str]:
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    words = [w.split("'")[0] for w in words]  # possessives and contractions: keep the stem word
    return _stemmer().stemWords([w for w in words if w and w not in STOP_WORDS])


def analysed_text(text: str) -> str:
    return " ".join(analyse(text))


# A query may be a whole paragraph (query by example); BM25 scores its first this many
# distinct terms, so that a long query costs a bounded number of posting lists.
MAX_QUERY_TERMS = 256


def query_terms(query: str) -> list[str]:
    """The analysed query terms BM25 scores: de-duplicated, order kept, the first
    MAX_QUERY_TERMS."""
    return list(dict.fromkeys(analyse(query)))[:MAX_QUERY_TERMS]


def match_expression(query: str) -> str:
    """An FTS5 MATCH expression OR-ing the analysed query terms, each quoted so that no
    user input is read as FTS syntax."""
    terms = query_terms(query)
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
