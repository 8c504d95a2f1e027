"""The store owns its scheme: the concepts it holds ARE the scheme every ingest, relink,
server and export uses. A scheme file reaches a store only by an explicit load (`citegraph
scheme load`, or `ingest --ontology` on a store that holds none yet); a load says what it
adds, removes and changes, refuses to drop concepts that passages mention unless forced, and
relinks every stored passage from its stored embedding (nothing is re-embedded).

A store made before the store owned its scheme holds the concepts its last ingest wrote (the
shipped scheme, unless a user's was given): those stay its scheme."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Protocol

from citegraph.errors import CitegraphError
from citegraph.graph.base import GraphStore
from citegraph.graph.models import Concept, Mention, Passage
from citegraph.ontology.scheme import (SHIPPED, Scheme, canonical_concept,
                                       concepts_fingerprint)

RELINK_BATCH = 512  # passages linked and written per transaction
SCHEME_SOURCE = "scheme_source"  # store setting: the file the stored scheme was loaded from
SHIPPED_SOURCE = "shipped"  # its value for the scheme that comes with Citegraph
SHOWN_REMOVED = 5  # concepts named in a refusal; the rest are counted


class Linker(Protocol):
    def link(self, passages: list[Passage]) -> list[Mention]: ...


class SchemeRefused(CitegraphError):
    """A scheme load that would lose something (mentioned concepts) or replace a scheme
    implicitly: one line saying what and how to go ahead."""


@dataclass
class SchemeChange:
    """What a load does to the stored scheme, by concept IRI."""
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    # removed concepts that stored passages mention → their number of mentions
    removed_mentioned: dict[str, int] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.removed)} removed, "
                f"{len(self.changed)} changed")


def scheme_change(store: GraphStore, new: list[Concept]) -> SchemeChange:
    stored = {c.iri: c for c, _n in store.list_concepts()}
    wanted = {c.iri: c for c in new}
    change = SchemeChange(
        added=sorted(wanted.keys() - stored.keys()),
        removed=sorted(stored.keys() - wanted.keys()),
        changed=sorted(iri for iri in wanted.keys() & stored.keys()
                       if canonical_concept(wanted[iri]) != canonical_concept(stored[iri])))
    if change.removed:
        counts = store.mention_counts(change.removed)
        change.removed_mentioned = {iri: n for iri, n in counts.items() if n}
    return change


def scheme_source(path: str) -> str:
    """How the store names where its scheme came from: "shipped", else the file's absolute
    path (a relative one means nothing to a later command run elsewhere)."""
    if not path:
        return ""
    try:
        resolved = Path(path).resolve()
    except (OSError, ValueError):
        return path
    return SHIPPED_SOURCE if resolved == SHIPPED.resolve() else str(resolved)


def holds_scheme(store: GraphStore) -> bool:
    """Whether the store holds a scheme (any concept): a new or scheme-less one does not."""
    return store.stats()["concepts"] > 0


def stored_scheme(store: GraphStore) -> Optional[Scheme]:
    """The store's scheme as a `Scheme`, None when it holds no concept."""
    concepts = [c for c, _n in store.list_concepts()]
    if not concepts:
        return None
    schemes = sorted({c.scheme for c in concepts if c.scheme})
    source = store.meta_value(SCHEME_SOURCE) or ""
    return Scheme(schemes[0] if schemes else source, concepts, source)


def scheme_changed(store: GraphStore, scheme: Scheme) -> bool:
    stored = [c for c, _count in store.list_concepts()]
    return concepts_fingerprint(stored) != scheme.fingerprint()


def load_scheme_into(store: GraphStore, scheme: Scheme, linker: Callable[[], Linker],
                     force: bool = False, wait: Optional[float] = None) -> SchemeChange:
    """Make `scheme` the store's scheme and relink its passages with `linker()` (called after
    the concepts are stored, so a linker following the store sees the new ones). Refused
    (SchemeRefused, nothing written) when it removes concepts that passages mention, unless
    `force`. An identical scheme writes nothing. It holds the store's ingest lock (`wait`:
    as GraphStore.ingest_lock), so that no bulk ingest links with the scheme it replaces."""
    with store.ingest_lock(wait):
        change = scheme_change(store, scheme.concepts)
        if change.removed_mentioned and not force:
            raise SchemeRefused(_refusal(scheme, change.removed_mentioned))
        if change.any:
            store.replace_concepts(scheme.concepts)
            relink(store, linker())
        source = scheme_source(scheme.source)
        if store.meta_value(SCHEME_SOURCE) != source:
            store.put_meta_value(SCHEME_SOURCE, source, replace=True)
    return change


def _refusal(scheme: Scheme, mentioned: dict[str, int]) -> str:
    named = sorted(mentioned, key=lambda iri: (-mentioned[iri], iri))
    shown = ", ".join(f"{iri} ({mentioned[iri]} mention{'s' if mentioned[iri] != 1 else ''})"
                      for iri in named[:SHOWN_REMOVED])
    more = len(named) - SHOWN_REMOVED
    return (f"{scheme.source or 'the scheme'}: would remove {len(named)} concepts that stored "
            f"passages mention: {shown}{f' and {more} more' if more > 0 else ''}; "
            f"`citegraph scheme load {scheme.source or 'FILE'} --force` replaces the scheme "
            "anyway (their mentions are dropped)")


def apply_scheme(store: GraphStore, scheme: Scheme, linker: Linker) -> bool:
    """Store `scheme` (forced) and relink if the store holds another one; True when it
    changed. What `load_scheme_into` does without its checks, for callers that decide."""
    return load_scheme_into(store, scheme, lambda: linker, force=True).any


def relink(store: GraphStore, linker: Linker) -> int:
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
