"""Citegraph: webapp."""
