"""An in-memory ``ChunkStore``: the same contract as Chroma, exact search, nothing on disk.

For unit tests of retrieval and ingest logic (milliseconds, no Chroma) and for a throwaway
index. It passes the contract suite that embedded Chroma and the Chroma server pass
(``tests/test_store_contract.py``). One lock guards every call, as the API's threads share it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rag.errors import StoreError
from rag.protocols import Vectors
from rag.store import check_vectors
from rag.types import Article, Chunk, Filters, ScoredChunk, StoredArticle


@dataclass(frozen=True)
class _Stored:
    chunk: ScoredChunk  # payload as the store returns it (no scores)
    version: str
    vector: Vectors


class MemoryStore:
    def __init__(self, *, model_id: str, dimension: int, collection: str = "articles") -> None:
        self.model_id = model_id
        self.dimension = dimension
        self.collection = collection
        self._chunks: dict[str, _Stored] = {}
        self._records: dict[str, tuple[StoredArticle, str]] = {}
        self._lock = threading.Lock()

    # -- articles -----------------------------------------------------------------------------
    def articles(self) -> dict[str, StoredArticle]:
        with self._lock:
            return {d: r.model_copy() for d, (r, _) in self._records.items()}

    def put_articles(
        self, records: Sequence[StoredArticle], texts: Sequence[str], vectors: Vectors
    ) -> None:
        check_vectors(len(records), vectors, "articles", self.dimension)
        with self._lock:
            for record, text in zip(records, texts, strict=True):
                self._records[record.doc_id] = (record.model_copy(), text)

    def article_text(self, doc_id: str) -> str | None:
        with self._lock:
            found = self._records.get(doc_id)
        return found[1] if found else None

    def set_article_paths(self, paths: Mapping[str, str]) -> None:
        with self._lock:
            for doc_id, path in paths.items():
                if doc_id in self._records:
                    record, text = self._records[doc_id]
                    self._records[doc_id] = (record.model_copy(update={"path": path}), text)

    def delete_articles(self, doc_ids: Sequence[str]) -> None:
        with self._lock:
            for doc_id in doc_ids:
                self._records.pop(doc_id, None)

    # -- chunks -------------------------------------------------------------------------------
    def chunk_ids_by_doc(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        with self._lock:
            for chunk_id, stored in self._chunks.items():
                out.setdefault(stored.chunk.doc_id, set()).add(chunk_id)
        return out

    def upsert_chunks(
        self, chunks: Sequence[Chunk], vectors: Vectors, articles: Mapping[str, Article]
    ) -> None:
        check_vectors(len(chunks), vectors, "chunks", self.dimension)
        with self._lock:
            for c, vector in zip(chunks, np.asarray(vectors, dtype=np.float32), strict=True):
                a = articles[c.doc_id]
                payload = ScoredChunk(
                    chunk_id=c.chunk_id,
                    doc_id=c.doc_id,
                    title=a.title,
                    published=a.published,
                    text=c.text,
                    start=c.start,
                    end=c.end,
                )
                self._chunks[c.chunk_id] = _Stored(payload, c.version, vector.copy())

    def chunk_vectors(self, ids: Sequence[str]) -> Vectors:
        with self._lock:
            missing = [i for i in ids if i not in self._chunks]
            if missing:
                raise StoreError(f"{len(missing)} chunk ids are not stored, e.g. {missing[0]!r}.")
            if not ids:
                return np.zeros((0, self.dimension), dtype=np.float32)
            return np.stack([self._chunks[i].vector for i in ids]).astype(np.float32)

    def delete_chunks(self, ids: Sequence[str]) -> None:
        with self._lock:
            for chunk_id in ids:
                self._chunks.pop(chunk_id, None)

    def delete_article_chunks(self, doc_id: str) -> None:
        with self._lock:
            for chunk_id in [i for i, s in self._chunks.items() if s.chunk.doc_id == doc_id]:
                del self._chunks[chunk_id]

    def committed_chunks(self, versions: Mapping[str, str]) -> list[ScoredChunk]:
        with self._lock:
            return [
                s.chunk.model_copy(deep=True)
                for s in self._chunks.values()
                if versions.get(s.chunk.doc_id) == s.version
            ]

    def all_chunks(self) -> list[ScoredChunk]:
        with self._lock:
            return [s.chunk.model_copy(deep=True) for s in self._chunks.values()]

    # -- search -------------------------------------------------------------------------------
    def _ranked(
        self, vector: Vectors, n: int, filters: Filters | None
    ) -> list[tuple[_Stored, float]]:
        with self._lock:
            pool = [s for s in self._chunks.values() if _passes(s.chunk, filters)]
        if not pool or n <= 0:
            return []
        matrix = np.stack([s.vector for s in pool])
        query = np.asarray(vector, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * max(float(np.linalg.norm(query)), 1e-12)
        sims = (matrix @ query) / np.maximum(norms, 1e-12)
        order = sorted(range(len(pool)), key=lambda i: (-float(sims[i]), pool[i].chunk.chunk_id))
        return [(pool[i], float(sims[i])) for i in order[:n]]

    def nearest(
        self, vector: Vectors, n: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        return [(s.chunk.chunk_id, sim) for s, sim in self._ranked(vector, n, filters)]

    def query(self, vector: Vectors, n: int, filters: Filters | None = None) -> list[ScoredChunk]:
        return [
            s.chunk.model_copy(update={"scores": {"dense": sim}})
            for s, sim in self._ranked(vector, n, filters)
        ]

    # -- health -------------------------------------------------------------------------------
    def ping(self) -> int:
        with self._lock:
            return len(self._chunks)

    def describe(self) -> dict[str, object]:
        with self._lock:
            return {
                "backend": "memory",
                "location": "memory",
                "collection": self.collection,
                "embedding_model": self.model_id,
                "embedding_dim": self.dimension,
                "articles": len(self._records),
                "chunks": len(self._chunks),
            }


def _passes(chunk: ScoredChunk, filters: Filters | None) -> bool:
    """Chroma's ``where`` semantics: a date filter excludes undated articles."""
    if filters is None:
        return True
    if filters.doc_ids and chunk.doc_id not in filters.doc_ids:
        return False
    if filters.since and (chunk.published is None or chunk.published < filters.since):
        return False
    return not (filters.until and (chunk.published is None or chunk.published > filters.until))
