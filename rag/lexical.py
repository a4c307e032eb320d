"""BM25 over the committed chunks, updated incrementally in immutable segments (as Lucene does).

An ingest adds one segment for the articles it wrote and marks the rows of replaced or removed
articles deleted; nothing already indexed is tokenized again. Document frequencies and the
average length are taken over live rows at query time, so scores equal a fresh build's
(Lucene's BM25: idf = ln(1 + (N - df + .5) / (df + .5)), tf / (tf + k1 (1 - b + b dl/avgdl))).

Every update returns a new ``LexicalIndex`` that shares the untouched segments, and callers swap
it in with one assignment: a query running meanwhile reads one consistent state, so it sees an
article's old chunks or its new ones, never a mix.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.text import tokenize
from rag.types import BM25Params, Filters, ScoredChunk

MAX_SEGMENTS = 8  # past this, the small segments are merged into one
MAX_DEAD = 0.25  # past this share of deleted rows, everything is merged


def version_of(chunk_id: str) -> str:
    """Chunk ids are ``doc::version::index``; doc ids may themselves hold ``::``."""
    return chunk_id.rsplit("::", 2)[-2]


@dataclass(frozen=True, eq=False)
class Segment:
    """Postings of a fixed set of chunks, by term (CSR): ``rows[indptr[t]:indptr[t + 1]]``."""

    name: str
    chunks: tuple[ScoredChunk, ...]
    terms: tuple[str, ...]
    indptr: np.ndarray  # int64, len(terms) + 1
    rows: np.ndarray  # int32 row of each posting
    tfs: np.ndarray  # float32 term frequency of each posting
    lengths: np.ndarray  # float32 tokens per row
    lookup: dict[str, int] = field(init=False, repr=False)
    days: np.ndarray = field(init=False, repr=False)
    doc_rows: dict[str, list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: derived fields are set once, here
        set_(self, "lookup", {t: i for i, t in enumerate(self.terms)})
        days = [c.published.toordinal() if c.published else -1 for c in self.chunks]
        set_(self, "days", np.array(days, dtype=np.int64))
        doc_rows: dict[str, list[int]] = {}
        for i, c in enumerate(self.chunks):
            doc_rows.setdefault(c.doc_id, []).append(i)
        set_(self, "doc_rows", doc_rows)

    @classmethod
    def from_postings(
        cls, chunks: Sequence[ScoredChunk], terms: Sequence[str], term_of: Any, row_of: Any, tf: Any
    ) -> Segment:
        """From parallel posting arrays, in any order (deduplicated (term, row) pairs)."""
        n = max(1, len(chunks))
        order = np.argsort(np.asarray(term_of, dtype=np.int64) * n + row_of, kind="stable")
        term_sorted = np.asarray(term_of)[order]
        indptr = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_sorted, minlength=len(terms)), out=indptr[1:])
        lengths = np.bincount(row_of, weights=tf, minlength=len(chunks)).astype(np.float32)
        return cls(
            name=uuid.uuid4().hex[:16],
            chunks=tuple(chunks),
            terms=tuple(terms),
            indptr=indptr,
            rows=np.asarray(row_of, dtype=np.int32)[order],
            tfs=np.asarray(tf, dtype=np.float32)[order],
            lengths=lengths,
        )

    @classmethod
    def build(cls, chunks: Sequence[ScoredChunk]) -> Segment:
        tokens = tokenize([c.text for c in chunks])
        vocab: dict[str, int] = {}
        flat = [vocab.setdefault(t, len(vocab)) for doc in tokens for t in doc]
        rows = np.repeat(np.arange(len(chunks)), [len(doc) for doc in tokens])
        n = max(1, len(chunks))
        keys, tf = np.unique(np.asarray(flat, dtype=np.int64) * n + rows, return_counts=True)
        return cls.from_postings(chunks, list(vocab), keys // n, keys % n, tf)

    def posting_terms(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.terms)), np.diff(self.indptr))


@dataclass(frozen=True, eq=False)
class LiveSegment:
    """A segment with its deleted rows masked, and the statistics of the rest."""

    segment: Segment
    live: np.ndarray  # bool per row
    df: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        seg = self.segment
        counts = np.zeros(len(seg.terms), dtype=np.int64)
        if len(seg.rows):
            per_posting = self.live[seg.rows].astype(np.int64)
            cum = np.concatenate([[0], np.cumsum(per_posting)])
            counts = cum[seg.indptr[1:]] - cum[seg.indptr[:-1]]
        object.__setattr__(self, "df", counts)

    def without(self, doc_ids: set[str]) -> LiveSegment:
        rows = [r for d in doc_ids for r in self.segment.doc_rows.get(d, ())]
        if not rows or not self.live[rows].any():
            return self
        live = self.live.copy()
        live[rows] = False
        return LiveSegment(self.segment, live)

    def mask(self, filters: Filters | None) -> np.ndarray:
        mask = self.live.copy()
        if filters is not None and filters.doc_ids:
            wanted = set(filters.doc_ids)
            mask &= np.array([c.doc_id in wanted for c in self.segment.chunks], dtype=bool)
        if filters is not None and filters.since:
            mask &= self.segment.days >= filters.since.toordinal()
        if filters is not None and filters.until:
            days = self.segment.days
            mask &= (days >= 0) & (days <= filters.until.toordinal())
        return mask


class LexicalIndex:
    def __init__(self, parts: Sequence[LiveSegment], params: BM25Params) -> None:
        self.parts = tuple(p for p in parts if p.live.any())
        self.params = params
        self.by_id = {
            c.chunk_id: c
            for p in self.parts
            for c, ok in zip(p.segment.chunks, p.live, strict=True)
            if ok
        }
        self.n_live = len(self.by_id)
        total = sum(float(p.segment.lengths[p.live].sum()) for p in self.parts)
        self._avgdl = total / self.n_live if self.n_live else 1.0

    @classmethod
    def build(cls, chunks: Sequence[ScoredChunk], params: BM25Params) -> LexicalIndex:
        """A fresh index of these chunks in one segment (the baseline an update is measured by)."""
        chunks = sorted(chunks, key=lambda c: c.chunk_id)
        if not chunks:
            return cls([], params)
        return cls([LiveSegment(Segment.build(chunks), np.ones(len(chunks), dtype=bool))], params)

    @property
    def chunks(self) -> list[ScoredChunk]:
        return list(self.by_id.values())

    @property
    def fingerprint(self) -> str:
        key = "\n".join(sorted(self.by_id)) + f"\nk1={self.params.k1} b={self.params.b}"
        return hashlib.sha256(key.encode()).hexdigest()[:20]

    def versions(self) -> dict[str, tuple[str, int]]:
        """Each indexed article's version and live chunk count, to compare with the store."""
        out: dict[str, tuple[str, int]] = {}
        for chunk_id, chunk in self.by_id.items():
            version, count = out.get(chunk.doc_id, (version_of(chunk_id), 0))
            out[chunk.doc_id] = (version, count + 1)
        return out

    def query_terms(self, query: str) -> list[str]:
        """The query's stems as search and the re-rank weigh them (``BM25Params``); a query
        of function words alone ("Who was there?") keeps them rather than match nothing."""
        terms = tokenize([query], self.params.query_stopwords)[0]
        return terms or tokenize([query])[0]

    def idf(self, term: str) -> float:
        """Lucene's BM25 IDF of ``term`` (a stem, as ``tokenize`` makes them) over the live
        chunks; 0 for a term no live chunk holds."""
        df = sum(int(p.df[i]) for p in self.parts if (i := p.segment.lookup.get(term)) is not None)
        if df == 0:
            return 0.0
        return math.log(1 + (self.n_live - df + 0.5) / (df + 0.5))

    def updated(self, removed: Iterable[str], added: Sequence[ScoredChunk]) -> LexicalIndex:
        """A new index without the articles ``removed`` and with the chunks ``added``; only
        ``added`` is tokenized. This index is left as it was."""
        gone = set(removed)
        parts = [p.without(gone) for p in self.parts]
        if added:
            chunks = sorted(added, key=lambda c: c.chunk_id)
            parts.append(LiveSegment(Segment.build(chunks), np.ones(len(chunks), dtype=bool)))
        return LexicalIndex(_merge_policy(parts), self.params)

    def search(self, query: str, n: int, filters: Filters | None = None) -> list[ScoredChunk]:
        if not self.n_live or n <= 0:
            return []
        k1, b = self.params.k1, self.params.b
        tokens = self.query_terms(query)
        scores = [np.zeros(len(p.segment.chunks), dtype=np.float32) for p in self.parts]
        for token in tokens:  # a repeated query word counts again, as in bm25s
            local = [p.segment.lookup.get(token) for p in self.parts]
            idf = self.idf(token)
            if idf == 0:  # no live chunk holds it (a held term's IDF is always > 0)
                continue
            for p, i, acc in zip(self.parts, local, scores, strict=True):
                if i is None:
                    continue
                seg = p.segment
                lo, hi = seg.indptr[i], seg.indptr[i + 1]
                rows, tf = seg.rows[lo:hi], seg.tfs[lo:hi]
                norm = k1 * (1 - b + b * seg.lengths[rows] / self._avgdl)
                acc[rows] += idf * tf / (tf + norm)
        hits: list[tuple[float, ScoredChunk]] = []
        for p, acc in zip(self.parts, scores, strict=True):
            acc[~p.mask(filters)] = 0
            top = (
                np.argpartition(-acc, min(n, len(acc)) - 1)[:n] if len(acc) > n else range(len(acc))
            )
            hits.extend((float(acc[i]), p.segment.chunks[i]) for i in top if acc[i] > 0)
        hits.sort(key=lambda h: (-h[0], h[1].chunk_id))
        return [c.model_copy(update={"scores": {"bm25": s}}) for s, c in hits[:n]]


def _merge_policy(parts: list[LiveSegment]) -> list[LiveSegment]:
    """Merge everything when many rows are dead, else the small segments when there are many;
    the big one stays as it is, so an update costs in proportion to what changed."""
    rows = sum(len(p.live) for p in parts)
    dead = sum(int((~p.live).sum()) for p in parts)
    if rows and dead / rows > MAX_DEAD:
        return [merge(parts)] if parts else []
    if len(parts) <= MAX_SEGMENTS:
        return parts
    big = max(parts, key=lambda p: int(p.live.sum()))
    return [big, merge([p for p in parts if p is not big])]


def merge(parts: Sequence[LiveSegment]) -> LiveSegment:
    """The live rows of several segments as one, from their postings (no re-tokenizing)."""
    vocab: dict[str, int] = {}
    chunks: list[ScoredChunk] = []
    terms, rows, tfs = [], [], []
    for p in parts:
        seg = p.segment
        new_row = np.cumsum(p.live) - 1 + len(chunks)
        to_global = np.array([vocab.setdefault(t, len(vocab)) for t in seg.terms], dtype=np.int64)
        keep = p.live[seg.rows]
        terms.append(to_global[seg.posting_terms()[keep]])
        rows.append(new_row[seg.rows[keep]])
        tfs.append(seg.tfs[keep])
        chunks.extend(c for c, ok in zip(seg.chunks, p.live, strict=True) if ok)
    if not chunks:
        empty = np.zeros(0, dtype=np.int64)
        segment = Segment.from_postings([], [], empty, empty, empty)
    else:
        segment = Segment.from_postings(
            chunks, list(vocab), np.concatenate(terms), np.concatenate(rows), np.concatenate(tfs)
        )
    return LiveSegment(segment, np.ones(len(chunks), dtype=bool))
