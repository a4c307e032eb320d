"""Run gold cases through the product, in process or over HTTP, and score each one.

Both backends return the same ``Answer`` (the HTTP service serializes exactly that shape), so a
case is scored the same way wherever it ran. Retrieval is scored from the trace's fused
ranking, citations from the answer's markers and quotes, latency from the trace's timings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, Field

from eval import metrics
from eval.citations import Judge, gold_doc_share, score_citations
from eval.schema import GoldCase
from rag.errors import RagError
from rag.prompting import dateline
from rag.types import Answer
from service.core import Service


class Backend(Protocol):
    name: str

    def ask(self, case: GoldCase) -> Answer: ...


class InProcess:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.name = f"in-process ({service.generator_name})"

    def ask(self, case: GoldCase) -> Answer:
        return self.service.answer(case.question, history=list(case.history) or None)


class OverHTTP:
    """A running service: ``POST /v1/ask`` with the trace, history included for follow-ups."""

    def __init__(self, url: str, api_key: str | None = None, timeout_s: float = 120.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout_s)
        self.name = f"HTTP {url}"

    def check(self) -> None:
        """Fail before the run, not once per question, when the service cannot answer."""
        try:
            response = self.client.get("/readyz")
        except httpx.HTTPError as exc:
            raise RagError(
                f"The service at {self.client.base_url} is not reachable: {exc}"
            ) from exc
        if response.status_code != 200:
            raise RagError(
                f"The service at {self.client.base_url} is not ready ({response.status_code}): "
                f"{response.text[:200]}"
            )

    def ask(self, case: GoldCase) -> Answer:
        body: dict[str, Any] = {"question": case.question, "include_trace": True}
        if case.history:
            body["history"] = [t.model_dump() for t in case.history]
        try:
            response = self.client.post("/v1/ask", json=body)
        except httpx.HTTPError as exc:
            raise RagError(
                f"The service at {self.client.base_url} is not reachable: {exc}"
            ) from exc
        if response.status_code != 200:
            raise RagError(
                f"The service answered {response.status_code} to case {case.id}: "
                f"{response.text[:200]}"
            )
        return Answer.model_validate(response.json())


class CaseResult(BaseModel):
    id: str
    type: str
    split: str
    question: str
    reference: str
    answerable: bool
    standalone_question: str = ""
    answer: str = ""
    abstained: bool = False
    partial: bool = False
    fallback: bool = False
    citations: list[dict[str, Any]] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)
    evidence_rank: int | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
    decision: str = ""  # the pipeline's own account: answer, abstain: <why>, fallback: <why>
    failure: str = ""
    error: str = ""


def _failure(case: GoldCase, answer: Answer, scores: dict[str, float], k: int) -> str:
    retrieved = scores.get(f"quote_hit@{k}", 0.0) > 0 or scores.get(f"doc_hit@{k}", 0.0) > 0
    miss = "" if retrieved else " (gold evidence not retrieved)"
    if scores.get("injection_resisted", 1.0) < 1.0:
        return "the answer holds what an injected instruction asked for"
    if not case.answerable:
        return "" if answer.abstained else "answered a question the articles cannot answer"
    if answer.abstained:
        return "abstained on an answerable question" + miss
    if answer.fallback:
        return "generator failed: quotes shown instead"
    if not scores["must_contain"]:
        return "answer misses a required fact" + miss
    if scores.get("citation_recall_strict", 1.0) < 1.0:
        return "a sentence fails the strict citation check"
    return ""


def score_case(case: GoldCase, answer: Answer, judges: Iterable[Judge], k: int) -> CaseResult:
    ranked = [(c.doc_id, c.text) for c in (answer.trace.ranking or answer.trace.retrieved)]
    scores: dict[str, float] = {}
    evidence_rank = None
    if case.answerable:
        scores.update(metrics.retrieval_scores(ranked, case.doc_ids, case.quotes, k))
        evidence_rank = metrics.evidence_rank(ranked, case.quotes)
        answered = not answer.abstained
        scores["must_contain"] = float(
            answered and metrics.contains_all(answer.answer, case.must_contain)
        )
        scores["exact_match"] = metrics.exact_match(answer.answer, case.answer) if answered else 0.0
        scores["token_f1"] = metrics.token_f1(answer.answer, case.answer) if answered else 0.0
    if case.must_not_contain:
        scores["injection_resisted"] = float(
            not metrics.contains_any(answer.answer, case.must_not_contain)
        )
    if not answer.abstained and answer.citations:
        quotes = {c.n: c.quote for c in answer.citations}
        dates = {c.n: dateline(c.published) for c in answer.citations}
        question = answer.trace.standalone_question or case.question
        for judge in judges:
            cs = score_citations(answer.answer, quotes, question, judge, dates)
            scores[f"citation_recall_{judge.name}"] = cs.recall
            scores[f"citation_precision_{judge.name}"] = cs.precision
        if case.answerable:
            cited = [c.doc_id for c in answer.citations]
            scores["cited_in_gold_docs"] = gold_doc_share(cited, case.doc_ids)
    result = CaseResult(
        id=case.id,
        type=case.type,
        split=case.split,
        question=case.question,
        standalone_question=answer.trace.standalone_question,
        reference=case.answer,
        answer=answer.answer,
        abstained=answer.abstained,
        partial=answer.partial,
        fallback=answer.fallback,
        answerable=case.answerable,
        citations=[c.model_dump(mode="json") for c in answer.citations],
        scores=scores,
        evidence_rank=evidence_rank,
        timings_ms=answer.trace.timings_ms,
        decision=answer.trace.decision,
    )
    result.failure = _failure(case, answer, scores, k)
    return result


def run_cases(
    cases: list[GoldCase],
    backend: Backend,
    judges: list[Judge],
    *,
    k: int,
    progress: Callable[[Iterable[GoldCase]], Iterable[GoldCase]] = lambda x: x,
) -> list[CaseResult]:
    """Every case once; a case whose call fails is recorded as failed, and the run goes on."""
    results = []
    for case in progress(cases):
        try:
            answer = backend.ask(case)
        except RagError as exc:
            results.append(
                CaseResult(
                    id=case.id,
                    type=case.type,
                    split=case.split,
                    question=case.question,
                    reference=case.answer,
                    answerable=case.answerable,
                    scores={"must_contain": 0.0} if case.answerable else {},
                    failure="error",
                    error=str(exc),
                )
            )
            continue
        results.append(score_case(case, answer, judges, k))
    return results
