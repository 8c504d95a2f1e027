"""Export formats the API streams: those of graph/rdf_export.py (RDF and passages-jsonl), with
their media types. A new format there is offered here without a change."""
from __future__ import annotations

from typing import Iterator

from citegraph.graph import rdf_export
from citegraph.graph.base import GraphStore

ExportError = rdf_export.ExportError


def formats() -> dict[str, str]:
    """format name → media type."""
    return {fmt: rdf_export.MEDIA_TYPES[fmt] for fmt in rdf_export.FORMATS}


def file_name(fmt: str) -> str:
    return "citegraph" + rdf_export.FILE_EXTENSIONS.get(fmt, "")


def stream(store: GraphStore, fmt: str, base_iri: str | None = None) -> Iterator[str]:
    """Checks the request before the first byte (ExportError), then yields text. IRIs are
    minted under `base_iri` (the setting), else the store's own."""
    return rdf_export.iter_export(store, fmt, base_iri=base_iri)
