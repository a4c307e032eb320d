"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by reciprocal rank fusion.

Then: a bonus for articles published on a date the question names, removal of near-duplicate
chunks (overlapping spans of one article, or the same text in two articles), and the top k.
Every chunk keeps each stage's score and rank in ``scores`` for the trace.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from rag.lexical import LexicalIndex
from rag.protocols import Embedder, Vectors
from rag.store.chroma import ChromaStore
from rag.types import Filters, ScoredChunk

RRF_K = 60  # the constant from Cormack et al. (2009); rank 1 adds 1/61

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\b\.?(?:,?\s+(\d{{4}}))?", re.I
)
_MONTH_DAY = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I
)
_MONTH_ONLY = re.compile(
    rf"\b(?:in|during|since|of|early|late|mid)\s+({_MONTH})\b(?:\s+(\d{{4}}))?", re.I
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


@dataclass(frozen=True)
class DateHint:
    """A time the question names: a day, or a whole month when ``day`` is None."""

    month: int
    day: int | None = None
    year: int | None = None

    def matches(self, day: dt.date | None) -> bool:
        if day is None or day.month != self.month:
            return False
        return (self.day is None or day.day == self.day) and (
            self.year is None or day.year == self.year
        )


def date_hints(question: str) -> list[DateHint]:
    hints = []
    for m in _ISO.finditer(question):
        hints.append(DateHint(int(m[2]), int(m[3]), int(m[1])))
    for m in _DAY_MONTH.finditer(question):
        hints.append(DateHint(_MONTHS[m[2].lower()], int(m[1]), int(m[3]) if m[3] else None))
    for m in _MONTH_DAY.finditer(question):
        if int(m[2]) <= 31:
            hints.append(DateHint(_MONTHS[m[1].lower()], int(m[2]), int(m[3]) if m[3] else None))
    for m in _MONTH_ONLY.finditer(question):
        hints.append(DateHint(_MONTHS[m[1].lower()], None, int(m[2]) if m[2] else None))
    return [h for h in hints if h.day is None or 1 <= h.day <= 31]


Shingles = frozenset[tuple[str, ...]]


def shingles(text: str) -> Shingles:
    words = re.findall(r"\w+", text.lower())
    if len(words) < 3:
        return frozenset([tuple(words)])
    return frozenset(zip(words, words[1:], words[2:], strict=False))


def _same_span(a: ScoredChunk, b: ScoredChunk) -> bool:
    overlap = min(a.end, b.end) - max(a.start, b.start)
    return a.doc_id == b.doc_id and overlap > 0.6 * min(a.end - a.start, b.end - b.start)


def _same_text(sa: Shingles, sb: Shingles, shared: int | None = None) -> bool:
    common = len(sa & sb) if shared is None else shared
    return common / max(1, min(len(sa), len(sb))) > 0.8


def near_duplicate(a: ScoredChunk, b: ScoredChunk) -> bool:
    """Same article with mostly overlapping spans, or near-identical text anywhere."""
    return _same_span(a, b) or _same_text(shingles(a.text), shingles(b.text))


class Deduplicator:
    """Keeps chunks in rank order, skipping near-duplicates of kept ones.

    Shared shingles are counted through an inverted index, so a deep ranking costs one pass
    over its words rather than a comparison of every pair; shingle sets are cached by chunk id
    (ids carry the article version, so a cached set never goes stale).
    """

    def __init__(self, cache_size: int = 50_000) -> None:
        self._cache: dict[str, Shingles] = {}
        self._cache_size = cache_size

    def _shingles(self, chunk: ScoredChunk) -> Shingles:
        found = self._cache.get(chunk.chunk_id)
        if found is None:
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            found = self._cache[chunk.chunk_id] = shingles(chunk.text)
        return found

    def top(self, ranked: list[ScoredChunk], k: int) -> list[ScoredChunk]:
        kept: list[ScoredChunk] = []
        kept_shingles: list[Shingles] = []
        by_doc: dict[str, list[ScoredChunk]] = {}
        owners: dict[tuple[str, ...], list[int]] = {}
        for chunk in ranked:
            if any(_same_span(chunk, other) for other in by_doc.get(chunk.doc_id, ())):
                continue
            mine = self._shingles(chunk)
            shared: dict[int, int] = {}
            for shingle in mine:
                for i in owners.get(shingle, ()):
                    shared[i] = shared.get(i, 0) + 1
            if any(_same_text(mine, kept_shingles[i], n) for i, n in shared.items()):
                continue
            for shingle in mine:
                owners.setdefault(shingle, []).append(len(kept))
            kept.append(chunk)
            kept_shingles.append(mine)
            by_doc.setdefault(chunk.doc_id, []).append(chunk)
            if len(kept) == k:
                break
        return kept


@dataclass
class Retrieved:
    chunks: list[ScoredChunk]  # the top k, near-duplicates removed: what the context gets
    ranking: list[ScoredChunk]  # every fused candidate in order, for evaluation and the trace
    query_vector: Vectors
    hints: list[DateHint]


class HybridRetriever:
    def __init__(
        self, embedder: Embedder, store: ChromaStore, lexical: LexicalIndex, *, candidates: int = 20
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.lexical = lexical
        self.candidates = candidates
        self.dedupe = Deduplicator()

    def dense(
        self, vector: Vectors, filters: Filters | None, lexical: LexicalIndex | None = None
    ) -> list[ScoredChunk]:
        """Dense hits, with their payloads from the in-memory lexical index. That index holds
        exactly the committed chunks this worker knows, so a hit it lacks (an ingest under way,
        or one newer than the last refresh) is left out: answers read a whole old article or
        a whole new one, never a mix."""
        known = (lexical or self.lexical).by_id
        return [
            known[chunk_id].model_copy(update={"scores": {"dense": similarity}})
            for chunk_id, similarity in self.store.nearest(vector, self.candidates, filters)
            if chunk_id in known
        ]

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> Retrieved:
        lexical_index = self.lexical  # one snapshot for both legs, whatever a refresh swaps in
        vector = self.embedder.embed_query(question)
        dense = self.dense(vector, filters, lexical_index)
        lexical = lexical_index.search(question, self.candidates, filters)
        fused: dict[str, ScoredChunk] = {}
        for name, ranked in (("dense", dense), ("bm25", lexical)):
            for rank, chunk in enumerate(ranked, start=1):
                entry = fused.setdefault(chunk.chunk_id, chunk.model_copy(update={"scores": {}}))
                entry.scores[name] = chunk.scores[name]
                entry.scores[f"{name}_rank"] = rank
                entry.scores["rrf"] = entry.scores.get("rrf", 0.0) + 1.0 / (RRF_K + rank)
        hints = date_hints(question)
        for chunk in fused.values():
            bonus = 1.0 / (RRF_K + 1) if any(h.matches(chunk.published) for h in hints) else 0.0
            chunk.scores["date_bonus"] = bonus
            chunk.scores["fused"] = chunk.scores["rrf"] + bonus
        ranked = sorted(fused.values(), key=lambda c: -c.scores["fused"])
        return Retrieved(self.dedupe.top(ranked, k), ranked, vector, hints)
