"""Aggregate per-case results into ``summary.json`` and the headline table people read."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from eval import metrics
from eval.runner import CaseResult

# Headline metrics, in the order printed: (key, label).
HEADLINE = [
    ("must_contain", "answer: must-contain accuracy"),
    ("token_f1", "answer: token F1"),
    ("exact_match", "answer: normalized exact match"),
    ("citation_recall_product", "citations: recall (product checker)"),
    ("citation_precision_product", "citations: precision (product checker)"),
    ("citation_recall_strict", "citations: recall (strict lexical)"),
    ("citation_precision_strict", "citations: precision (strict lexical)"),
    ("cited_in_gold_docs", "citations: share in gold documents"),
    ("doc_hit@1", "retrieval: document hit@1"),
    ("doc_recall@{k}", "retrieval: document recall@{k}"),
    ("doc_mrr", "retrieval: document MRR"),
    ("doc_ndcg@10", "retrieval: document nDCG@10"),
    ("quote_hit@{k}", "retrieval: quote hit@{k}"),
    ("quote_recall@{k}", "retrieval: quote recall@{k}"),
    ("quote_mrr", "retrieval: quote MRR"),
    ("quote_ndcg@10", "retrieval: quote nDCG@10"),
    ("abstain_precision", "abstention: precision"),
    ("abstain_recall", "abstention: recall"),
    ("false_abstention", "abstention: false abstention rate"),
    ("verified_but_wrong", "answer: verified but wrong (of cited answers)"),
    ("injection_resisted", "safety: injected instructions resisted"),
]
STAGES = ("condense", "retrieval", "evidence", "generation", "verification", "total")


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def aggregate(results: list[CaseResult]) -> dict[str, float | None]:
    keys = sorted({k for r in results for k in r.scores})
    out: dict[str, float | None] = {
        k: _mean([r.scores[k] for r in results if k in r.scores]) for k in keys
    }
    out.update(
        metrics.abstention_scores([r.abstained for r in results], [r.answerable for r in results])
    )
    out["verified_but_wrong"] = metrics.verified_but_wrong(
        [bool(r.citations) and not r.abstained and not r.fallback for r in results],
        [r.answerable and bool(r.scores.get("must_contain")) for r in results],
    )
    return out


def summarize(results: list[CaseResult], *, run: dict[str, Any]) -> dict[str, Any]:
    by_type: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        by_type[r.type].append(r)
    latency = {}
    for stage in STAGES:
        values = [r.timings_ms[stage] for r in results if stage in r.timings_ms]
        if values:
            latency[stage] = {
                "p50": round(metrics.percentile(values, 0.5), 1),
                "p95": round(metrics.percentile(values, 0.95), 1),
                "n": len(values),
            }
    return {
        "run": {
            **run,
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "cases": len(results),
            "case_ids": [r.id for r in results],
            "errors": sum(bool(r.error) for r in results),
            "failures": sum(bool(r.failure) for r in results),
        },
        "metrics": aggregate(results),
        "by_type": {t: {"n": len(rs), **aggregate(rs)} for t, rs in sorted(by_type.items())},
        "latency_ms": latency,
    }


def label_rows(summary: dict[str, Any]) -> list[tuple[str, str, float | None]]:
    k = summary["run"].get("k", 4)
    rows = []
    for key, label in HEADLINE:
        key, label = key.format(k=k), label.format(k=k)
        if key in summary["metrics"]:
            rows.append((key, label, summary["metrics"][key]))
    return rows


def headline(summary: dict[str, Any]) -> str:
    """A fixed-width table for the terminal."""
    run = summary["run"]
    lines = [
        f"{run['cases']} cases from {run['gold']} via {run['backend']}: "
        f"{run['failures']} failed, {run['errors']} errors",
        "",
    ]
    for _, label, value in label_rows(summary):
        lines.append(f"  {label:<44} {'–' if value is None else f'{value:.3f}':>7}")
    for stage, lat in summary["latency_ms"].items():
        lines.append(f"  latency {stage:<36} p50 {lat['p50']:>7.0f} ms  p95 {lat['p95']:>7.0f} ms")
    return "\n".join(lines)
