"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by a convex combination.

Each leg's scores are scaled to [0, 1] over its candidates (BM25 from its floor 0, cosine
min-max) and fused as ``w * bm25 + (1 - w) * dense``, a chunk missing from a leg scoring 0
there. This replaced reciprocal rank fusion: RRF sees ranks only, so a chunk BM25 ranks first
by far but MiniLM misses (1/61) lost to chunks both legs rank in the middle (1/64 + 1/65),
which among thousands of same-topic articles pushed real answers out of the top 5; the
convex combination keeps BM25's margin (Bruch et al. 2023 found it beats RRF in and out of
domain). Measured (BENCHMARKS.md, DESIGN.md): CACM MAP 0.370 -> 0.384, dev evidence
recall@5 among 5k chunks of same-topic distractors 0.64 -> 0.96 (1.00 with the re-rank).

Then: a bonus for articles published within a day of a day the question names (or in a month
it names), the second stage (a ``Reranker``, by default ``rerank.ProximityReranker``), removal
of near-duplicate chunks (overlapping spans of one article, or the same text in two articles),
and the top k.
Every chunk keeps each stage's score and rank in ``scores`` for the trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.dates import DateHint, date_hints
from rag.lexical import LexicalIndex
from rag.lexical_sync import CommittedIndex
from rag.protocols import ChunkStore, Embedder, Vectors
from rag.rerank import Reranker
from rag.text import words
from rag.types import Filters, ScoredChunk

DATE_BONUS = 0.25  # a quarter of the best possible fused score: the date sways, never rules


Shingles = frozenset[tuple[str, ...]]


def shingles(text: str) -> Shingles:
    found = words(text)
    if len(found) < 3:
        return frozenset([tuple(found)])
    return frozenset(zip(found, found[1:], found[2:], strict=False))


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
    """Dense and BM25 candidates of one committed snapshot, fused, re-ranked, deduplicated."""

    def __init__(
        self,
        embedder: Embedder,
        store: ChunkStore,
        index: CommittedIndex,
        *,
        candidates: int,
        bm25_weight: float,
        reranker: Reranker | None,
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.index = index
        self.candidates = candidates
        self.bm25_weight = bm25_weight
        self.reranker = reranker
        self.dedupe = Deduplicator()

    def dense(
        self, vector: Vectors, filters: Filters | None, lexical: LexicalIndex | None = None
    ) -> list[ScoredChunk]:
        """Dense hits, with their payloads from the in-memory lexical index. That index holds
        exactly the committed chunks this worker knows, so a hit it lacks (an ingest under way,
        or one newer than the last refresh) is left out: answers read a whole old article or
        a whole new one, never a mix."""
        known = (lexical or self.index.current).by_id
        return [
            known[chunk_id].model_copy(update={"scores": {"dense": similarity}})
            for chunk_id, similarity in self.store.nearest(vector, self.candidates, filters)
            if chunk_id in known
        ]

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> Retrieved:
        lexical_index = self.index.current  # one snapshot for both legs and the re-rank
        vector = self.embedder.embed_query(question)
        dense = self.dense(vector, filters, lexical_index)
        lexical = lexical_index.search(question, self.candidates, filters)
        fused: dict[str, ScoredChunk] = {}
        legs = (("dense", dense, 1.0 - self.bm25_weight), ("bm25", lexical, self.bm25_weight))
        for name, ranked, weight in legs:
            for rank, (chunk, scaled) in enumerate(
                zip(ranked, _scaled(name, ranked), strict=True), start=1
            ):
                entry = fused.setdefault(chunk.chunk_id, chunk.model_copy(update={"scores": {}}))
                entry.scores[name] = chunk.scores[name]
                entry.scores[f"{name}_rank"] = rank
                entry.scores["combined"] = entry.scores.get("combined", 0.0) + weight * scaled
        hints = date_hints(question)
        for chunk in fused.values():
            bonus = DATE_BONUS if any(h.matches(chunk.published) for h in hints) else 0.0
            chunk.scores["date_bonus"] = bonus
            chunk.scores["fused"] = chunk.scores["combined"] + bonus
        ranked = sorted(fused.values(), key=lambda c: -c.scores["fused"])
        if self.reranker is not None:
            ranked = self.reranker.rerank(question, ranked, lexical_index)
        return Retrieved(self.dedupe.top(ranked, k), ranked, vector, hints)


def _scaled(leg: str, ranked: list[ScoredChunk]) -> list[float]:
    """A leg's scores in [0, 1]: BM25 as a share of its top score (0 is its floor, so the
    ratios between matches survive), cosine min-max (its floor varies by model)."""
    values = [c.scores[leg] for c in ranked]
    if not values:
        return []
    top = max(values)
    low = 0.0 if leg == "bm25" else min(values)
    if top <= low:
        return [1.0 for _ in values]
    return [(v - low) / (top - low) for v in values]
