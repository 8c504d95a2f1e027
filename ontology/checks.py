"""SKOS integrity rules and qSKOS-style quality checks, as pure functions over plain data.

Input is a `SchemeFacts`: per concept its labels by kind as (text, language) pairs, its
broader and related concepts, and whether the scheme has a label. Every check returns
`Finding`s; errors refuse a scheme, warnings are reported and accepted.

Errors (SKOS reference, section numbers of its integrity conditions):
- S13: skos:prefLabel, skos:altLabel and skos:hiddenLabel are pairwise disjoint;
- S14: at most one skos:prefLabel per language;
- S27: skos:related is disjoint with skos:broaderTransitive;
- cycle: skos:broader has no cycle (a concept broader than itself).
Warnings (after qSKOS): orphan concepts, missing labels (a concept with no prefLabel in a
language the scheme uses), labels shared by two concepts in different languages, and an
unlabelled concept scheme.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

LABEL_KINDS = ("prefLabel", "altLabel", "hiddenLabel")
Label = tuple[str, str | None]  # (text, language tag or None)


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning"
    rule: str  # S13, S14, S27, cycle, orphan, missing-label, overlapping-labels, scheme-label
    subject: str  # the concept (or scheme) IRI
    message: str

    def line(self, where: Callable[[str], str] | None = None) -> str:
        place = where(self.subject) if where else self.subject
        return f"{place}: {self.level}: {self.rule}: {self.message}"


@dataclass
class ConceptFacts:
    labels: dict[str, list[Label]] = field(default_factory=dict)  # kind -> labels
    broader: set[str] = field(default_factory=set)
    related: set[str] = field(default_factory=set)
    top: bool = False  # skos:topConceptOf / hasTopConcept


@dataclass
class SchemeFacts:
    concepts: dict[str, ConceptFacts]
    schemes: dict[str, bool] = field(default_factory=dict)  # scheme IRI -> has a label


def _lang(tag: str | None) -> str:
    return f"@{tag}" if tag else " (no language)"


def label_disjointness(facts: SchemeFacts) -> list[Finding]:
    """S13: one concept never has the same literal as two kinds of label."""
    out = []
    for iri, c in sorted(facts.concepts.items()):
        seen: dict[Label, str] = {}
        for kind in LABEL_KINDS:
            for label in dict.fromkeys(c.labels.get(kind, [])):
                if label in seen and seen[label] != kind:
                    out.append(Finding("error", "S13", iri,
                                       f"concept {iri}: {label[0]!r}{_lang(label[1])} is both "
                                       f"skos:{seen[label]} and skos:{kind}"))
                seen.setdefault(label, kind)
    return out


def preflabel_uniqueness(facts: SchemeFacts) -> list[Finding]:
    """S14: at most one prefLabel per language."""
    out = []
    for iri, c in sorted(facts.concepts.items()):
        by_lang: dict[str | None, list[str]] = {}
        for text, lang in dict.fromkeys(c.labels.get("prefLabel", [])):
            by_lang.setdefault(lang, []).append(text)
        for lang, texts in sorted(by_lang.items(), key=lambda kv: kv[0] or ""):
            if len(texts) > 1:
                out.append(Finding("error", "S14", iri,
                                   f"concept {iri} has {len(texts)} skos:prefLabel values"
                                   f"{_lang(lang)}: {', '.join(sorted(texts))}"))
    return out


def ancestors(facts: SchemeFacts, iri: str) -> set[str]:
    """Every concept reachable from `iri` along skos:broader (skos:broaderTransitive)."""
    seen: set[str] = set()
    stack = list(facts.concepts[iri].broader) if iri in facts.concepts else []
    while stack:
        up = stack.pop()
        if up in seen:
            continue
        seen.add(up)
        if up in facts.concepts:
            stack.extend(facts.concepts[up].broader)
    return seen


def related_vs_broader(facts: SchemeFacts) -> list[Finding]:
    """S27: two concepts linked by skos:related are not also linked by broaderTransitive."""
    out, done = [], set()
    for iri, c in sorted(facts.concepts.items()):
        up = ancestors(facts, iri)
        for other in sorted(c.related):
            pair = tuple(sorted((iri, other)))
            if pair in done:
                continue
            if other in up or iri in (ancestors(facts, other) if other in facts.concepts
                                      else set()):
                done.add(pair)
                narrow, broad = (iri, other) if other in up else (other, iri)
                out.append(Finding("error", "S27", narrow,
                                   f"concept {narrow} is skos:related to {broad}, which is also "
                                   "broader (skos:broaderTransitive); remove the related link"))
    return out


def broader_cycles(facts: SchemeFacts) -> list[Finding]:
    """No concept is (transitively) broader than itself; one finding per cycle."""
    out, state = [], {}  # 1 on the current path, 2 done

    def visit(iri: str, path: list[str]) -> None:
        state[iri] = 1
        for up in sorted(facts.concepts[iri].broader):
            if up not in facts.concepts:
                continue
            if state.get(up) == 1:
                cycle = path[path.index(up):] + [iri] if up in path else [iri]
                out.append(Finding("error", "cycle", up,
                                   f"concept {up}: skos:broader cycle "
                                   + " -> ".join(dict.fromkeys(cycle)) + f" -> {up}"))
            elif state.get(up) is None:
                visit(up, path + [iri])
        state[iri] = 2

    for iri in sorted(facts.concepts):
        if iri not in state:
            visit(iri, [])
    return out


def orphans(facts: SchemeFacts) -> list[Finding]:
    """Concepts with no broader, narrower or related concept and not a top concept."""
    linked = set()
    for iri, c in facts.concepts.items():
        if c.broader or c.related:
            linked |= {iri, *c.broader, *c.related}
    return [Finding("warning", "orphan", iri,
                    f"concept {iri} has no broader, narrower or related concept")
            for iri, c in sorted(facts.concepts.items()) if iri not in linked and not c.top]


def missing_labels(facts: SchemeFacts) -> list[Finding]:
    """Concepts with no prefLabel in a language that other concepts' prefLabels use."""
    languages = {lang for c in facts.concepts.values()
                 for _t, lang in c.labels.get("prefLabel", []) if lang}
    out = []
    for iri, c in sorted(facts.concepts.items()):
        have = {lang for _t, lang in c.labels.get("prefLabel", [])}
        if not have:
            out.append(Finding("warning", "missing-label", iri,
                               f"concept {iri} has no skos:prefLabel"))
        elif languages and None not in have and languages - have:
            out.append(Finding("warning", "missing-label", iri,
                               f"concept {iri} has no skos:prefLabel in "
                               + ", ".join(f"@{x}" for x in sorted(languages - have))))
    return out


def overlapping_labels(facts: SchemeFacts, key: Callable[[str], Iterable[str]]) -> list[Finding]:
    """Two concepts sharing a label (after `key` normalisation) in different languages. The
    same label in one language is an error of the loader (the linker could not tell them
    apart); across languages it is reported only."""
    owners: dict[str, dict[str, set]] = {}
    for iri, c in facts.concepts.items():
        for kind in LABEL_KINDS:
            for text, lang in c.labels.get(kind, []):
                for k in key(text):
                    owners.setdefault(k, {}).setdefault(iri, set()).add(lang)
    out = []
    for k, by_iri in sorted(owners.items()):
        if len(by_iri) > 1:
            iris = sorted(by_iri)
            out.append(Finding("warning", "overlapping-labels", iris[0],
                               f"label {k!r} belongs to concepts " + ", ".join(iris)))
    return out


def unlabelled_schemes(facts: SchemeFacts) -> list[Finding]:
    return [Finding("warning", "scheme-label", iri,
                    f"concept scheme {iri} has no skos:prefLabel or rdfs:label")
            for iri, labelled in sorted(facts.schemes.items()) if not labelled]


ERROR_CHECKS = (label_disjointness, preflabel_uniqueness, broader_cycles, related_vs_broader)


def check(facts: SchemeFacts, key: Callable[[str], Iterable[str]] | None = None) -> list[Finding]:
    """Every finding, errors first."""
    out = [f for fn in ERROR_CHECKS for f in fn(facts)]
    out += orphans(facts) + missing_labels(facts) + unlabelled_schemes(facts)
    if key is not None:
        out += overlapping_labels(facts, key)
    return out
