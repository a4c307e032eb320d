"""Typed request and response bodies. Answers reuse ``rag.types.Answer`` as they are."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rag.conversation import Turn
from rag.types import Answer, Citation, Filters
from rag.verification.types import Label, Verdict

MAX_FILTER_DOC_IDS = 1000
_SURROGATE = re.compile("[\ud800-\udfff]")


class RequestBody(BaseModel):
    """A JSON request body. JSON may escape half of a UTF-16 pair (``"\\ud800"``) and Python's
    parser keeps it, but such a string cannot be encoded as UTF-8 (by the tokenizer, Chroma or
    the response), so it is refused here, wherever it sits in the body. The walk is iterative:
    a deeply nested body cannot overflow the stack."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        pending = [data]
        while pending:
            item = pending.pop()
            if isinstance(item, str):
                if _SURROGATE.search(item):
                    raise ValueError("text must be valid Unicode (a lone surrogate was sent)")
            elif isinstance(item, dict):
                pending.extend(item.keys())
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
        return data


class FiltersIn(Filters):
    """``Filters`` with a bounded id list: Chroma sends each id to SQLite as one variable."""

    doc_ids: list[str] | None = Field(None, max_length=MAX_FILTER_DOC_IDS)


class AskRequest(RequestBody):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, description="The question, in plain words.")
    history: list[Turn] = Field(
        default_factory=list, description="Earlier turns, when the question is a follow-up."
    )
    filters: FiltersIn | None = None
    k: int | None = Field(None, ge=1, le=20, description="Chunks in the context.")
    include_trace: bool = Field(False, description="Return the trace (prompt, chunks, timings).")


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(RequestBody):
    model_config = ConfigDict(extra="forbid")

    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    filters: FiltersIn | None = None
    include_trace: bool = False


class AnswerResponse(BaseModel):
    """``Answer`` with the trace made optional (it is large: sent only when asked)."""

    answer: str
    abstained: bool
    partial: bool
    fallback: bool
    citations: list[Citation]
    standalone_question: str
    timings_ms: dict[str, float]
    trace: dict[str, Any] | None = None

    @classmethod
    def of(cls, answer: Answer, include_trace: bool) -> AnswerResponse:
        return cls(
            answer=answer.answer,
            abstained=answer.abstained,
            partial=answer.partial,
            fallback=answer.fallback,
            citations=answer.citations,
            standalone_question=answer.trace.standalone_question,
            timings_ms=answer.trace.timings_ms,
            trace=answer.trace.model_dump(mode="json") if include_trace else None,
        )


# --- verifying a statement --------------------------------------------------------------


class VerifyRequest(RequestBody):
    model_config = ConfigDict(extra="forbid")

    claim: str = Field(min_length=1, description="The statement to check against the articles.")
    doc_ids: list[str] | None = Field(
        None,
        max_length=MAX_FILTER_DOC_IDS,
        description="Only these articles (an unknown id is a 404); default: all of them.",
    )
    include_trace: bool = Field(
        False, description="Return the trace (the decision, chunks retrieved, timings)."
    )


class VerifyCitation(BaseModel):
    """The passage that decides: ``quote`` is exactly ``article.text[start:end]``."""

    doc_id: str
    title: str
    published: dt.date | None
    quote: str
    start: int
    end: int


class VerifyResponse(BaseModel):
    verdict: Label = Field(
        description="supported: a passage states it; contradicted: a passage says otherwise; "
        "not_found: no passage decides."
    )
    citations: list[VerifyCitation] = Field(
        description="The deciding passage (none for not_found)."
    )
    trace: dict[str, Any] | None = None

    @classmethod
    def of(cls, verdict: Verdict, include_trace: bool) -> VerifyResponse:
        return cls(
            verdict=verdict.verdict,
            citations=[
                VerifyCitation(**c.model_dump(include=set(VerifyCitation.model_fields)))
                for c in verdict.citations
            ],
            trace=verdict.trace if include_trace else None,
        )


# --- OpenAI-compatible chat completions --------------------------------------------------


class OpenAIMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: keep the text ones
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatCompletionRequest(RequestBody):
    # Clients send many optional fields (temperature, top_p, user…): accepted and ignored.
    model_config = ConfigDict(extra="allow")

    model: str = "rag-news"
    messages: list[OpenAIMessage] = Field(min_length=1)
    stream: bool = False


# --- documents --------------------------------------------------------------------------


class DocumentIn(RequestBody):
    model_config = ConfigDict(extra="forbid")

    doc_id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
        description="File stem to store it under (default: derived from the title).",
    )
    title: str | None = None
    text: str = Field(min_length=1)
    published: str | None = None
    source: str | None = None
    url: str | None = None


class DocumentInfo(BaseModel):
    doc_id: str
    title: str
    published: dt.date | None
    source: str | None
    url: str | None
    chunks: int


class DocumentText(DocumentInfo):
    text: str


class IngestResult(BaseModel):
    file: str = Field(description="The file's name in the data folder.")
    doc_ids: list[str]
    status: Literal["added", "updated", "unchanged"]
    chunks_written: int
