"""LangChain over the real thing (langchain-core only: no network, no API key).

The retriever and an LCEL chain over the session's Chroma store of the bundled articles and
the real MiniLM and BM25; the answer Runnable over the real pipeline, once with the packaged
Qwen2.5 through llama.cpp and otherwise with LangChain's fake chat models behind
``LangChainGenerator``, whose drafts cite a real passage so verification does its work.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import ConfigurableField, RunnableLambda, RunnablePassthrough
from pydantic import ValidationError

from rag.pipeline import Sources, Token
from rag.prompting import render
from rag.types import Answer
from rag_langchain import LangChainGenerator, NewsRetriever, VerifiedAnswerChain, format_docs
from service.core import Service

pytestmark = pytest.mark.slow

WORKING_GROUP = (
    "Which countries will lead the working group on security guarantees announced on 25 November?"
)
DRAFT = "France and the United Kingdom will lead the working group [1]."
UNSUPPORTED = "The working group will meet on the Moon every leap year [1]."
UMEROV = "002_d284d28d32ec8da7"


class Recorder(BaseCallbackHandler):
    """What a chat model was sent, what it streamed, and when its run ended."""

    def __init__(self) -> None:
        self.prompts: list[list[BaseMessage]] = []
        self.tokens = 0
        self.ended = threading.Event()

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **_: Any
    ) -> None:
        self.prompts.extend(messages)

    def on_llm_new_token(self, token: str, **_: Any) -> None:
        self.tokens += 1

    def on_llm_end(self, *_: Any, **__: Any) -> None:
        self.ended.set()

    def on_llm_error(self, *_: Any, **__: Any) -> None:
        self.ended.set()


def fake_chain(
    service: Service, *drafts: str, **settings: Any
) -> tuple[VerifiedAnswerChain, Recorder]:
    """The answer chain over the real pipeline, the drafts written by a LangChain fake model."""
    recorder = Recorder()
    model = GenericFakeChatModel(messages=iter(drafts), callbacks=[recorder])
    fake = service.with_generator(LangChainGenerator(model), **settings)
    return VerifiedAnswerChain(service=fake), recorder


def assert_exact(service: Service, answer: Answer) -> None:
    assert answer.citations
    for c in answer.citations:
        assert service.article(c.doc_id).text[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.answer


# -- the retriever ---------------------------------------------------------------------------


def test_retriever_documents_are_exact_chunks_with_every_score(service: Service) -> None:
    docs = NewsRetriever(service=service, k=3).invoke("Rustem Umerov delegation Florida")
    assert len(docs) == 3 and docs[0].metadata["doc_id"] == UMEROV
    expected = service.retrieve("Rustem Umerov delegation Florida", k=3)
    assert [d.id for d in docs] == [c.chunk_id for c in expected]
    for doc in docs:
        meta = doc.metadata
        assert set(meta) == {"doc_id", "chunk_id", "title", "published", "start", "end", "scores"}
        assert doc.id == meta["chunk_id"] and meta["chunk_id"].startswith(meta["doc_id"])
        assert service.article(meta["doc_id"]).text[meta["start"] : meta["end"]] == doc.page_content
        record = service.article(meta["doc_id"]).record
        assert meta["title"] == record.title
        assert meta["published"] == (record.published.isoformat() if record.published else None)
        # a chunk found by one leg only has no score from the other
        assert {"combined", "fused", "final"} <= set(meta["scores"])
        assert {"dense", "bm25"} & set(meta["scores"])
    assert {"dense", "bm25", "dense_rank", "bm25_rank"} <= set(docs[0].metadata["scores"])
    finals = [d.metadata["scores"]["final"] for d in docs]
    assert finals == sorted(finals, reverse=True)


def test_retriever_filters_and_k_are_fields(service: Service) -> None:
    query = "What did Macron say about security guarantees?"
    only = NewsRetriever(service=service, doc_ids=["004_053fbe268d2d0c68"]).invoke(query)
    assert only and {d.metadata["doc_id"] for d in only} == {"004_053fbe268d2d0c68"}
    since = NewsRetriever(service=service, since=dt.date(2025, 12, 1)).invoke(query)
    assert since and all(d.metadata["published"] >= "2025-12-01" for d in since)
    # 004 has no date: a date range leaves it out
    until = NewsRetriever(service=service, until="2025-09-30").invoke(query)  # type: ignore[arg-type]
    assert {d.metadata["doc_id"] for d in until} == {"003_e66dc6db878f3d90"}
    # LangChain's own way to set a field per call
    configurable = NewsRetriever(service=service, k=4).configurable_fields(
        k=ConfigurableField(id="k")
    )
    assert len(configurable.invoke(query)) == 4
    assert len(configurable.invoke(query, config={"configurable": {"k": 1}})) == 1
    with pytest.raises(ValidationError, match="is after until"):
        NewsRetriever(service=service, since=dt.date(2025, 12, 1), until=dt.date(2025, 11, 1))
    with pytest.raises(ValueError, match="empty"):
        NewsRetriever(service=service).invoke("   ")


def test_an_lcel_chain_over_the_retriever(service: Service) -> None:
    """What a user writes: retrieved passages into their own prompt."""
    retriever = NewsRetriever(service=service, k=2)
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer only from these passages:\n\n{context}"), ("human", "{question}")]
    )
    chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt
    value = chain.invoke(WORKING_GROUP)
    system, human = value.to_messages()
    top = retriever.invoke(WORKING_GROUP)
    assert human.content == WORKING_GROUP
    assert system.content.startswith(
        f"Answer only from these passages:\n\n[1] {top[0].metadata['title']} "
        f"({top[0].metadata['published']}): {top[0].page_content}"
    )
    assert f"\n\n[2] {top[1].metadata['title']}" in system.content
    # ...and on to a chat model (a fake one that echoes the last message)
    from langchain_core.language_models.fake_chat_models import ParrotFakeChatModel

    assert (chain | ParrotFakeChatModel() | StrOutputParser()).invoke(
        WORKING_GROUP
    ) == WORKING_GROUP
    # async goes through the default executor, with the same result
    assert asyncio.run((retriever | format_docs).ainvoke(WORKING_GROUP)) == format_docs(top)


# -- the answer Runnable ---------------------------------------------------------------------


def test_the_real_llm_streams_sources_tokens_then_the_verified_answer(service: Service) -> None:
    # The CPU is shared with other jobs: the first answer also loads the model, so the deadline
    # (tested with the fake models below) is lifted here; a fallback would fail the test.
    patient = service.with_generator(None, llm_timeout_s=600)
    chunks = list(VerifiedAnswerChain(service=patient).stream(WORKING_GROUP))
    sources, answer = chunks[0], chunks[-1]
    assert isinstance(sources, Sources) and isinstance(answer, Answer)
    tokens = chunks[1:-1]
    assert tokens, answer.trace.decision
    assert all(isinstance(t, Token) for t in tokens)
    assert "".join(t.text for t in tokens) == answer.trace.raw_answer  # type: ignore[union-attr]
    assert sources.passages == answer.trace.passages
    assert not answer.abstained and not answer.fallback and "France" in answer.answer
    assert answer.trace.generator.startswith("llama")
    assert_exact(service, answer)


def test_a_langchain_chat_model_writes_the_draft_and_the_project_verifies_it(
    service: Service,
) -> None:
    chain, recorder = fake_chain(service, f"{DRAFT} {UNSUPPORTED}")
    answer = chain.invoke(WORKING_GROUP)
    # the supported sentence stays with its exact quote; the invented one is dropped
    assert not answer.abstained and not answer.fallback and answer.partial
    assert answer.answer == DRAFT and "Moon" not in answer.answer
    assert_exact(service, answer)
    assert answer.trace.raw_answer == f"{DRAFT} {UNSUPPORTED}"
    assert answer.trace.generator == "langchain:generic-fake-chat-model"
    assert chain.service.generator_status().up
    # the model was sent the project's own prompt, as LangChain messages
    (sent,) = recorder.prompts
    assert [type(m) for m in sent] == [SystemMessage, HumanMessage]
    assert sent[0].content == render("answer_system")
    assert [m.content for m in sent] == [m["content"] for m in answer.trace.prompt]


def test_a_draft_with_no_supported_sentence_abstains(service: Service) -> None:
    chain, _ = fake_chain(service, UNSUPPORTED)
    answer = chain.invoke(WORKING_GROUP)
    assert answer.abstained and answer.citations == []
    assert answer.trace.decision == "abstain: no sentence of the answer is supported by a passage"


def test_a_question_outside_the_articles_never_reaches_the_model(service: Service) -> None:
    chain, recorder = fake_chain(service, DRAFT)
    answer = chain.invoke("What is the boiling point of water at sea level?")
    assert answer.abstained and recorder.prompts == []


def test_stream_order_and_a_step_piped_after_the_chain(service: Service) -> None:
    chain, _ = fake_chain(service, DRAFT, DRAFT)
    chunks = list(chain.stream(WORKING_GROUP))
    kinds = [type(c).__name__ for c in chunks]
    assert kinds[0] == "Sources" and kinds[-1] == "Answer" and kinds.count("Answer") == 1
    assert set(kinds[1:-1]) == {"Token"} and len(kinds) > 3  # the fake streams word by word
    assert "".join(c.text for c in chunks if isinstance(c, Token)) == DRAFT
    # what a following step receives, streamed or not, is the verified answer
    text = chain | RunnableLambda(lambda a: a.answer)
    assert list(text.stream(WORKING_GROUP)) == [DRAFT]


def test_async_invoke_and_stream(service: Service) -> None:
    chain, _ = fake_chain(service, DRAFT, DRAFT)

    async def run() -> tuple[Answer, list[object]]:
        return await chain.ainvoke(WORKING_GROUP), [c async for c in chain.astream(WORKING_GROUP)]

    answer, chunks = asyncio.run(run())
    assert answer.answer == DRAFT and not answer.abstained
    assert_exact(service, answer)
    assert isinstance(chunks[0], Sources) and isinstance(chunks[-1], Answer)
    assert all(isinstance(c, Token) for c in chunks[1:-1]) and len(chunks) > 3
    assert chunks[-1].answer == DRAFT  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "history",
    [
        [
            SystemMessage("You are a helpful assistant."),  # the project's prompts rule: left out
            HumanMessage("Was a working group on security guarantees announced on 25 November?"),
            AIMessage("Yes, a working group on security guarantees was announced [1]."),
        ],
        [
            {"role": "user", "content": "Was a working group on security guarantees announced?"},
            {"role": "assistant", "content": "Yes, on 25 November [1]."},
        ],
    ],
    ids=["langchain-messages", "dicts"],
)
def test_a_follow_up_is_rewritten_with_the_history(service: Service, history: list[Any]) -> None:
    recorder = Recorder()
    model = FakeListChatModel(responses=[WORKING_GROUP, DRAFT], callbacks=[recorder])
    chain = VerifiedAnswerChain(service=service.with_generator(LangChainGenerator(model)))
    answer = chain.invoke({"question": "Which countries will lead it?", "history": history})
    assert answer.trace.condensed == "llm" and answer.trace.standalone_question == WORKING_GROUP
    assert answer.answer == DRAFT and not answer.abstained
    rewrite, draft = recorder.prompts
    assert "User: Was a working group" in rewrite[-1].content
    assert "You are a helpful assistant" not in rewrite[-1].content
    assert WORKING_GROUP in draft[-1].content


def test_a_failing_chat_model_gives_the_flagged_quotes(service: Service) -> None:
    model = FakeListChatModel(responses=[DRAFT], error_on_chunk_number=5)
    chain = VerifiedAnswerChain(service=service.with_generator(LangChainGenerator(model)))
    answer = chain.invoke(WORKING_GROUP)
    assert answer.fallback and not answer.abstained
    assert "langchain:fake-list-chat-model failed: FakeListChatModelError" in answer.trace.decision
    assert_exact(service, answer)


def test_a_slow_chat_model_is_let_go_at_the_deadline(service: Service) -> None:
    recorder = Recorder()
    model = FakeListChatModel(responses=[DRAFT], sleep=0.1, callbacks=[recorder])
    slow = service.with_generator(LangChainGenerator(model), llm_timeout_s=1.0)
    answer = VerifiedAnswerChain(service=slow).invoke(WORKING_GROUP)
    assert answer.fallback and "did not finish within 1 s" in answer.trace.decision
    # the adapter stops reading the model's stream: its run ends before the draft is written
    assert recorder.ended.wait(timeout=30)
    assert 0 < recorder.tokens < len(DRAFT)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("  ", "The question is empty"),
        (42, "got int"),
        ({"history": []}, "needs a 'question'"),
        ({"question": "Who?", "chat_history": []}, r"Unknown input keys \['chat_history'\]"),
        ({"question": "Who?", "history": "earlier"}, "'history' is a list of messages"),
        ({"question": "Who?", "history": [ToolMessage("42", tool_call_id="t")]}, "role 'tool'"),
        ({"question": "Who?", "history": [{"role": "user"}]}, "needs 'role' and 'content'"),
        ({"question": "Who?", "history": [HumanMessage("  ")]}, r"\(human\) is empty"),
    ],
)
def test_bad_input_is_a_clear_error(service: Service, value: Any, message: str) -> None:
    chain, recorder = fake_chain(service, DRAFT)
    with pytest.raises(ValueError, match=message):
        chain.invoke(value)
    with pytest.raises(ValueError, match=message):
        list(chain.stream(value))
    assert recorder.prompts == []
