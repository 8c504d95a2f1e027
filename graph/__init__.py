"""The graph: data model, the GraphStore contract and its backends."""
