"""Finding a stored concept by IRI or by any of its labels (CLI, API and pages alike)."""
from __future__ import annotations

from typing import Optional

from citegraph.graph.base import GraphStore
from citegraph.graph.neighbourhood import concept_ids
from citegraph.graph.models import Concept
from citegraph.ontology.labels import label_keys, normalise


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
    by_id = {short: iri for iri, short in concept_ids(store).items()}
    if text in by_id:
        return store.get_concept(by_id[text])
    key = normalise(text)
    exact = text.casefold()
    fallback = None
    for c, _count in store.list_concepts():
        labels = [c.label, *c.alt_labels, *c.hidden_labels]
        if any(lab.casefold() == exact for lab in labels):
            return c
        if fallback is None and any(key in label_keys(lab) for lab in labels):
            fallback = c
    return fallback
