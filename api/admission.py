"""The admit-and-run path every question (and every statement to verify) takes, over HTTP or
from Slack: limits checked before any work (length, conversation size, the caller's rate),
then the answer (or the verdict) inside a slot of the admission queue, then its metrics."""

from __future__ import annotations

from api.errors import ApiError
from api.schemas import Message
from api.services import Services
from rag.conversation import Turn
from rag.types import Answer, Filters
from rag.verification.types import Verdict


class TooLong(ApiError):
    status, code = 422, "too_long"


def admit(svc: Services, key: str, question: str, turns: int, *, what: str = "question") -> None:
    """Limits checked before any work: length, conversation size, then the caller's rate."""
    limit = svc.settings.max_question_chars
    if len(question) > limit:
        raise TooLong(f"The {what} is {len(question)} characters long; the limit is {limit}.")
    if turns > svc.settings.max_messages:
        raise TooLong(
            f"The conversation has {turns} messages; the limit is {svc.settings.max_messages}."
        )
    svc.limiter.check(key)


def outcome(answer: Answer) -> str:
    if answer.abstained:
        return "abstained"
    return "fallback" if answer.fallback else ("partial" if answer.partial else "answered")


def run(
    svc: Services, question: str, history: list[Turn], filters: Filters | None, k: int | None
) -> Answer:
    with svc.queue.slot():
        answer = svc.service.answer(question, history=history or None, filters=filters, k=k)
    svc.metrics.observe_answer(answer.trace.timings_ms, outcome(answer))
    return answer


def run_verify(svc: Services, claim: str, doc_ids: list[str] | None) -> Verdict:
    """``Service.verify`` in a slot of the same queue: its judge is the answers' LLM."""
    with svc.queue.slot():
        verdict = svc.service.verify(claim, doc_ids=doc_ids)
    timings = verdict.trace.get("timings_ms")
    svc.metrics.observe_verdict(timings if isinstance(timings, dict) else {}, verdict.verdict)
    return verdict


def split_conversation(messages: list[Message]) -> tuple[list[Turn], str]:
    """System messages are ignored (the product's prompt is fixed); the last message must be
    the user's question; the turns before it are the history."""
    turns = [m for m in messages if m.role != "system" and m.content.strip()]
    if not turns or turns[-1].role != "user":
        raise ApiError("The last message must be the user's question.")
    history = [Turn(role=m.role, content=m.content) for m in turns[:-1]]  # type: ignore[arg-type]
    return history, turns[-1].content
