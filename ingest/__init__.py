"""Ingest: load article files, clean them, chunk them and sync them into a store.

The parts it works with (embedder, store, chunker) are built by ``service.root``;
``Service.ingest_path`` is the call behind ``rag ingest`` and the documents API.
"""
