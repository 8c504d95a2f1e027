"""Bringing a store to a scheme: concepts replaced when the scheme changed, and every stored
passage relinked from its stored embedding (nothing is re-embedded)."""
from __future__ import annotations

from citegraph.graph.base import GraphStore
from citegraph.ontology.scheme import Scheme, concepts_fingerprint

RELINK_BATCH = 512  # passages linked and written per transaction


def scheme_changed(store: GraphStore, scheme: Scheme) -> bool:
    stored = [c for c, _count in store.list_concepts()]
    return concepts_fingerprint(stored) != scheme.fingerprint()


def apply_scheme(store: GraphStore, scheme: Scheme, linker) -> bool:
    """Store `scheme` and relink if the store holds another one; True when it changed."""
    if not scheme_changed(store, scheme):
        return False
    store.replace_concepts(scheme.concepts)
    relink(store, linker)
    return True


def relink(store: GraphStore, linker) -> int:
    """Replace the mentions of every stored passage by the linker's; returns their number.
    Passages are read first, then written, so no read cursor stays open across writes."""
    passages = list(store.iter_passages(with_embeddings=True))
    total = 0
    for i in range(0, len(passages), RELINK_BATCH):
        batch = passages[i:i + RELINK_BATCH]
        mentions = linker.link(batch)
        store.replace_mentions([p.id for p in batch], mentions)
        total += len(mentions)
    return total
