"""Evaluation: gold questions through the product, scored, summarized, reported and gated.

``run_eval`` is the one call behind ``rag eval`` and ``make eval``; see ``eval/schema.py`` for
the gold format, ``eval/metrics.py`` and ``eval/citations.py`` for what each score means.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.citations import Judge, ProductJudge, StrictLexicalJudge, SupportCheck
from eval.gate import DEFAULT_TOLERANCE, Comparison, compare
from eval.report import render_html
from eval.runner import Backend, CaseResult, InProcess, OverHTTP, run_cases
from eval.schema import GoldCase, GoldFormatError, load_gold
from eval.summary import headline, summarize
from rag.errors import RagError
from service.settings import Settings


@dataclass
class EvalOutcome:
    summary: dict[str, Any]
    results: list[CaseResult]
    out: Path
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return any(c.regressed for c in self.comparisons)


def select(cases: list[GoldCase], split: str, limit: int | None) -> list[GoldCase]:
    chosen = [c for c in cases if split == "all" or c.split == split]
    return chosen[:limit] if limit else chosen


def run_eval(
    settings: Settings,
    *,
    gold: Path,
    out: Path,
    url: str | None = None,
    api_key: str | None = None,
    baseline: Path | None = None,
    limit: int | None = None,
    split: str = "all",
    tolerance: float = DEFAULT_TOLERANCE,
    progress: Callable[[Iterable[GoldCase]], Iterable[GoldCase]] = lambda x: x,
) -> EvalOutcome:
    cases = select(load_gold(gold), split, limit)
    if not cases:
        raise GoldFormatError(f"No cases in {gold} for split {split!r}.")
    base_summary = None
    if baseline is not None:  # read it first: a bad path fails before minutes of answering
        try:
            base_summary = json.loads(baseline.read_text())
        except (OSError, ValueError) as exc:
            raise RagError(f"Cannot read the baseline {baseline}: {exc}.") from None

    # The product's own support test judges citations in both modes: in process it is the
    # service's; against a service it runs here, on local models.
    backend: Backend
    check: SupportCheck
    if url:
        from rag.verification.verifier import verify_support
        from service.root import build_verifier

        remote = OverHTTP(url, api_key)
        remote.check()
        backend = remote
        structural = build_verifier(settings, None)

        def check(claim: str, evidence: list[str], question: str, context: str) -> bool:
            return verify_support(structural, claim, evidence, question, context)
    else:
        from service.core import Service

        service = Service.from_settings(settings)
        service.warm_up()  # latency percentiles measure questions, not model loading
        backend = InProcess(service)
        check = service.check_support
    judges: list[Judge] = [ProductJudge(check), StrictLexicalJudge()]
    results = run_cases(cases, backend, judges, k=settings.retrieval_k, progress=progress)
    summary = summarize(
        results,
        run={
            "gold": str(gold),
            "gold_sha256": hashlib.sha256(gold.read_bytes()).hexdigest()[:16],
            "split": split,
            "limit": limit,
            "backend": backend.name,
            "k": settings.retrieval_k,
        },
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for r in results:
            f.write(r.model_dump_json() + "\n")
    (out / "report.html").write_text(render_html(summary, results), encoding="utf-8")
    outcome = EvalOutcome(summary, results, out)
    if base_summary is not None:
        outcome.comparisons = compare(summary, base_summary, tolerance)
    return outcome


__all__ = ["EvalOutcome", "headline", "run_eval", "select"]
