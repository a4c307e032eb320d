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


def _shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def near_duplicate(a: ScoredChunk, b: ScoredChunk) -> bool:
    """Same article with mostly overlapping spans, or near-identical text anywhere."""
    if a.doc_id == b.doc_id:
        overlap = min(a.end, b.end) - max(a.start, b.start)
        if overlap > 0.6 * min(a.end - a.start, b.end - b.start):
            return True
    sa, sb = _shingles(a.text), _shingles(b.text)
    return len(sa & sb) / max(1, min(len(sa), len(sb))) > 0.8


@dataclass
class Retrieved:
    chunks: list[ScoredChunk]
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

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> Retrieved:
        vector = self.embedder.embed_query(question)
        dense = self.store.query(vector, self.candidates, filters)
        lexical = self.lexical.search(question, self.candidates, filters)
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
        kept: list[ScoredChunk] = []
        for chunk in ranked:
            if any(near_duplicate(chunk, other) for other in kept):
                continue
            kept.append(chunk)
            if len(kept) == k:
                break
        return Retrieved(kept, vector, hints)
