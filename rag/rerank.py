"""Second stage: re-rank the fused candidates by how much of the question one passage holds.

The answer to a factual question is usually one or two adjacent sentences that hold most of
its rare words together, while a same-topic distractor scatters them. So each candidate gets
``proximity``: the largest IDF-weighted share of the question's terms found within two
adjacent sentences (terms are the BM25 index's stems, IDF its live document frequencies), and
candidates are ordered by ``fused + weight * proximity``. Measured (DESIGN.md): on the dev
questions among 5k chunks of same-topic distractors it lifts hit@1 0.61 -> 0.71 and
recall@5 0.96 -> 1.00; on CACM (long descriptive queries over abstracts) it costs 0.005 MAP.

No packaged cross-encoder exists here (MODELS.md), and MiniLM already takes ~150 ms to score
the sentences of the top 4 chunks (``bench/scale.py``), so scoring 100 candidates' would take
seconds; this stage takes ~20 ms cold at 100k chunks, with stems cached per chunk id.
"""

from __future__ import annotations

from typing import Protocol

from rag.lexical import LexicalIndex
from rag.sentences import sentence_spans
from rag.text import tokenize
from rag.types import ScoredChunk


class Reranker(Protocol):
    def rerank(
        self, question: str, ranked: list[ScoredChunk], lexical: LexicalIndex
    ) -> list[ScoredChunk]:
        """The same chunks, re-ordered, each with its stage score added to ``scores``."""
        ...


class ProximityReranker:
    """Re-ranks every fused candidate (at most twice ``retrieval_candidates``)."""

    def __init__(self, weight: float, cache_size: int = 50_000) -> None:
        self.weight = weight
        self._cache_size = cache_size
        self._windows: dict[str, list[frozenset[str]]] = {}

    def windows(self, chunks: list[ScoredChunk]) -> list[list[frozenset[str]]]:
        """The stems of each pair of adjacent sentences, per chunk (chunk ids carry the
        version, so a cached entry never goes stale). Misses are tokenized in one call:
        the tokenizer's set-up costs more than a chunk's words. Requests share the cache
        from several threads, so a full cache is replaced, never cleared under a reader."""
        cache = self._windows
        found = {c.chunk_id: cache.get(c.chunk_id) for c in chunks}
        missing = [c for c in chunks if found[c.chunk_id] is None]
        sentences = [[c.text[s:e] for s, e in sentence_spans(c.text)] for c in missing]
        stems = iter(tokenize([s for group in sentences for s in group]))
        if len(cache) + len(missing) > self._cache_size:
            cache = self._windows = {}
        for chunk, group in zip(missing, sentences, strict=True):
            sets = [set(next(stems)) for _ in group]
            found[chunk.chunk_id] = cache[chunk.chunk_id] = [
                frozenset(a | b) for a, b in zip(sets, [*sets[1:], set()], strict=True)
            ]
        return [found[c.chunk_id] or [] for c in chunks]

    def rerank(
        self, question: str, ranked: list[ScoredChunk], lexical: LexicalIndex
    ) -> list[ScoredChunk]:
        terms = set(lexical.query_terms(question))
        weights = {t: lexical.idf(t) for t in terms}
        total = sum(weights.values())
        for chunk, windows in zip(ranked, self.windows(ranked), strict=True):
            best = max((sum(weights[t] for t in terms & window) for window in windows), default=0.0)
            chunk.scores["proximity"] = round(best / total, 4) if total else 0.0
            chunk.scores["final"] = chunk.scores["fused"] + self.weight * chunk.scores["proximity"]
        # sorted() is stable: the fused order breaks exact ties
        return sorted(ranked, key=lambda c: -c.scores["final"])
