"""``rag eval-claims``: the claim benchmark through the product's own ``verify``, scored by
class, written beside the question eval's files and gated against a committed baseline."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.claims import ClaimCase, ClaimResult, claim_metrics, load_claims, run_claims
from eval.gate import Comparison, compare
from rag.errors import RagError
from rag.verification.types import Verdict
from service.settings import Settings

# Gated claim metrics and their direction (+1: higher is better).
GATED = {
    "false_support": -1,
    "supported_recall": +1,
    "contradiction_recall": +1,
    "quote_hit": +1,
}


@dataclass
class ClaimsOutcome:
    summary: dict[str, Any]
    results: list[ClaimResult]
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return any(c.regressed for c in self.comparisons)


def run_claims_eval(
    settings: Settings,
    *,
    claims: Path,
    out: Path,
    split: str = "all",
    limit: int | None = None,
    every: int = 1,
    baseline: Path | None = None,
    tolerance: float = 0.10,
    progress: Callable[[Iterable[ClaimCase]], Iterable[ClaimCase]] = lambda x: x,
) -> ClaimsOutcome:
    cases = [c for c in load_claims(claims) if split == "all" or c.split == split]
    # Every n-th claim: a sample that keeps every class (the file is grouped by class).
    cases = cases[::every]
    cases = cases[:limit] if limit else cases
    if not cases:
        raise RagError(f"No claims in {claims} for split {split!r}.")
    base = None
    if baseline is not None:
        try:
            base = json.loads(baseline.read_text())
        except (OSError, ValueError) as exc:
            raise RagError(f"Cannot read the baseline {baseline}: {exc}.") from None
    from service.core import Service

    service = Service.from_settings(settings)
    service.warm_up()

    def verify(claim: str) -> Verdict:
        return service.verify(claim)

    results = run_claims(verify, progress(cases))
    summary = {
        "run": {
            "claims": str(claims),
            "split": split,
            "limit": limit,
            "every": every,
            "case_ids": [r.id for r in results],
            "errors": 0,
        },
        "metrics": claim_metrics(results),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "claims.json").write_text(json.dumps(summary, indent=2) + "\n")
    with (out / "claims_results.jsonl").open("w", encoding="utf-8") as f:
        for r in results:
            f.write(r.model_dump_json() + "\n")
    outcome = ClaimsOutcome(summary, results)
    if base is not None:
        outcome.comparisons = compare(summary, base, tolerance, gated=GATED)
    return outcome
