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

    def search_service(self, mode: str = "hybrid"):
        from search.service import SearchService

        return SearchService(self.store, self.embedder, mode=mode)

    def pipeline(self, linker=None):
        from ingest.pipeline import Pipeline

        return Pipeline(self.store, self.embedder, linker=linker)

    def close(self):
        if "store" in self.__dict__:
            self.store.close()
