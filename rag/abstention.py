"""When to say "the articles don't say", decided by evidence rather than by the model.

Two gates, both calibrated on the dev questions (bench/calibrate.py):
* before generation: the best evidence sentence scores below ``abstain_below``, so nothing
  retrieved is about the question (the LLM is not even called);
* after verification: the model answered NOT IN ARTICLES, or no sentence of its answer is
  supported by a shown passage.
"""

from __future__ import annotations

from rag.types import ScoredChunk

NOT_IN_ARTICLES = "NOT IN ARTICLES"


def model_declined(raw: str) -> bool:
    return NOT_IN_ARTICLES.lower() in raw.lower()


def abstention_text(chunks: list[ScoredChunk], limit: int = 3) -> str:
    """Say so plainly, and list the closest sources a reader might check."""
    seen: dict[str, ScoredChunk] = {}
    for c in chunks:
        seen.setdefault(c.doc_id, c)
    sources = "; ".join(
        f"{c.title} ({c.doc_id}{', ' + c.published.isoformat() if c.published else ''})"
        for c in list(seen.values())[:limit]
    )
    text = "The articles do not contain the answer to this question."
    return f"{text} Closest sources: {sources}." if sources else text
