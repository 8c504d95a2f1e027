"""The composition root the CLI and the web app share: from one `Settings`, the store, the
model, the scheme and the services, each built once per process and handed down."""
from __future__ import annotations

from functools import cached_property
from typing import Optional

from citegraph.graph.factory import StoreOptions, open_store, store_exists
from citegraph.settings import Settings


class Runtime:
    def __init__(self, settings: Optional[Settings] = None, readonly: bool = False):
        """`readonly`: the store is only read (ask, concepts, export...), so it is opened
        read-only: it then works where the store cannot be written."""
        self.settings = settings or Settings()
        self.readonly = readonly
        self._retrievers: dict = {}

    @cached_property
    def store(self):
        # a store not made yet is made (empty), as by any command, whatever `readonly` says
        spec = self.settings.store
        return self.open_store(spec, readonly=self.readonly and store_exists(spec))

    def open_store(self, spec: str, readonly: bool = False):
        """Any store (migrate has two) with the settings' backend options."""
        s = self.settings
        return open_store(spec, readonly=readonly, options=StoreOptions(
            ann_threshold=s.ann_threshold, index_threads=s.threads, neo4j_user=s.neo4j_user,
            neo4j_password=s.neo4j_password, neo4j_database=s.neo4j_database))

    @cached_property
    def embedder(self):
        from citegraph.embedding import Embedder

        s = self.settings
        return Embedder(s.precision, s.threads, backend=s.backend, cache_dir=s.model_cache)

    @cached_property
    def scheme(self):
        """The SKOS scheme of the settings, else the shipped one; validated on load."""
        from citegraph.ontology.scheme import load_scheme

        return load_scheme(self.settings.ontology)

    @cached_property
    def linker(self):
        from citegraph.ingest.linker import ConceptLinker

        return ConceptLinker(self.scheme.concepts, self.embedder)

    def sync_scheme(self) -> bool:
        """Bring the store to the scheme: concepts replaced and stored passages relinked when
        it changed, since mentions may only point at stored concepts. Writers call it before
        they link anything; True when the store changed."""
        from citegraph.ontology.sync import apply_scheme

        return apply_scheme(self.store, self.scheme, self.linker)

    def retriever(self, mode: str = "hybrid"):
        """One retriever per mode for the process: what it derives from the store (the
        concept labels' matcher) is built once, not per request. A scheme changed while a
        server runs is seen after a restart."""
        from citegraph.search.factory import build_retriever

        if mode not in self._retrievers:
            self._retrievers[mode] = build_retriever(self.store, mode)
        return self._retrievers[mode]

    def search_service(self, mode: str = "hybrid"):
        from citegraph.search.service import SearchService

        return SearchService(self.store, self.embedder, self.retriever(mode),
                             abstain_below=self.settings.abstain_below)

    def pipeline(self, linker=None):
        """An ingest pipeline on the store; the scheme must be synced first (sync_scheme)."""
        from citegraph.ingest.pipeline import Pipeline

        return Pipeline(self.store, self.embedder,
                        linker=linker if linker is not None else self.linker,
                        title_context=self.settings.title_context,
                        ingest_wait=self.settings.ingest_wait)

    def close(self):
        if "store" in self.__dict__:
            self.store.close()
