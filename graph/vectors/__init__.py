"""Vector indexes behind one small interface: exact numpy search, HNSW (usearch) above a
size threshold once its recall is measured, and the adaptive index the store uses."""
from citegraph.graph.vectors.adaptive import AdaptiveIndex, measure_recall
from citegraph.graph.vectors.base import VectorIndex
from citegraph.graph.vectors.exact import ExactIndex

__all__ = ["VectorIndex", "ExactIndex", "AdaptiveIndex", "measure_recall"]
