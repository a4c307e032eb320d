"""``POST /v1/ask`` and ``POST /v1/chat`` (JSON, or server-sent events with ``stream``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.admission import admit, outcome, run, split_conversation
from api.deps import ClientKey, ServicesDep
from api.errors import error_body, library_status
from api.limits import Ticket
from api.schemas import AnswerResponse, AskRequest, ChatRequest
from api.services import Services
from rag.conversation import Turn
from rag.errors import RagError
from rag.pipeline import Done, Sources, Token

log = logging.getLogger("api")
router = APIRouter(prefix="/v1", tags=["answers"])


@router.post("/ask", response_model=AnswerResponse, response_model_exclude_none=True)
def ask(body: AskRequest, svc: ServicesDep, key: ClientKey) -> AnswerResponse:
    """One question (with optional history and filters) → the verified, cited answer."""
    admit(svc, key, body.question, len(body.history) + 1)
    answer = run(svc, body.question, body.history, body.filters, body.k)
    return AnswerResponse.of(answer, body.include_trace)


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def stream_events(
    svc: Services, ticket: Ticket, question: str, history: list[Turn], body: ChatRequest
) -> Iterator[str]:
    """sources → token… → citations → done. Admission happened before the response started;
    the slot is held until the stream ends (or the client goes away)."""
    try:
        with svc.queue.turn:
            for event in svc.service.events(
                question, history=history or None, filters=body.filters
            ):
                if isinstance(event, Sources):
                    passages = [
                        {
                            "n": p.n,
                            "doc_id": p.doc_id,
                            "title": p.title,
                            "published": p.published.isoformat() if p.published else None,
                            "text": p.text,
                        }
                        for p in event.passages
                    ]
                    yield sse(
                        "sources",
                        {"standalone_question": event.standalone_question, "passages": passages},
                    )
                elif isinstance(event, Token):
                    yield sse("token", {"text": event.text})
                elif isinstance(event, Done):
                    answer = event.answer
                    svc.metrics.observe_answer(answer.trace.timings_ms, outcome(answer))
                    final = AnswerResponse.of(answer, body.include_trace)
                    yield sse("citations", final.model_dump(mode="json", exclude_none=True))
                    yield sse("done", {"timings_ms": answer.trace.timings_ms})
    except RagError as exc:  # the status line is sent already: report it as an event
        yield sse("error", error_body(library_status(exc)[1], str(exc))["error"])
    except Exception:  # a bug: logged with its trace, the client gets a clean event
        log.exception("error while streaming an answer")
        yield sse(
            "error", error_body("internal_error", "Something went wrong on our side.")["error"]
        )
    finally:
        ticket.release()


@router.post("/chat", response_model=AnswerResponse, response_model_exclude_none=True)
def chat(body: ChatRequest, svc: ServicesDep, key: ClientKey) -> AnswerResponse | StreamingResponse:
    """A conversation; follow-ups are rewritten with the history before retrieval.
    With ``stream: true``: server-sent events ``sources``, ``token``…, ``citations``, ``done``.
    Tokens are the model's raw draft; ``citations`` carries the verified final answer."""
    history, question = split_conversation(body.messages)
    admit(svc, key, question, len(history) + 1)
    if not body.stream:
        return AnswerResponse.of(
            run(svc, question, history, body.filters, None), body.include_trace
        )
    svc.service.readiness()  # a store that is down is a 503 now, not an event
    ticket = svc.queue.ticket()  # 503 now, as a status code, not inside a started stream
    return StreamingResponse(
        stream_events(svc, ticket, question, history, body),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
