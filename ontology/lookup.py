"""Finding a stored concept by IRI, short id or any of its labels (CLI, API and pages
alike). The labels are indexed once per scheme revision (graph/scheme_cache.py): a lookup is
a few dictionary reads and one concept fetch, whatever the size of the scheme."""
from __future__ import annotations

from typing import Optional

from citegraph.graph.base import GraphStore
from citegraph.graph.models import Concept
from citegraph.graph.neighbourhood import concept_by_short_id
from citegraph.graph.scheme_cache import per_scheme
from citegraph.ontology.labels import label_keys, normalise


class LabelIndex:
    """Every pref/alt/hidden label of a scheme: `exact` by its case-folded text, `keys` by
    its normalised keys (labels.label_keys); on a clash the concept listed first (by
    prefLabel) keeps the label."""

    def __init__(self, concepts: list[Concept]):
        self.exact: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        for c in concepts:
            for label in (c.label, *c.alt_labels, *c.hidden_labels):
                self.exact.setdefault(label.casefold(), c.iri)
                for key in label_keys(label):
                    self.keys.setdefault(key, c.iri)

    def find(self, text: str) -> Optional[str]:
        return self.exact.get(text.casefold()) or self.keys.get(normalise(text))


def label_index(store: GraphStore) -> LabelIndex:
    return per_scheme(store, "label_index",
                      lambda: LabelIndex([c for c, _count in store.list_concepts()]))


def resolve(store: GraphStore, label_or_iri: str) -> Optional[Concept]:
    """The concept whose IRI is `label_or_iri`, else the one with that short id
    ("ContactCenter", graph/neighbourhood.py short_ids), else the one with that
    pref/alt/hidden label, compared case-insensitively after normalisation ("Call Centres"
    finds contact center)."""
    text = label_or_iri.strip()
    if not text:
        return None
    concept = store.get_concept(text)
    if concept is not None:
        return concept
    iri = concept_by_short_id(store, text) or label_index(store).find(text)
    return store.get_concept(iri) if iri is not None else None
