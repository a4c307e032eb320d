"""Ingest: load article files, clean them, chunk them and sync them into the store."""

from __future__ import annotations

from pathlib import Path

from ingest.chunking import Chunker
from ingest.sync import SyncReport, sync
from rag.components import build_embedder, build_llm_counter, open_store
from rag.lexical_sync import ensure_lexical_index
from rag.models.embedder import SentenceTransformerEmbedder
from rag.settings import Settings


def make_chunker(settings: Settings, embedder: SentenceTransformerEmbedder) -> Chunker:
    return Chunker(
        embedder.tokens,
        build_llm_counter(settings),
        max_tokens=embedder.max_tokens,
        chunk_tokens=settings.chunk_tokens,
        overlap=settings.chunk_overlap,
    )


def ingest(
    settings: Settings, root: Path | None = None, *, prune: bool = False, progress: bool = False
) -> SyncReport:
    """Sync ``root`` (default: the data dir) into the configured store."""
    embedder = build_embedder(settings)
    store = open_store(settings, embedder)
    chunker = make_chunker(settings, embedder)
    report = sync(
        root or settings.data_dir,
        embedder,
        store,
        chunker,
        prune=prune,
        progress=progress,
        group_chunks=settings.ingest_group_chunks,
    )
    ensure_lexical_index(store, settings.lexical_dir, settings.bm25)  # BM25 follows the store
    return report


__all__ = ["SyncReport", "ingest", "make_chunker", "sync"]
