"""``POST /v1/chat/completions`` and ``GET /v1/models``, as the OpenAI API shapes them, so the
official client and tools such as Open WebUI can talk to the service.

Only verified text is ever sent: when streaming, the answer is produced and checked first and
then sent in pieces (an OpenAI client cannot take back a streamed sentence that failed its
check). Citations ride along in an extra ``citations`` field and as a sources list at the end
of the text.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.admission import admit, run, split_conversation
from api.deps import ClientKey, ServicesDep
from api.schemas import ChatCompletionRequest, Message
from rag.types import Answer

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL_ID = "rag-news"


def with_sources(answer: Answer) -> str:
    if not answer.citations:
        return answer.answer
    # One line per source: a quote may span paragraphs, so its whitespace is folded.
    lines = [
        " ".join(
            f"[{c.n}] {c.title} ({c.doc_id}{', ' + c.published.isoformat() if c.published else ''})"
            f": “{c.quote}”".split()
        )
        for c in answer.citations
    ]
    return answer.answer + "\n\nSources:\n" + "\n".join(lines)


def _citations(answer: Answer) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in answer.citations]


@router.get("/models")
def models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "rag-news"}],
    }


def _pieces(text: str, size: int = 3) -> Iterator[str]:
    words = text.split(" ")
    for i in range(0, len(words), size):
        yield " ".join(words[i : i + size]) + (" " if i + size < len(words) else "")


@router.post("/chat/completions", response_model=None)
def chat_completions(
    body: ChatCompletionRequest, svc: ServicesDep, key: ClientKey
) -> dict[str, Any] | StreamingResponse:
    # Only user and assistant turns make the conversation; system, developer and tool
    # messages are accepted and set aside (the product's prompt is fixed).
    messages = [
        Message(role=m.role if m.role in ("user", "assistant") else "system", content=m.text())  # type: ignore[arg-type]
        for m in body.messages
    ]
    history, question = split_conversation(messages)
    admit(svc, key, question, len(history) + 1)
    answer = run(svc, question, history, None, None)
    content = with_sources(answer)
    ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    if not body.stream:
        return {
            "id": ident,
            "object": "chat.completion",
            "created": created,
            "model": body.model or MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": answer.trace.tokens.get("prompt", 0),
                "completion_tokens": answer.trace.tokens.get("completion", 0),
                "total_tokens": answer.trace.tokens.get("prompt", 0)
                + answer.trace.tokens.get("completion", 0),
            },
            "citations": _citations(answer),
            "abstained": answer.abstained,
        }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": body.model or MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    def events() -> Iterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        for piece in _pieces(content):
            yield chunk({"content": piece})
        yield chunk({}, "stop", citations=_citations(answer), abstained=answer.abstained)
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")
