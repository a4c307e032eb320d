"""The seams: the interfaces the library's parts are typed on, so each can be swapped or faked.

``ChunkStore`` is complete: retrieval, ingest and the service use nothing else of a store;
``rag.store.chroma.ChromaStore`` (embedded or server) and ``rag.store.memory.MemoryStore`` pass
the same contract suite (``tests/test_store_contract.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from rag.types import Article, Chunk, Filters, ScoredChunk, StoredArticle

Vectors = npt.NDArray[np.float32]


class TokenCounter(Protocol):
    """Counts tokens of one tokenizer (the embedder's word pieces, or tiktoken)."""

    def count(self, text: str) -> int: ...


class Embedder(Protocol):
    """Turns text into unit-length vectors. Loading the model must be lazy."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def dtype(self) -> str:
        """Numeric precision of the vectors; part of an article's version."""
        ...

    @property
    def max_tokens(self) -> int:
        """Longest input in word pieces, excluding special tokens."""
        ...

    @property
    def tokens(self) -> TokenCounter: ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...


class ChunkStore(Protocol):
    """Chunks with embeddings, plus one record per article written after its chunks.

    The article record is the commit marker: an article counts as ingested only once its
    record names the version whose chunks are all present. Failures of the backend are
    ``StoreError``s.
    """

    # -- articles (the commit records) -----------------------------------------------------
    def articles(self) -> dict[str, StoredArticle]: ...

    def put_articles(
        self, records: Sequence[StoredArticle], texts: Sequence[str], vectors: Vectors
    ) -> None:
        """Write the commit records, each with the cleaned text and one vector."""
        ...

    def article_text(self, doc_id: str) -> str | None: ...

    def set_article_paths(self, paths: Mapping[str, str]) -> None:
        """Metadata-only update when an unchanged article's folder moved."""
        ...

    def delete_articles(self, doc_ids: Sequence[str]) -> None: ...

    # -- chunks ---------------------------------------------------------------------------
    def chunk_ids_by_doc(self) -> dict[str, set[str]]: ...

    def upsert_chunks(
        self, chunks: Sequence[Chunk], vectors: Vectors, articles: Mapping[str, Article]
    ) -> None:
        """Write chunks; ``articles`` gives each chunk's article metadata, for filters."""
        ...

    def chunk_vectors(self, ids: Sequence[str]) -> Vectors:
        """Stored vectors of these chunk ids, in the same order."""
        ...

    def delete_chunks(self, ids: Sequence[str]) -> None: ...

    def delete_article_chunks(self, doc_id: str) -> None:
        """Every chunk of one article, whatever its version."""
        ...

    def committed_chunks(self, versions: Mapping[str, str]) -> list[ScoredChunk]:
        """The chunks of these articles at these versions (what their records commit to)."""
        ...

    def all_chunks(self) -> list[ScoredChunk]:
        """Every stored chunk, committed or not."""
        ...

    # -- search -----------------------------------------------------------------------------
    def nearest(
        self, vector: Vectors, n: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """Ids and cosine similarities of the ``n`` nearest chunks, best first. A date filter
        excludes undated articles."""
        ...

    def query(self, vector: Vectors, n: int, filters: Filters | None = None) -> list[ScoredChunk]:
        """As ``nearest``, with texts and metadata (``scores["dense"]``)."""
        ...

    # -- health -----------------------------------------------------------------------------
    def ping(self) -> int:
        """The number of stored chunks; raises ``StoreError`` when the store is unreachable."""
        ...

    def describe(self) -> dict[str, object]:
        """Backend, location, collection, embedding model and dimension, counts."""
        ...


@dataclass(frozen=True)
class GeneratorStatus:
    """What /readyz and /metrics say of the generator: is it answering, and how often was
    its process restarted (a supervised model process; 0 for everything else)."""

    up: bool
    detail: str
    restarts: int = 0


class Generator(Protocol):
    """Writes text from chat messages: the embedded model or an OpenAI-compatible server."""

    @property
    def name(self) -> str: ...

    def status(self) -> GeneratorStatus:
        """Cheap (at most one short health request): whether the generator can answer now."""
        ...

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        """Yield text pieces; raise GenerationError on failure or when ``timeout_s`` passes."""
        ...
