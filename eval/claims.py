"""The claim-verification benchmark: labelled statements about the articles, scored by class.

``eval/data/claims.jsonl`` holds supported paraphrases and hard negatives in named classes
(negation, entity and role swaps, numbers, invented connectives, time and place, conflation,
plausible but unstated, restated questions, wrong attribution). The headline figures:

* false-support rate: the share of negatives the verifier calls supported (lower is better);
* supported recall: the share of supported claims it calls supported;
* quote hit: of the supported claims it accepts, the share whose cited quote holds the gold
  evidence (the reader is shown the sentence that says it);
* contradiction recall: of the claims labelled contradicted, the share it calls contradicted.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from rag.errors import InvalidRequestError
from rag.verification.types import Label, Verdict

SUPPORTED_CLASSES = frozenset(
    {"paraphrase", "word_order", "name_variant", "number_words", "date_variant"}
)
NEGATIVE_CLASSES = frozenset(
    {
        "negation",
        "entity_swap",
        "role_swap",
        "number_swap",
        "invented_connective",
        "time_place",
        "conflation",
        "plausible_unstated",
        "restated_question",
        "wrong_attribution",
    }
)


class ClaimCase(BaseModel):
    id: str
    split: Literal["dev", "test", "holdout"]
    claim: str
    label: Label
    # Classes are checked against the two sets above in ``load_claims``.
    cls: str
    doc_id: str | None = None
    evidence: str | None = None
    note: str = ""


class ClaimResult(BaseModel):
    id: str
    cls: str
    gold: Label
    predicted: Label
    quote: str | None = None
    quote_hit: bool | None = None
    ms: float
    reasons: list[str] = []
    judge: float | None = None


def claims_file(split: str) -> Path:
    """Where a split's claims are: the held-out split has a file of its own (written later,
    by someone who had not seen the verifier); dev and test share the benchmark's."""
    name = "claims_holdout.jsonl" if split == "holdout" else "claims.jsonl"
    return Path("eval/data") / name


def load_claims(path: Path) -> list[ClaimCase]:
    cases: list[ClaimCase] = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row["cls"] = row.pop("class")
            case = ClaimCase(**row)
        except (ValueError, KeyError, ValidationError) as exc:
            raise InvalidRequestError(f"{path}:{n}: not a valid claim case: {exc}") from None
        if case.cls not in SUPPORTED_CLASSES | NEGATIVE_CLASSES:
            raise InvalidRequestError(f"{path}:{n}: unknown class {case.cls!r}")
        if (case.label == "supported") != (case.cls in SUPPORTED_CLASSES):
            raise InvalidRequestError(
                f"{path}:{n}: label {case.label!r} does not fit class {case.cls!r}"
            )
        cases.append(case)
    return cases


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[“”\"’‘']", "'", text)).strip().lower()


def run_claims(verify: Callable[[str], Verdict], cases: Iterable[ClaimCase]) -> list[ClaimResult]:
    results = []
    for case in cases:
        t0 = time.perf_counter()
        verdict = verify(case.claim)
        ms = round((time.perf_counter() - t0) * 1000, 1)
        quote = verdict.citations[0].quote if verdict.citations else None
        hit = None
        if case.label == "supported" and verdict.verdict == "supported" and case.evidence:
            hit = quote is not None and _norm(case.evidence) in _norm(quote)
        decision = verdict.trace.get("decision", {})
        results.append(
            ClaimResult(
                id=case.id,
                cls=case.cls,
                gold=case.label,
                predicted=verdict.verdict,
                quote=quote,
                quote_hit=hit,
                ms=ms,
                reasons=list(decision.get("reasons", [])) if isinstance(decision, dict) else [],
                judge=decision.get("judge") if isinstance(decision, dict) else None,
            )
        )
    return results


def _rate(hits: int, n: int) -> float | None:
    return round(hits / n, 4) if n else None


def claim_metrics(results: list[ClaimResult]) -> dict[str, object]:
    pos = [r for r in results if r.gold == "supported"]
    neg = [r for r in results if r.gold != "supported"]
    contra = [r for r in results if r.gold == "contradicted"]
    hits = [r for r in pos if r.quote_hit is not None]
    by_class: dict[str, dict[str, object]] = {}
    for cls in sorted({r.cls for r in results}):
        rows = [r for r in results if r.cls == cls]
        accepted = sum(r.predicted == "supported" for r in rows)
        by_class[cls] = {
            "n": len(rows),
            "accepted": accepted,
            "rate": _rate(accepted, len(rows)),
            "kind": "supported" if cls in SUPPORTED_CLASSES else "negative",
        }
    ms = sorted(r.ms for r in results)
    return {
        "claims": len(results),
        "false_support": _rate(sum(r.predicted == "supported" for r in neg), len(neg)),
        "supported_recall": _rate(sum(r.predicted == "supported" for r in pos), len(pos)),
        "quote_hit": _rate(sum(bool(r.quote_hit) for r in hits), len(hits)),
        "contradiction_recall": _rate(
            sum(r.predicted == "contradicted" for r in contra), len(contra)
        ),
        "worst_negative_class": max(
            (
                (float(v["rate"] or 0.0), k)  # type: ignore[arg-type]
                for k, v in by_class.items()
                if v["kind"] == "negative"
            ),
            default=(0.0, ""),
        )[1],
        "ms_p50": ms[len(ms) // 2] if ms else None,
        "by_class": by_class,
    }


def claim_headline(m: dict[str, object]) -> str:
    """Claim verification on the terminal: the headline rates, then each class."""

    def fmt(v: object) -> str:
        return "–" if v is None else f"{float(v):.3f}"  # type: ignore[arg-type]

    lines = [
        f"  {'claims: false-support rate (negatives accepted)':<44} {fmt(m['false_support']):>7}",
        f"  {'claims: supported recall':<44} {fmt(m['supported_recall']):>7}",
        f"  {'claims: quote holds the gold evidence':<44} {fmt(m['quote_hit']):>7}",
        f"  {'claims: contradiction recall':<44} {fmt(m['contradiction_recall']):>7}",
    ]
    by_class = m.get("by_class", {})
    assert isinstance(by_class, dict)
    for cls, row in by_class.items():
        lines.append(
            f"    {cls:<22} {row['kind']:<9} accepted {row['accepted']:>3} of {row['n']:>3}"
            f"  ({fmt(row['rate'])})"
        )
    return "\n".join(lines)
