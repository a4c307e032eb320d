"""Scores of one answer against its gold case: pure functions on plain values.

Retrieval (by document and by supporting quote), answer text (must-contain, normalized exact
match, token F1), abstention, and latency percentiles. Citation scores live in
``eval.citations``; aggregation over many cases in ``eval.summary``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from rag.text import normalize, words

# --- answers --------------------------------------------------------------------------------


def contains_all(text: str, groups: Sequence[Sequence[str]]) -> bool:
    """Every group has a variant in ``text`` (compared normalized, on word boundaries)."""
    padded = f" {normalize(text)} "
    return all(any(f" {normalize(v)} " in padded for v in group) for group in groups)


def contains_any(text: str, variants: Sequence[str]) -> bool:
    """Some variant is in ``text`` (compared as ``contains_all`` does)."""
    return any(contains_all(text, [[v]]) for v in variants)


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize(prediction) == normalize(reference))


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = normalize(prediction).split(), normalize(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


# --- retrieval ------------------------------------------------------------------------------


def dedupe(items: Sequence[str]) -> list[str]:
    """Documents in the order of their best chunk."""
    return list(dict.fromkeys(items))


def hit_at_k(relevant: Sequence[bool], k: int) -> float:
    return float(any(relevant[:k]))


def recall_at_k(found: Sequence[set[int]], n_gold: int, k: int) -> float:
    """Share of the ``n_gold`` gold items covered by the first ``k`` ranked items, where
    ``found[i]`` holds the gold items ranked item ``i`` covers."""
    if n_gold == 0:
        return 0.0
    covered: set[int] = set().union(*found[:k]) if found[:k] else set()
    return len(covered) / n_gold


def reciprocal_rank(relevant: Sequence[bool]) -> float:
    return next((1.0 / (i + 1) for i, r in enumerate(relevant) if r), 0.0)


def ndcg_at_k(found: Sequence[set[int]], n_gold: int, k: int = 10) -> float:
    """Binary nDCG where a ranked item gains only for gold items not covered above it, so two
    overlapping chunks holding the same quote do not count it twice."""
    if n_gold == 0:
        return 0.0
    seen: set[int] = set()
    dcg = 0.0
    for i, items in enumerate(found[:k]):
        new = items - seen
        if new:
            dcg += 1.0 / math.log2(i + 2)
            seen |= new
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(n_gold, k)))
    return dcg / ideal


def _words(text: str) -> list[str]:
    return words(normalize(text))


def quote_in(quote: str, text: str, threshold: float = 0.7) -> bool:
    """A passage holds a quote when it holds ≥ 70 % of its word trigrams: cleaning may have
    changed a glyph, and a chunk boundary may cut a long quote."""
    words = _words(quote)
    grams = {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}
    body = _words(text)
    have = {tuple(body[i : i + 3]) for i in range(max(1, len(body) - 2))}
    return len(grams & have) >= threshold * len(grams)


def retrieval_scores(
    ranked: Sequence[tuple[str, str]], doc_ids: Sequence[str], quotes: Sequence[str], k: int
) -> dict[str, float]:
    """``ranked``: (doc_id, text) of retrieved chunks, best first."""
    docs = dedupe([d for d, _ in ranked])
    gold = list(dict.fromkeys(doc_ids))
    by_doc = [{gold.index(d)} if d in gold else set() for d in docs]
    by_quote = [{i for i, q in enumerate(quotes) if quote_in(q, text)} for _, text in ranked]
    return {
        "doc_hit@1": hit_at_k([bool(s) for s in by_doc], 1),
        f"doc_hit@{k}": hit_at_k([bool(s) for s in by_doc], k),
        f"doc_recall@{k}": recall_at_k(by_doc, len(gold), k),
        "doc_mrr": reciprocal_rank([bool(s) for s in by_doc]),
        "doc_ndcg@10": ndcg_at_k(by_doc, len(gold)),
        f"quote_hit@{k}": hit_at_k([bool(s) for s in by_quote], k),
        f"quote_recall@{k}": recall_at_k(by_quote, len(quotes), k),
        "quote_mrr": reciprocal_rank([bool(s) for s in by_quote]),
        "quote_ndcg@10": ndcg_at_k(by_quote, len(quotes)),
    }


def evidence_rank(ranked: Sequence[tuple[str, str]], quotes: Sequence[str]) -> int | None:
    """1-based rank of the first chunk holding a gold quote (None: not retrieved)."""
    return next(
        (i + 1 for i, (_, t) in enumerate(ranked) if any(quote_in(q, t) for q in quotes)), None
    )


# --- abstention and latency -----------------------------------------------------------------


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float]:
    """Precision and recall of abstaining on unanswerable questions; false abstention rate."""
    tp = sum(a and not g for a, g in zip(abstained, answerable, strict=True))
    fp = sum(a and g for a, g in zip(abstained, answerable, strict=True))
    n_unanswerable = sum(not g for g in answerable)
    n_answerable = sum(answerable)
    return {
        "abstain_precision": tp / (tp + fp) if tp + fp else 0.0,
        "abstain_recall": tp / n_unanswerable if n_unanswerable else 0.0,
        "false_abstention": fp / n_answerable if n_answerable else 0.0,
    }


def verified_but_wrong(cited: Sequence[bool], correct: Sequence[bool]) -> float:
    """Share of answers shown with verified citations that fail the gold check (a wrong fact,
    or any answer to a question the articles cannot answer): what a reader would wrongly
    trust. ``cited``: answered with at least one verified citation (quotes fallbacks aside)."""
    shown = [ok for c, ok in zip(cited, correct, strict=True) if c]
    return sum(not ok for ok in shown) / len(shown) if shown else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
