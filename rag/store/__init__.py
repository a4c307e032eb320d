"""Vector stores behind the ``ChunkStore`` protocol."""

from rag.store.chroma import ChromaStore

__all__ = ["ChromaStore"]
