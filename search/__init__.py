"""Retrieval, fusion, extractive answers and IR metrics."""
