"""Chroma behind ``ChunkStore``: embedded (``PersistentClient``) or a server (``HttpClient``).

Embeddings are always computed by the project and passed in; collections are created with
no embedding function so Chroma never fetches its default model. Both collections record
the embedding model and dimension, and opening them with another model is refused.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlparse

import numpy as np

from rag.errors import EmbeddingMismatchError, StoreError
from rag.protocols import Vectors
from rag.settings import LibrarySettings
from rag.store import check_vectors
from rag.types import Article, Chunk, Filters, ScoredChunk, StoredArticle

SCHEMA_VERSION = 1
_PAGE = 5000
_DOCS_PER_GET = 500

P = ParamSpec("P")
R = TypeVar("R")


def _failures() -> tuple[type[BaseException], ...]:
    import httpx
    from chromadb.errors import ChromaError

    return (httpx.HTTPError, ChromaError, OSError)


def guarded(method: Callable[P, R]) -> Callable[P, R]:
    """A failure of the Chroma client (server down, timeout, refused write) becomes a
    ``StoreError`` naming the store, which the API answers with 503 ``store_unavailable``."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except _failures() as exc:
            store = args[0]
            raise StoreError(
                f"The Chroma store at {getattr(store, 'location', '?')} failed: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    return wrapper


def _client(settings: LibrarySettings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(f"RAG_CHROMA_URL {settings.chroma_url!r} is not an http(s) URL.")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 80),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises bare ValueError/ConnectionError here
            raise StoreError(
                f"Cannot reach the Chroma server at {settings.chroma_url}: {exc}"
            ) from exc
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def published_day(day: dt.date) -> int:
    """Dates as YYYYMMDD integers, because Chroma filters compare numbers, not strings."""
    return day.year * 10000 + day.month * 100 + day.day


def where_clause(filters: Filters | None) -> dict[str, Any] | None:
    """Filters as a Chroma ``where``; a date filter excludes undated articles."""
    if filters is None:
        return None
    terms: list[dict[str, Any]] = []
    if filters.doc_ids:
        terms.append({"doc_id": {"$in": list(filters.doc_ids)}})
    if filters.since:
        terms.append({"published_day": {"$gte": published_day(filters.since)}})
    if filters.until:
        terms.append({"published_day": {"$lte": published_day(filters.until)}})
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"$and": terms}


def _scored(
    chunk_id: str, text: str, meta: Mapping[str, Any], scores: dict[str, float]
) -> ScoredChunk:
    published = meta.get("published")
    return ScoredChunk(
        chunk_id=chunk_id,
        doc_id=str(meta["doc_id"]),
        title=str(meta.get("title", "")),
        published=dt.date.fromisoformat(published) if published else None,
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        scores=scores,
    )


def _clean(meta: Mapping[str, Any]) -> dict[str, Any]:
    # Chroma rejects None values: absent metadata is simply left out.
    return {k: v for k, v in meta.items() if v is not None}


class ChromaStore:
    def __init__(self, settings: LibrarySettings, *, model_id: str, dimension: int) -> None:
        self.location = settings.chroma_url or str(settings.chroma_path)
        self.backend = "http" if settings.chroma_url else "persistent"
        self.model_id = model_id
        self.dimension = dimension
        self._client = _client(settings)
        identity = {
            "embedding_model": model_id,
            "embedding_dim": dimension,
            "schema_version": SCHEMA_VERSION,
        }
        self.chunks = self._open(settings.collection, identity)
        self.docs = self._open(settings.docs_collection, identity)

    def _open(self, name: str, identity: dict[str, Any]) -> Any:
        try:
            collection = self._client.get_or_create_collection(
                name,
                metadata=identity,
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        except Exception as exc:
            raise StoreError(
                f"Cannot open Chroma collection {name!r} at {self.location}: {exc}"
            ) from exc
        found = collection.metadata or {}
        if (found.get("embedding_model"), found.get("embedding_dim")) != (
            identity["embedding_model"],
            identity["embedding_dim"],
        ):
            raise EmbeddingMismatchError(
                f"Collection {name!r} at {self.location} was built with embedding model "
                f"{found.get('embedding_model')!r} ({found.get('embedding_dim')} dimensions), "
                f"not {self.model_id!r} ({self.dimension}); use another RAG_COLLECTION or "
                "the model it was built with."
            )
        return collection

    def _pages(self, collection: Any, include: list[str]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = collection.get(include=include, limit=_PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def _batches(self, n: int) -> Iterator[slice]:
        size = max(1, int(self._client.get_max_batch_size()))
        for lo in range(0, n, size):
            yield slice(lo, min(n, lo + size))

    @guarded
    def articles(self) -> dict[str, StoredArticle]:
        out: dict[str, StoredArticle] = {}
        for page in self._pages(self.docs, ["metadatas"]):
            for doc_id, meta in zip(page["ids"], page["metadatas"], strict=True):
                published = meta.get("published")
                out[doc_id] = StoredArticle(
                    doc_id=doc_id,
                    title=meta.get("title", ""),
                    published=dt.date.fromisoformat(published) if published else None,
                    source=meta.get("source"),
                    url=meta.get("url"),
                    path=meta.get("path", ""),
                    content_hash=meta.get("content_hash", ""),
                    version=meta.get("version", ""),
                    n_chunks=int(meta.get("n_chunks", 0)),
                )
        return out

    @guarded
    def chunk_ids_by_doc(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for page in self._pages(self.chunks, ["metadatas"]):
            for chunk_id, meta in zip(page["ids"], page["metadatas"], strict=True):
                out.setdefault(str(meta.get("doc_id")), set()).add(chunk_id)
        return out

    @guarded
    def upsert_chunks(
        self, chunks: Sequence[Chunk], vectors: Vectors, articles: Mapping[str, Article]
    ) -> None:
        check_vectors(len(chunks), vectors, "chunks", self.dimension)
        metas = []
        for c in chunks:
            a = articles[c.doc_id]
            metas.append(
                _clean(
                    {
                        "doc_id": c.doc_id,
                        "version": c.version,
                        "index": c.index,
                        "start": c.start,
                        "end": c.end,
                        "n_tokens": c.n_tokens,
                        "n_llm_tokens": c.n_llm_tokens,
                        "title": a.title,
                        "source": a.source,
                        "published": a.published.isoformat() if a.published else None,
                        "published_day": published_day(a.published) if a.published else None,
                    }
                )
            )
        for part in self._batches(len(chunks)):
            self.chunks.upsert(
                ids=[c.chunk_id for c in chunks[part]],
                embeddings=vectors[part],
                documents=[c.text for c in chunks[part]],
                metadatas=metas[part],
            )

    @guarded
    def chunk_vectors(self, ids: Sequence[str]) -> Vectors:
        ids = list(ids)
        if not ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        by_id: dict[str, Any] = {}
        for part in self._batches(len(ids)):  # SQLite caps the variables of one query
            got = self.chunks.get(ids=ids[part], include=["embeddings"])
            by_id.update(zip(got["ids"], got["embeddings"], strict=True))
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise StoreError(f"{len(missing)} chunk ids are not stored, e.g. {missing[0]!r}.")
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    @guarded
    def delete_chunks(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for part in self._batches(len(ids)):
            self.chunks.delete(ids=ids[part])

    @guarded
    def delete_article_chunks(self, doc_id: str) -> None:
        self.chunks.delete(where={"doc_id": doc_id})

    @guarded
    def put_articles(
        self, records: Sequence[StoredArticle], texts: Sequence[str], vectors: Vectors
    ) -> None:
        check_vectors(len(records), vectors, "articles", self.dimension)
        metas = [
            _clean(
                {
                    "title": r.title,
                    "published": r.published.isoformat() if r.published else None,
                    "published_day": published_day(r.published) if r.published else None,
                    "source": r.source,
                    "url": r.url,
                    "path": r.path,
                    "content_hash": r.content_hash,
                    "version": r.version,
                    "n_chunks": r.n_chunks,
                }
            )
            for r in records
        ]
        for part in self._batches(len(records)):
            self.docs.upsert(
                ids=[r.doc_id for r in records[part]],
                embeddings=vectors[part],
                documents=list(texts[part]),
                metadatas=metas[part],
            )

    @guarded
    def set_article_paths(self, paths: Mapping[str, str]) -> None:
        """Metadata-only update when an unchanged article's folder moved."""
        ids = list(paths)
        for part in self._batches(len(ids)):
            self.docs.update(ids=ids[part], metadatas=[{"path": paths[i]} for i in ids[part]])

    @guarded
    def delete_articles(self, doc_ids: Sequence[str]) -> None:
        doc_ids = list(doc_ids)
        for part in self._batches(len(doc_ids)):
            self.docs.delete(ids=doc_ids[part])

    @guarded
    def article_text(self, doc_id: str) -> str | None:
        got = self.docs.get(ids=[doc_id], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def _search(
        self, vector: Vectors, n: int, filters: Filters | None, include: list[str]
    ) -> dict[str, Any] | None:
        count = self.chunks.count()
        if count == 0 or n <= 0:
            return None
        return dict(
            self.chunks.query(
                query_embeddings=[vector],
                n_results=min(n, count),
                where=where_clause(filters),
                include=include,
            )
        )

    @guarded
    def nearest(
        self, vector: Vectors, n: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """Ids and cosine similarities of the nearest chunks only. Fetching texts and metadata
        costs ~5x the search itself, and a caller holding the chunks in memory needs neither."""
        got = self._search(vector, n, filters, ["distances"])
        if got is None:
            return []
        return [
            (cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0], strict=True)
        ]

    @guarded
    def committed_chunks(self, versions: Mapping[str, str]) -> list[ScoredChunk]:
        """The chunks of these articles at these versions: what their records commit to
        (an ingest under way may have stored chunks of a newer version already)."""
        doc_ids = list(versions)
        out = []
        for lo in range(0, len(doc_ids), _DOCS_PER_GET):
            got = self.chunks.get(
                where={"doc_id": {"$in": doc_ids[lo : lo + _DOCS_PER_GET]}},
                include=["documents", "metadatas"],
            )
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                if meta.get("version") == versions.get(str(meta.get("doc_id"))):
                    out.append(_scored(cid, doc, meta, {}))
        return out

    @guarded
    def ping(self) -> int:
        """The number of stored chunks; raises ``StoreError`` when the store is unreachable."""
        return int(self.chunks.count())

    @guarded
    def query(self, vector: Vectors, n: int, filters: Filters | None = None) -> list[ScoredChunk]:
        """Nearest chunks with their texts and metadata, by cosine similarity."""
        got = self._search(vector, n, filters, ["documents", "metadatas", "distances"])
        if got is None:
            return []
        return [
            _scored(cid, doc, meta, {"dense": 1.0 - float(dist)})
            for cid, doc, meta, dist in zip(
                got["ids"][0],
                got["documents"][0],
                got["metadatas"][0],
                got["distances"][0],
                strict=True,
            )
        ]

    @guarded
    def all_chunks(self) -> list[ScoredChunk]:
        """Every chunk with its text and metadata (for the lexical index)."""
        out = []
        for page in self._pages(self.chunks, ["documents", "metadatas"]):
            for cid, doc, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            ):
                out.append(_scored(cid, doc, meta, {}))
        return out

    @guarded
    def describe(self) -> dict[str, object]:
        return {
            "backend": self.backend,
            "location": self.location,
            "collection": self.chunks.name,
            "embedding_model": self.model_id,
            "embedding_dim": self.dimension,
            "articles": self.docs.count(),
            "chunks": self.chunks.count(),
        }
