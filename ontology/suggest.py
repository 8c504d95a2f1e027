"""Concept suggestions: key phrases that are frequent in the stored corpus but are no label of
any concept, with their counts and example passages, for a taxonomist to review. Nothing is
added to the scheme.

Candidates come from YAKE (unsupervised key-phrase extraction) run per article; every
candidate is then counted over all passages with the same normalised Aho-Corasick matcher the
linker uses, so counts and examples agree with what linking would find."""
from __future__ import annotations

from dataclasses import dataclass, field

from citegraph.graph.base import GraphStore
from citegraph.ontology.labels import LabelEntry, LabelMatcher, entries_for, label_keys, normalise

PHRASES_PER_ARTICLE = 20
MAX_WORDS = 3
EXAMPLES = 2
SNIPPET = 60  # characters of context either side of the phrase in an example


@dataclass
class Suggestion:
    phrase: str
    count: int  # passages that contain it
    examples: list[tuple[str, str]] = field(default_factory=list)  # (passage id, snippet)

    def as_dict(self) -> dict:
        return {"phrase": self.phrase, "count": self.count,
                "examples": [{"passage_id": p, "text": t} for p, t in self.examples]}


def _extractor():
    import yake

    return yake.KeywordExtractor(lan="en", n=MAX_WORDS, top=PHRASES_PER_ARTICLE, dedupLim=0.7)


def candidates(store: GraphStore) -> dict[str, str]:
    """Normalised key → the phrase as first written, over every article."""
    extractor = _extractor()
    out: dict[str, str] = {}
    for article in store.iter_articles():
        for phrase, _score in extractor.extract_keywords(article.text):
            key = normalise(phrase)
            if key and not key.isdigit() and len(key) > 2:
                out.setdefault(key, phrase)
    return out


def _inside_label(key: str, known: set[str]) -> bool:
    """True when the phrase is a label or a word-aligned piece of one ("chief customer")."""
    padded = f" {key} "
    return any(padded in f" {label} " for label in known)


def suggest(store: GraphStore, limit: int = 30, min_count: int = 2) -> list[Suggestion]:
    known = {k for e in entries_for(store.iter_concepts()) for k in label_keys(e.label)}
    # single words are rarely concepts of their own and are mostly pieces of labels
    found = {k: p for k, p in candidates(store).items()
             if " " in k and not _inside_label(k, known)}
    if not found:
        return []
    matcher = LabelMatcher(LabelEntry(key, phrase, "label", False) for key, phrase in found.items())
    counts: dict[str, Suggestion] = {}
    for passage in store.iter_passages():
        for key in {m.iri for m in matcher.find(passage.text)}:
            s = counts.setdefault(key, Suggestion(found[key], 0))
            s.count += 1
        for m in matcher.find(passage.text):
            s = counts[m.iri]
            if len(s.examples) < EXAMPLES and all(pid != passage.id for pid, _ in s.examples):
                a, b = max(0, m.start - SNIPPET), min(len(passage.text), m.end + SNIPPET)
                s.examples.append((passage.id, " ".join(passage.text[a:b].split())))
    ranked = sorted((s for s in counts.values() if s.count >= min_count),
                    key=lambda s: (-s.count, s.phrase.lower()))
    return ranked[:limit]
