"""Citegraph: ontology."""
