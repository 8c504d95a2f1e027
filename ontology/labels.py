"""Label normalisation and the Aho-Corasick label matcher, shared by the scheme validator
(label clashes), the ingest linker (concept mentions) and the query-side concept signal.

Normalisation works on word tokens: lower case, possessive 's dropped, UK spellings mapped
to US ones, plurals and -ed inflections removed, and hyphens treated as spaces (a
hyphenated label is also matched written solid: "multi-channel" and "multichannel").
Snowball stemming is deliberately not used: it folds "accountable" and "account" together.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

import ahocorasick

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# UK → US spellings that no suffix rule catches.
_UK_US = {
    "behaviour": "behavior", "colour": "color", "favour": "favor", "flavour": "flavor",
    "honour": "honor", "labour": "labor", "neighbour": "neighbor", "humour": "humor",
    "endeavour": "endeavor", "rumour": "rumor", "programme": "program",
    "catalogue": "catalog", "licence": "license", "defence": "defense",
    "judgement": "judgment", "enrol": "enroll", "analogue": "analog", "dialogue": "dialog",
}
_UK_RULES = [
    (re.compile(r"isation(s?)$"), r"ization\1"),
    (re.compile(r"(?<=\w{3})is(e|es|ed|ing|er|ers)$"), r"iz\1"),
    (re.compile(r"ys(e|es|ed|ing)$"), r"yz\1"),
    (re.compile(r"(?<=[^aeiou])tre(s?)$"), r"ter\1"),  # centre, theatre, metre
    (re.compile(r"ised$"), "ized"),
]
_KEEP_S = ("ss", "us", "is", "ous", "sis")


def _us_spelling(word: str) -> str:
    if word.endswith("s") and word[:-1] in _UK_US:  # plurals too: "programmes"
        return _UK_US[word[:-1]] + "s"
    word = _UK_US.get(word, word)
    for pattern, repl in _UK_RULES:
        word = pattern.sub(repl, word)
    return word


def _inflection_base(word: str) -> str:
    """A conservative lemma: plural and -ed removed, trailing e dropped, so that
    engage / engages / engaged meet on one key. -ing is kept: too many -ing words are nouns
    of their own ("marketing" is not "market", "branding" is not "brand")."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(_KEEP_S):
        word = word[:-1]
    if word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # planned → plann → plan
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


@lru_cache(maxsize=200_000)  # words repeat: caching makes linking ~5x faster
def normalise_word(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("'", "")
    return _inflection_base(_us_spelling(word))


@dataclass(frozen=True)
class Token:
    key: str  # normalised form
    start: int  # offsets of the surface word in the original text
    end: int


def tokens(text: str) -> list[Token]:
    """Word tokens of `text`; hyphens, dashes and punctuation separate words."""
    out = []
    for m in _TOKEN.finditer(text):
        key = normalise_word(m.group())
        if key:
            out.append(Token(key, m.start(), m.end()))
    return out


def normalise(text: str) -> str:
    """The normalised key of a label or phrase: tokens joined by single spaces."""
    return " ".join(t.key for t in tokens(text))


def label_keys(label: str) -> list[str]:
    """Every key a label is matched under: as written and, when hyphenated, written solid."""
    keys = [normalise(label)]
    if "-" in label:
        keys.append(normalise(re.sub(r"(?<=\w)-(?=\w)", "", label)))
    return [k for k in dict.fromkeys(keys) if k]


def is_case_sensitive(label: str) -> bool:
    """Abbreviations ("IT", "CX", "VoC", "R&D") only match when written as they are, so that
    "it" is not information technology."""
    letters = [c for c in label if c.isalpha()]
    return (len(label) <= 5 and sum(c.isupper() for c in letters) >= 2) or \
        (len(letters) <= 4 and label.isupper())


@dataclass(frozen=True)
class LabelEntry:
    iri: str
    label: str
    kind: str  # label | alt_label | hidden_label
    case_sensitive: bool


@dataclass(frozen=True)
class LabelMatch:
    iri: str
    label: str
    kind: str
    start: int  # surface span in the original text
    end: int


SKOS_NS = "http://www.w3.org/2004/02/skos/core#"
_EXTRA_KINDS = {SKOS_NS + "prefLabel": "label", SKOS_NS + "altLabel": "alt_label",
                SKOS_NS + "hiddenLabel": "hidden_label"}


def concept_labels_by_kind(c) -> list[tuple[str, str, str | None]]:
    """(kind, label, language) of every pref/alt/hidden label of a Concept, in every
    language: the main ones and those kept among its extra triples."""
    lang = getattr(c, "language", "") or None
    out = [("label", c.label, lang)]
    out += [("alt_label", a, lang) for a in c.alt_labels]
    out += [("hidden_label", h, lang) for h in c.hidden_labels]
    for predicate, value, tag in getattr(c, "extra", []) or []:
        kind = _EXTRA_KINDS.get(predicate)
        if kind and tag != "<>" and not tag.startswith("^^"):
            out.append((kind, value, tag[1:] or None))
    return out


def concept_labels(c) -> list[tuple[str, str | None]]:
    return [(label, lang) for _kind, label, lang in concept_labels_by_kind(c)]


def entries_for(concepts) -> list[LabelEntry]:
    """Label entries of `graph.models.Concept` records: pref, alt and hidden labels of every
    language (multilingual matching)."""
    out = []
    for c in concepts:
        seen = set()
        for kind, lab, _lang in concept_labels_by_kind(c):
            if (kind, lab) not in seen:
                seen.add((kind, lab))
                out.append(LabelEntry(c.iri, lab, kind, is_case_sensitive(lab)))
    return out


class LabelMatcher:
    """Finds concept labels in text: leftmost-longest, non-overlapping, whole words only."""

    def __init__(self, entries: Iterable[LabelEntry]):
        self._automaton = ahocorasick.Automaton()
        table: dict[str, list[LabelEntry]] = {}
        for entry in entries:
            for key in label_keys(entry.label):
                table.setdefault(key, []).append(entry)
        for key, found in table.items():
            # pad with spaces so that matches fall on word boundaries of the token string
            self._automaton.add_word(f" {key} ", (key, tuple(found)))
        self.size = len(table)
        if table:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[LabelMatch]:
        if not self.size:
            return []
        toks = tokens(text)
        if not toks:
            return []
        # the token string " k1 k2 ... " and, for each char, the token it belongs to
        joined = " " + " ".join(t.key for t in toks) + " "
        starts, pos = [], 1
        for t in toks:
            starts.append(pos)
            pos += len(t.key) + 1
        token_at = {s: i for i, s in enumerate(starts)}
        candidates = []
        for end, (key, found) in self._automaton.iter(joined):
            first = token_at.get(end - len(key))  # `end` is the index of the closing space
            if first is None:
                continue
            last = first + key.count(" ")
            candidates.append((first, last, found))
        return list(self._resolve(text, toks, candidates))

    @staticmethod
    def _resolve(text, toks, candidates) -> Iterator[LabelMatch]:
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        taken_until = -1
        for first, last, found in candidates:
            if first <= taken_until:
                continue
            start, end = toks[first].start, toks[last].end
            surface = text[start:end]
            entry = _pick(found, surface)
            if entry is None:
                continue
            taken_until = last
            yield LabelMatch(entry.iri, entry.label, entry.kind, start, end)


_KIND_ORDER = {"label": 0, "alt_label": 1, "hidden_label": 2}


def _pick(found: tuple[LabelEntry, ...], surface: str):
    """The entry a surface form stands for: case-sensitive labels need the exact case (a
    plural or possessive ending allowed)."""
    bare = re.sub(r"(['’]?s)$", "", surface)
    ok = [e for e in found if not e.case_sensitive or surface == e.label or bare == e.label]
    return min(ok, key=lambda e: _KIND_ORDER[e.kind]) if ok else None
