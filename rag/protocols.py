"""The seams: narrow interfaces the pipeline depends on, so each part can be swapped or faked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from rag.types import Article, Chunk, StoredArticle

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
    record names the version whose chunks are all present.
    """

    def articles(self) -> dict[str, StoredArticle]: ...

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

    def put_articles(
        self, records: Sequence[StoredArticle], texts: Sequence[str], vectors: Vectors
    ) -> None:
        """Write the commit records, each with the cleaned text and one vector."""
        ...

    def article_text(self, doc_id: str) -> str | None: ...

    def set_article_paths(self, paths: Mapping[str, str]) -> None: ...

    def delete_articles(self, doc_ids: Sequence[str]) -> None: ...

    def describe(self) -> Mapping[str, object]: ...
