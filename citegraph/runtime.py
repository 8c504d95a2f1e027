"""What the CLI and the web app share: the store and the model, each loaded once."""
from __future__ import annotations

from functools import cached_property

from graph.factory import open_store, store_spec


class Runtime:
    def __init__(self, store: str | None = None, precision: str | None = None,
                 ontology: str | None = None):
        self.store_spec = store_spec(store)
        self.precision = precision
        self.ontology = ontology

    @cached_property
    def store(self):
        return open_store(self.store_spec)

    @cached_property
    def embedder(self):
        from ingest.embedder import Embedder

        return Embedder(self.precision)

    @cached_property
    def scheme(self):
        """The SKOS scheme: --ontology FILE, else $CITEGRAPH_ONTOLOGY, else the shipped one."""
        import os

        from ontology.scheme import load_scheme

        return load_scheme(self.ontology or os.environ.get("CITEGRAPH_ONTOLOGY") or None)

    @cached_property
    def linker(self):
        """The concept linker of the scheme. The store is brought to the scheme first
        (concepts replaced and stored passages relinked when it changed), since mentions
        may only point at stored concepts."""
        from ingest.linker import ConceptLinker
        from ontology.sync import apply_scheme

        linker = ConceptLinker(self.scheme.concepts, self.embedder)
        apply_scheme(self.store, self.scheme, linker)
        return linker

    def retriever(self, mode: str = "hybrid"):
        """One retriever per mode for the process: what it derives from the store (the
        concept labels' matcher) is built once, not per request. A scheme changed while a
        server runs is seen after a restart."""
        from search.retrievers import build_retriever

        cache = self.__dict__.setdefault("_retrievers", {})
        if mode not in cache:
            cache[mode] = build_retriever(self.store, mode)
        return cache[mode]

    def search_service(self, mode: str = "hybrid", retriever=None):
        from search.service import SearchService

        return SearchService(self.store, self.embedder, retriever=retriever or self.retriever(mode))

    def pipeline(self, linker=None):
        from ingest.pipeline import Pipeline

        return Pipeline(self.store, self.embedder,
                        linker=linker if linker is not None else self.linker)

    def close(self):
        if "store" in self.__dict__:
            self.store.close()
