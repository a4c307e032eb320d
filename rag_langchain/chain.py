"""``VerifiedAnswerChain``: the project's whole answer path as one LangChain ``Runnable``.

Input: a question, or ``{"question": ..., "history": [...]}`` (earlier turns as LangChain
messages, ``Turn``s or ``{"role", "content"}`` dicts; a follow-up is rewritten with them
before retrieval, as ``/v1/chat`` does). Output: the verified ``rag.types.Answer``: its text,
its citations (exact quotes with their spans in the article), ``abstained``, ``partial``,
``fallback`` and the trace.

``.stream()`` / ``.astream()`` yield what ``/v1/chat`` streams, in its order:

    Sources   the numbered passages the model reads           (SSE ``sources``)
    Token...  pieces of the model's raw, unverified draft     (SSE ``token``)
    Answer    the verified answer, always last and only once  (SSE ``citations`` + ``done``)

Only the ``Answer`` is final; a step piped after the chain receives it (LangChain keeps
the last of chunks that cannot be added up), so ``chain | (lambda a: a.answer)`` works
whether the chain is invoked or streamed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator, Mapping, Sequence
from contextlib import suppress
from typing import (
    Any,
    Required,  # pydantic reads its schema (Python < 3.12)
)

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from langchain_core.runnables.config import run_in_executor
from typing_extensions import TypedDict

from rag.conversation import Turn
from rag.pipeline import Done, Sources, Token
from rag.types import Answer
from rag_langchain.messages import to_history
from rag_langchain.retriever import Scope

HistoryItem = BaseMessage | Turn | dict[str, str]


class QuestionInput(TypedDict, total=False):
    question: Required[str]
    history: Sequence[HistoryItem]


ChainInput = str | QuestionInput
AnswerChunk = Sources | Token | Answer


def parse_input(value: Any) -> tuple[str, list[Turn] | None]:
    """The question and the earlier turns; a ``ValueError`` that says what is wrong."""
    if isinstance(value, str):
        question, history = value, None
    elif isinstance(value, Mapping):
        unknown = sorted(set(value) - {"question", "history"})
        if unknown:
            raise ValueError(f"Unknown input keys {unknown}: expected 'question' and 'history'.")
        if not isinstance(value.get("question"), str):
            raise ValueError("The input needs a 'question' (text).")
        question, raw = value["question"], value.get("history")
        if raw is not None and (isinstance(raw, str | Mapping) or not isinstance(raw, Sequence)):
            raise ValueError("'history' is a list of messages.")
        history = to_history(raw) if raw else None
    else:
        raise ValueError(
            f"The input is a question or {{'question', 'history'}}; got {type(value).__name__}."
        )
    if not question.strip():
        raise ValueError("The question is empty.")
    return question, history or None


class VerifiedAnswerChain(Scope, RunnableSerializable[ChainInput, Answer]):
    """``service``'s answer path with the filters and ``k`` of ``Scope``."""

    def _events(self, value: ChainInput) -> Generator[AnswerChunk, None, None]:
        question, history = parse_input(value)
        events = self.service.events(question, history=history, filters=self.filters, k=self.k)
        for event in events:
            yield event.answer if isinstance(event, Done) else event

    def _answer(self, value: ChainInput) -> Answer:
        question, history = parse_input(value)
        return self.service.answer(question, history=history, filters=self.filters, k=self.k)

    def _transform(self, inputs: Iterator[ChainInput]) -> Iterator[AnswerChunk]:
        last: ChainInput | None = None
        for value in inputs:  # one question per call: the last input chunk is it
            last = value
        if last is not None:
            yield from self._events(last)

    async def _atransform(
        self, inputs: AsyncIterator[ChainInput], config: RunnableConfig
    ) -> AsyncIterator[AnswerChunk]:
        last: ChainInput | None = None
        async for value in inputs:
            last = value
        if last is None:
            return
        events = self._events(last)
        try:
            while True:  # each step of the (blocking) answer path in the executor
                event: AnswerChunk | None = await run_in_executor(config, next, events, None)
                if event is None:
                    return
                yield event
        finally:
            with suppress(ValueError):  # still running in the executor: it stops on its own
                events.close()

    # Keyword arguments of the calls below are accepted, as LangChain's are, and unused.
    def invoke(
        self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Answer:
        return self._call_with_config(self._answer, input, config)

    # LangChain types a stream's chunks as the output; here the events before it come too.
    def stream(  # type: ignore[override]
        self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[AnswerChunk]:
        return self.transform(iter([input]), config)

    def transform(  # type: ignore[override]
        self, input: Iterator[ChainInput], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[AnswerChunk]:
        return self._transform_stream_with_config(input, self._transform, config)  # type: ignore[arg-type]

    async def astream(  # type: ignore[override]
        self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[AnswerChunk]:
        async def one() -> AsyncIterator[ChainInput]:
            yield input

        async for chunk in self.atransform(one(), config):
            yield chunk

    async def atransform(  # type: ignore[override]
        self,
        input: AsyncIterator[ChainInput],
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AnswerChunk]:
        chunks = self._atransform_stream_with_config(input, self._atransform, config)  # type: ignore[arg-type]
        async for chunk in chunks:
            yield chunk
