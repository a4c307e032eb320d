"""The official ``openai`` client against the app served by uvicorn on 127.0.0.1, answering
with the real service (Chroma, MiniLM, BM25, Qwen2.5 via llama.cpp)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from api.app import create_app
from api.routes.openai_compat import with_sources
from rag.types import Answer, Citation, Filters, Trace
from service.core import Service
from tests.api_fixtures import WORKING_GROUP, FakeGenerator, serve, with_generator

pytestmark = pytest.mark.slow

SOURCE_LINE = re.compile(r"^\[(\d+)\] .+ \((\d{3}_[0-9a-f]{16})(, \d{4}-\d{2}-\d{2})?\): “.+”$")


@pytest.fixture(scope="module")
def base_url(service: Service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app and service; uploads, if any, would go to a private folder."""
    private = service.with_generator(data_dir=tmp_path_factory.mktemp("oai"))
    with serve(create_app(service=private)) as url:
        yield f"{url}/v1"


@pytest.fixture
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="x", max_retries=0, timeout=120)


def check_sources(text: str, citations: list[dict[str, Any]]) -> None:
    """The text ends with a "Sources:" list naming every citation, in order."""
    answer, sep, sources = text.partition("\n\nSources:\n")
    assert sep, text
    lines = sources.splitlines()
    assert len(lines) == len(citations) > 0
    for line, c in zip(lines, citations, strict=True):
        m = SOURCE_LINE.match(line)
        assert m, line
        assert (int(m[1]), m[2]) == (c["n"], c["doc_id"]) and " ".join(c["quote"].split()) in line
        assert f"[{c['n']}]" in answer


def test_a_quote_spanning_paragraphs_stays_on_its_source_line() -> None:
    quote = "“We will act.”\n\nThe second paragraph\nsays more."
    cited = Citation(
        n=1,
        doc_id="000_87e92a4300705097",
        title="Title",
        published=None,
        chunk_id="c",
        quote=quote,
        start=0,
        end=len(quote),
    )
    answer = Answer(
        answer="They will act [1].",
        abstained=False,
        citations=[cited],
        trace=Trace(question="q", standalone_question="q", filters=Filters()),
    )
    check_sources(with_sources(answer), [cited.model_dump(mode="json")])


def test_streamed_completion(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="rag-news",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": WORKING_GROUP},
        ],
        stream=True,
        temperature=0.2,  # accepted and ignored
    )
    chunks = list(stream)
    assert len(chunks) > 3
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text.strip() and "France" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    extra = last.model_extra or {}
    assert extra["abstained"] is False
    citations = last.model_dump()["citations"]
    assert citations and {"n", "doc_id", "quote", "start", "end"} <= set(citations[0])
    check_sources(text, citations)
    assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])


def test_non_streamed_completion(client: openai.OpenAI) -> None:
    question = "Which country plays a key role in the maritime dimension of the working group?"
    completion = client.chat.completions.create(
        model="rag-news", messages=[{"role": "user", "content": question}]
    )
    assert completion.object == "chat.completion"
    message = completion.choices[0].message
    assert message.role == "assistant" and completion.choices[0].finish_reason == "stop"
    assert message.content and ("Türkiye" in message.content or "Turkey" in message.content)
    extra = completion.model_extra or {}
    assert extra["abstained"] is False
    check_sources(message.content, extra["citations"])
    assert completion.usage and completion.usage.prompt_tokens > 0


def test_models_list(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["rag-news"]


def test_abstention_has_no_sources(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="rag-news",
        messages=[{"role": "user", "content": "What is the population of Ukraine?"}],
    )
    content = completion.choices[0].message.content or ""
    assert content.startswith("The articles do not contain the answer")
    assert "\n\nSources:\n" not in content
    assert (completion.model_extra or {})["abstained"] is True


def test_api_key_is_checked(service: Service, tmp_path: Path) -> None:
    fake = with_generator(service, FakeGenerator(), api_keys="secret", data_dir=tmp_path)
    app = create_app(service=fake)
    with serve(app) as url:
        wrong = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        right = openai.OpenAI(base_url=f"{url}/v1", api_key="secret", max_retries=0)
        stream = right.chat.completions.create(
            model="rag-news", messages=[{"role": "user", "content": WORKING_GROUP}], stream=True
        )
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert text.startswith("France and the United Kingdom will lead the working group [1].")


def test_developer_message_is_accepted(client: openai.OpenAI) -> None:
    try:
        completion = client.chat.completions.create(
            model="rag-news",
            messages=[
                {"role": "developer", "content": "Answer briefly."},
                {"role": "user", "content": "What is the population of Ukraine?"},
            ],
        )
    except openai.APIStatusError as exc:  # report it here, not deep in the client
        pytest.fail(f"{exc.status_code}: {exc.response.text}")
    assert (completion.choices[0].message.content or "").startswith("The articles do not")
