"""A concept's labels in a reader's language: the languages asked for, in order (a `fr-CA`
request also takes `fr`), then English, then labels with no language tag, then the main
label as stored. Labels in other languages live in the concept's extra triples
(graph/models.py Concept.extra)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

from citegraph.ontology.labels import SKOS_NS, concept_labels_by_kind

FALLBACK = ("en", "")  # English, then untagged
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
_DEFINITION = SKOS_NS + "definition"


def language_order(asked: Iterable[str]) -> list[str]:
    """Lower-case tags in order of preference, each followed by its primary subtag, then
    the fallback; malformed tags and `*` are skipped."""
    out: list[str] = []
    for tag in asked:
        tag = (tag or "").strip().lower()
        if not _TAG.match(tag):
            continue
        for t in (tag, tag.split("-")[0]):
            if t not in out:
                out.append(t)
    for t in FALLBACK:
        if t not in out:
            out.append(t)
    return out


@dataclass
class Labels:
    label: str
    language: str  # "" untagged
    alt_labels: list[str]
    definition: str
    definition_language: str


def _rank(lang: Optional[str], order: list[str]) -> Optional[float]:
    lang = (lang or "").lower()
    if lang in order:
        return order.index(lang)
    primary = lang.split("-")[0]
    return order.index(primary) + 0.5 if primary in order else None


def labels_in(concept, order: list[str]) -> Labels:
    """The concept's preferred label, alternative labels and definition in the first
    language of `order` that has a preferred label."""
    main_lang = (getattr(concept, "language", "") or "")
    prefs = [(label, lang or "") for kind, label, lang in concept_labels_by_kind(concept)
             if kind == "label"]
    ranked = [(r, label, lang) for label, lang in prefs
              if (r := _rank(lang, order)) is not None]
    main = Labels(concept.label, main_lang, list(concept.alt_labels), concept.definition,
                  main_lang)
    if not ranked:
        return main
    _r, label, lang = min(ranked, key=lambda x: (x[0], x[1]))
    if lang.lower() == main_lang.lower():
        return main
    alts = [a for kind, a, alang in concept_labels_by_kind(concept)
            if kind == "alt_label" and (alang or "").lower() == lang.lower()]
    definitions = [value for predicate, value, tag in (getattr(concept, "extra", None) or [])
                   if predicate == _DEFINITION and tag[1:].lower() == lang.lower()
                   and tag.startswith("@")]
    if definitions:
        return Labels(label, lang, alts, definitions[0], lang)
    return Labels(label, lang, alts, concept.definition, main_lang)  # the stored one, marked
