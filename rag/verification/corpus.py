"""Verify a user's statement against the articles: search, align, judge, cite the exact span.

The statement itself is the query. The retrieved chunks of each article are joined where they
overlap into contiguous segments, so a window of two adjacent sentences can straddle a chunk
boundary, and every sentence keeps its offsets in the article: the citation's quote is
``article.text[start:end]`` exactly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from rag.retrieval import HybridRetriever
from rag.sentences import sentence_spans
from rag.types import Citation, Filters, ScoredChunk
from rag.verification.types import Verdict
from rag.verification.verifier import ClaimVerifier


@dataclass(frozen=True)
class Segment:
    """Contiguous article text assembled from overlapping chunks, split into sentences."""

    doc_id: str
    title: str
    chunk_id: str
    published: object
    start: int  # offset of ``text`` in the article
    text: str
    sentences: list[tuple[int, int, str]]  # (start, end, text) in the article

    def quote(self, first: int, last: int) -> tuple[str, int, int]:
        """The article's own text from sentence ``first`` to ``last``, gaps included."""
        s, e = self.sentences[first][0], self.sentences[last][1]
        return self.text[s - self.start : e - self.start], s, e


def segments(chunks: Sequence[ScoredChunk]) -> list[Segment]:
    by_doc: dict[str, list[ScoredChunk]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    out: list[Segment] = []
    for doc_chunks in by_doc.values():
        doc_chunks.sort(key=lambda c: c.start)
        runs: list[tuple[int, str, ScoredChunk]] = []  # (start, text, first chunk)
        for c in doc_chunks:
            if runs and c.start <= runs[-1][0] + len(runs[-1][1]):
                start, text, first = runs[-1]
                end = start + len(text)
                runs[-1] = (start, text + c.text[max(0, end - c.start) :], first)
            else:
                runs.append((c.start, c.text, c))
        for start, text, first in runs:
            sents = [(start + s, start + e, text[s:e]) for s, e in sentence_spans(text)]
            out.append(
                Segment(
                    first.doc_id, first.title, first.chunk_id, first.published, start, text, sents
                )
            )
    return out


def verify_claim(
    claim: str,
    retriever: HybridRetriever,
    verifier: ClaimVerifier,
    *,
    k: int,
    filters: Filters | None = None,
) -> Verdict:
    t0 = time.perf_counter()
    retrieved = retriever.retrieve(claim, k, filters)
    t_retrieval = round((time.perf_counter() - t0) * 1000, 2)
    segs = segments(retrieved.chunks)
    decision = verifier.check(claim, [[s[2] for s in seg.sentences] for seg in segs])
    citations: list[Citation] = []
    if decision.label != "not_found" and decision.passage is not None:
        seg = segs[decision.passage]
        quote, start, end = seg.quote(decision.first, decision.last)
        citations.append(
            Citation(
                n=1,
                doc_id=seg.doc_id,
                title=seg.title,
                published=seg.published,  # type: ignore[arg-type]
                chunk_id=seg.chunk_id,
                quote=quote,
                start=start,
                end=end,
            )
        )
    return Verdict(
        claim=claim,
        verdict=decision.label,
        citations=citations,
        trace={
            "decision": decision.model_dump(),
            "retrieved": [
                {"chunk_id": c.chunk_id, "doc_id": c.doc_id, "scores": c.scores}
                for c in retrieved.chunks
            ],
            "timings_ms": {
                "retrieval": t_retrieval,
                **{f"verify_{k}": v for k, v in decision.timings_ms.items()},
                "total": round((time.perf_counter() - t0) * 1000, 2),
            },
        },
    )
