"""Vector indexes behind one small interface: exact numpy search now, ANN later."""
from graph.vectors.base import VectorIndex
from graph.vectors.exact import ExactIndex

__all__ = ["VectorIndex", "ExactIndex"]
