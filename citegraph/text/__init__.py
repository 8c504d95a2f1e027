"""Text utilities shared by ingest and search: cleaning, sentence spans, passage splitting."""
