"""Retrieval: a persistent vector index, BM25, hybrid fusion, and named record collections."""
