"""Vector stores behind the ``ChunkStore`` protocol: Chroma (``chroma``), in memory (``memory``)."""

from __future__ import annotations

import numpy as np

from rag.errors import StoreError
from rag.protocols import Vectors


def check_vectors(n: int, vectors: Vectors, what: str, dimension: int) -> None:
    """One vector per item, of the store's dimension; else a ``StoreError`` before any write."""
    if len(vectors) != n:
        raise StoreError(f"{n} {what} but {len(vectors)} vectors.")
    if n and np.asarray(vectors).shape[1] != dimension:
        raise StoreError(f"Vectors of {np.asarray(vectors).shape[1]} dimensions, not {dimension}.")
