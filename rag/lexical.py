"""BM25 over the stored chunks (bm25s, English stop words, Snowball stemming).

The index is persisted beside the store with a fingerprint of the chunk ids it was built from
(ids embed article versions), so a stale index is detected and rebuilt, never silently used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.types import BM25Params, Filters, ScoredChunk

_META = "chunks.json"
DEFAULT_BM25 = BM25Params()  # frozen: safe to share as a default


def fingerprint(chunk_ids: Iterable[str], params: BM25Params = DEFAULT_BM25) -> str:
    key = "\n".join(sorted(chunk_ids)) + f"\nk1={params.k1} b={params.b}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def _tokenize(texts: list[str], *, ids: bool) -> Any:
    import bm25s
    import Stemmer

    return bm25s.tokenize(
        texts,
        stopwords="en",
        stemmer=Stemmer.Stemmer("english"),
        return_ids=ids,
        show_progress=False,
    )


class LexicalIndex:
    def __init__(self, chunks: list[ScoredChunk], retriever: Any, fp: str) -> None:
        self.chunks = chunks
        self.fingerprint = fp
        self._retriever = retriever
        self.by_id = {c.chunk_id: c for c in chunks}
        self._days = np.array(
            [c.published.toordinal() if c.published else -1 for c in chunks], dtype=np.int64
        )

    @classmethod
    def build(cls, chunks: list[ScoredChunk], params: BM25Params = DEFAULT_BM25) -> LexicalIndex:
        import bm25s

        chunks = sorted(chunks, key=lambda c: c.chunk_id)
        retriever = bm25s.BM25(method="lucene", k1=params.k1, b=params.b)
        if chunks:
            retriever.index(_tokenize([c.text for c in chunks], ids=True), show_progress=False)
        return cls(chunks, retriever, fingerprint((c.chunk_id for c in chunks), params))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.chunks:
            self._retriever.save(str(folder))
        meta = {
            "fingerprint": self.fingerprint,
            "chunks": [c.model_dump(mode="json") for c in self.chunks],
        }
        tmp = folder / f"{_META}.tmp"
        tmp.write_text(json.dumps(meta, ensure_ascii=False))
        tmp.replace(folder / _META)  # written last: a half-saved index has no valid metadata

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        import bm25s

        try:
            meta = json.loads((folder / _META).read_text())
            chunks = [ScoredChunk.model_validate(c) for c in meta["chunks"]]
            retriever = bm25s.BM25.load(str(folder)) if chunks else bm25s.BM25()
        except (OSError, ValueError, KeyError):
            return None
        return cls(chunks, retriever, meta["fingerprint"])

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or not (filters.doc_ids or filters.since or filters.until):
            return None
        mask = np.ones(len(self.chunks), dtype=bool)
        if filters.doc_ids:
            wanted = set(filters.doc_ids)
            mask &= np.array([c.doc_id in wanted for c in self.chunks])
        if filters.since:
            mask &= self._days >= filters.since.toordinal()
        if filters.until:
            mask &= (self._days >= 0) & (self._days <= filters.until.toordinal())
        return mask

    def search(self, query: str, n: int, filters: Filters | None = None) -> list[ScoredChunk]:
        if not self.chunks or n <= 0:
            return []
        tokens = _tokenize([query], ids=False)
        mask = self._mask(filters)
        if mask is not None and not mask.any():
            return []
        kwargs = {"weight_mask": mask.astype(np.float32)} if mask is not None else {}
        docs, scores = self._retriever.retrieve(
            tokens, k=min(n, len(self.chunks)), show_progress=False, **kwargs
        )
        out = []
        for i, score in zip(docs[0], scores[0], strict=True):
            if score <= 0:
                continue  # no query term matched: not a lexical hit at all
            chunk = self.chunks[int(i)]
            out.append(chunk.model_copy(update={"scores": {"bm25": float(score)}}))
        return out


class _ChunkSource(Protocol):
    def chunk_ids_by_doc(self) -> dict[str, set[str]]: ...

    def all_chunks(self) -> list[ScoredChunk]: ...


def ensure_lexical_index(
    store: _ChunkSource, folder: Path, params: BM25Params = DEFAULT_BM25
) -> LexicalIndex:
    """Load the persisted index, rebuilding and saving it if it no longer matches the store
    (or was built with other BM25 parameters)."""
    current = fingerprint((i for ids in store.chunk_ids_by_doc().values() for i in ids), params)
    index = LexicalIndex.load(folder)
    if index is None or index.fingerprint != current:
        index = LexicalIndex.build(store.all_chunks(), params)
        index.save(folder)
    return index
