"""The composition root the CLI and the web app share: from one `Settings`, the store, the
model, the scheme and the services, each built once per process and handed down."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Optional

from citegraph.graph.factory import StoreOptions, open_store, store_exists
from citegraph.graph.scheme_cache import per_scheme
from citegraph.settings import Settings

if TYPE_CHECKING:
    from citegraph.embedding import Embedder
    from citegraph.graph.base import GraphStore
    from citegraph.ingest.linker import ConceptLinker
    from citegraph.ingest.pipeline import Pipeline
    from citegraph.ontology.scheme import Scheme
    from citegraph.ontology.sync import SchemeChange
    from citegraph.search.retrievers import Retriever
    from citegraph.search.service import SearchService


class Runtime:
    def __init__(self, settings: Optional[Settings] = None, readonly: bool = False):
        """`readonly`: the store is only read (ask, concepts, export...), so it is opened
        read-only: it then works where the store cannot be written."""
        self.settings = settings or Settings()
        self.readonly = readonly

    @cached_property
    def store(self) -> GraphStore:
        # a store not made yet is made (empty), as by any command, whatever `readonly` says
        spec = self.settings.store
        return self.open_store(spec, readonly=self.readonly and store_exists(spec))

    def open_store(self, spec: str, readonly: bool = False) -> GraphStore:
        """Any store (migrate has two) with the settings' backend options."""
        s = self.settings
        return open_store(spec, readonly=readonly, options=StoreOptions(
            ann_threshold=s.ann_threshold, index_threads=s.threads,
            ann_precision=s.ann_precision, neo4j_user=s.neo4j_user,
            neo4j_password=s.neo4j_password, neo4j_database=s.neo4j_database))

    @cached_property
    def embedder(self) -> Embedder:
        from citegraph.embedding import Embedder

        s = self.settings
        return Embedder(s.precision, s.threads, backend=s.backend, cache_dir=s.model_cache)

    @cached_property
    def scheme_file(self) -> Scheme:
        """The scheme file of the settings, else the shipped one, validated on load: what a
        store that holds no scheme yet is given by its first write (sync_scheme)."""
        from citegraph.ontology.scheme import load_scheme

        return load_scheme(self.settings.ontology)

    @property
    def scheme(self) -> Scheme:
        """The store's scheme, read once per scheme revision, so that a scheme another
        process loads is seen at once; a store that holds none yet: `scheme_file`."""
        from citegraph.ontology.sync import stored_scheme

        store = self.store
        stored = per_scheme(store, "scheme", lambda: stored_scheme(store))
        return stored if stored is not None else self.scheme_file

    @property
    def linker(self) -> ConceptLinker:
        """The linker of the store's scheme, built once per scheme revision."""
        from citegraph.ingest.linker import ConceptLinker

        return per_scheme(self.store, "linker",
                          lambda: ConceptLinker(self.scheme.concepts, self.embedder))

    def sync_scheme(self, strict: bool = False) -> bool:
        """Writers call it before they link anything. A store that holds no scheme yet is
        given `scheme_file` (its first use); a store that holds one keeps it: replacing it is
        `load_scheme`. `strict` (the CLI's writers): an `ontology` setting that names another
        scheme than the store's is refused (SchemeRefused) instead of left unused. True when
        the store changed."""
        from citegraph.ontology.sync import SchemeRefused, holds_scheme, scheme_changed

        if not holds_scheme(self.store):
            return self.load_scheme(self.scheme_file).any
        if strict and self.settings.ontology and scheme_changed(self.store, self.scheme_file):
            held = self.scheme
            raise SchemeRefused(
                f"{self.settings.ontology}: the store holds another scheme ({len(held.concepts)} "
                f"concepts{f', from {held.source}' if held.source else ''}); replace it "
                f"explicitly: citegraph scheme load {self.settings.ontology}")
        return False

    def load_scheme(self, scheme: Scheme, force: bool = False) -> SchemeChange:
        """Make `scheme` the store's and relink its passages (ontology/sync.py); refused when
        it drops concepts that passages mention, unless `force`."""
        from citegraph.ontology.sync import load_scheme_into

        return load_scheme_into(self.store, scheme, lambda: self.linker, force=force,
                                wait=self.settings.ingest_wait)

    def retriever(self, mode: str = "hybrid") -> Retriever:
        """One retriever per mode for the process: what it derives from the store (the
        concept labels' matcher) is built once, not per request; what it derives from the
        scheme follows the store's scheme revision."""
        from citegraph.search.factory import build_retriever

        return per_scheme(self.store, f"retriever:{mode}",
                          lambda: build_retriever(self.store, mode))

    def search_service(self, mode: str = "hybrid") -> SearchService:
        from citegraph.search.service import SearchService

        return SearchService(self.store, self.embedder, self.retriever(mode),
                             abstain_below=self.settings.abstain_below)

    def pipeline(self, linker: Optional[ConceptLinker] = None) -> Pipeline:
        """An ingest pipeline on the store; the scheme must be synced first (sync_scheme)."""
        from citegraph.ingest.pipeline import Pipeline

        return Pipeline(self.store, self.embedder,
                        linker=linker if linker is not None else self.linker,
                        title_context=self.settings.title_context,
                        ingest_wait=self.settings.ingest_wait)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
