"""Every endpoint through FastAPI's client with the real service: Chroma, MiniLM, BM25 and the
packaged Qwen2.5 via llama.cpp. The app runs on a private copy of the corpus (tests here add
and delete documents); the LLM is the session service's, loaded once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from service.core import Service
from service.settings import Settings
from tests.api_fixtures import (
    BUNDLED,
    WORKING_GROUP,
    assert_error,
    check_citations,
    document_text,
    parse_sse,
    private_corpus,
    upload,
    with_generator,
)

pytestmark = pytest.mark.slow

LIGHTHOUSE = {
    "title": "Kvitholmen lighthouse gets a keeper again",
    "text": (
        "The Kvitholmen lighthouse in northern Norway will be staffed again from 1 June 2026, "
        "the coastal administration announced on 3 March 2026. The new keeper is Ingrid "
        "Solberg, a former ferry captain from Vardø, who was chosen from 41 applicants. "
        "The lighthouse had been automated since 1989."
    ),
    "published": "2026-03-03",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Settings:
    return private_corpus(tmp_path_factory.mktemp("api"), cache_dir)


@pytest.fixture(scope="module")
def client(corpus: Settings, service: Service) -> Iterator[TestClient]:
    private = Service.from_settings(corpus, generator=service.parts.generator)
    with TestClient(create_app(service=private), raise_server_exceptions=False) as c:
        yield c


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["chunks"] > 0


def test_ask_answers_with_exact_quotes_and_trace(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": WORKING_GROUP, "include_trace": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body["abstained"] and not body["fallback"]
    assert "France" in body["answer"]
    assert any(n in body["answer"] for n in ("United Kingdom", "UK", "Britain"))
    check_citations(client, body)
    trace = body["trace"]
    assert trace["prompt"][0]["role"] == "system"
    assert WORKING_GROUP in trace["prompt"][-1]["content"]
    assert {"retrieval", "generation", "verification", "total"} <= set(trace["timings_ms"])
    assert body["timings_ms"]["total"] > 0


def test_ask_outside_the_corpus_abstains_without_trace(client: TestClient) -> None:
    question = "What is the population of Ukraine?"
    r = client.post("/v1/ask", json={"question": question, "include_trace": False})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["abstained"] is True and body["citations"] == []
    assert "trace" not in body
    assert body["timings_ms"]["total"] > 0


def test_chat_follow_up_is_rewritten(client: TestClient) -> None:
    question = "And which country plays the maritime role?"
    messages = [
        {"role": "user", "content": WORKING_GROUP},
        {"role": "assistant", "content": "France and the United Kingdom will lead it [1]."},
        {"role": "user", "content": question},
    ]
    r = client.post("/v1/chat", json={"messages": messages})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["standalone_question"] != question
    assert not body["abstained"]
    assert "Türkiye" in body["answer"] or "Turkey" in body["answer"]
    check_citations(client, body)


def test_chat_stream_sends_sources_tokens_citations_done(client: TestClient) -> None:
    messages = [{"role": "user", "content": WORKING_GROUP}]
    r = client.post("/v1/chat", json={"messages": messages, "stream": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-2:] == ["citations", "done"], names
    assert len(names) >= 4 and set(names[1:-2]) == {"token"}, names
    sources = events[0][1]
    assert sources["passages"] and all(p["doc_id"] and p["text"] for p in sources["passages"])
    assert "".join(data["text"] for name, data in events if name == "token").strip()
    final = events[-2][1]
    assert {"answer", "citations", "abstained"} <= set(final) and not final["abstained"]
    assert "France" in final["answer"]
    check_citations(client, final)
    assert events[-1][1]["timings_ms"]["total"] > 0


def test_documents_lists_the_bundled_articles(client: TestClient) -> None:
    r = client.get("/v1/documents")
    assert r.status_code == 200
    docs = r.json()
    assert tuple(d["doc_id"] for d in docs) == BUNDLED
    assert all(d["chunks"] > 0 and d["title"] for d in docs)


def test_unknown_document_is_404(client: TestClient) -> None:
    assert_error(client.get("/v1/documents/no_such_doc"), 404, "not_found")
    assert_error(client.delete("/v1/documents/no_such_doc"), 404, "not_found")
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")


def test_json_document_lifecycle(client: TestClient, corpus: Settings) -> None:
    r = client.post("/v1/documents", json=LIGHTHOUSE)
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["status"] == "added" and added["chunks_written"] > 0
    (doc_id,) = added["doc_ids"]
    path = corpus.data_dir / added["file"]
    assert path.is_file()
    try:
        assert doc_id in {d["doc_id"] for d in client.get("/v1/documents").json()}
        got = client.get(f"/v1/documents/{doc_id}").json()
        assert "Ingrid Solberg" in got["text"] and got["published"] == "2026-03-03"
        assert got["title"] == LIGHTHOUSE["title"]
        ask = client.post(
            "/v1/ask", json={"question": "Who was chosen as the new keeper of Kvitholmen?"}
        )
        body = ask.json()
        assert not body["abstained"] and "Solberg" in body["answer"], body
        assert doc_id in {c["doc_id"] for c in body["citations"]}
        check_citations(client, body)
    finally:
        assert client.delete(f"/v1/documents/{doc_id}").status_code == 204
    assert_error(client.get(f"/v1/documents/{doc_id}"), 404, "not_found")
    assert doc_id not in {d["doc_id"] for d in client.get("/v1/documents").json()}
    assert not path.exists()


def test_multipart_upload_of_a_text_file(client: TestClient, corpus: Settings) -> None:
    text = b"Harbour notes\n\nThe ferry to Kvitholmen now leaves at 07:45 every weekday.\n"
    r = upload(client, "harbour-notes.txt", text)
    assert r.status_code == 201, r.text
    assert r.json()["doc_ids"] == ["harbour-notes"] and r.json()["file"] == "harbour-notes.txt"
    assert (corpus.data_dir / "harbour-notes.txt").read_bytes() == text
    assert "07:45" in document_text(client, "harbour-notes")
    assert client.delete("/v1/documents/harbour-notes").status_code == 204


def files_outside(root: Path, corpus: Settings) -> set[Path]:
    """Every file under ``root`` except the private store's, which ingest rewrites."""
    return {p for p in root.rglob("*") if p.is_file() and corpus.chroma_path not in p.parents}


def test_upload_names_cannot_leave_the_data_dir(
    client: TestClient, corpus: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.getbasetemp()
    before = files_outside(root, corpus)
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    assert_error(upload(client, "../../etc/passwd", b"root:x:0:0\n"), 415, "unsupported_media_type")
    stored = {}
    for name in ("/etc/passwd.txt", "../../../escape.txt", "..\\..\\windows.txt", ".hidden.md"):
        r = upload(client, name, f"Notes\n\nUploaded as {name} on 2 March 2026.\n".encode())
        assert r.status_code == 201, r.text
        stored[name] = r.json()
    assert {s["file"] for s in stored.values()} == {
        "passwd.txt",
        "escape.txt",
        "windows.txt",
        "hidden.md",
    }
    new = files_outside(root, corpus) - before
    assert new == {corpus.data_dir / s["file"] for s in stored.values()}
    assert hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest() == passwd
    assert not Path("/etc/passwd.txt").exists()
    assert not [p.name for p in corpus.data_dir.iterdir() if p.name.startswith(".")]
    for s in stored.values():
        assert client.delete(f"/v1/documents/{s['doc_ids'][0]}").status_code == 204


def test_unsupported_types_are_415(client: TestClient) -> None:
    assert_error(upload(client, "report.pdf", b"%PDF-1.7"), 415, "unsupported_media_type")
    r = client.post("/v1/documents", content=b"plain", headers={"content-type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "content", [b"Title\n\n\x00\x01\x02binary", b"Caf\xe9 cr\xe8me, not UTF-8 at all\n"]
)
def test_unreadable_upload_keeps_the_existing_file(
    client: TestClient, corpus: Settings, content: bytes
) -> None:
    good = b"Keep me\n\nThis article about the Vardo ferry must survive a bad upload.\n"
    assert upload(client, "keep-me.txt", good).status_code == 201
    try:
        assert_error(upload(client, "keep-me.txt", content), 422, "ingest_rejected")
        assert (corpus.data_dir / "keep-me.txt").read_bytes() == good
        assert "Vardo ferry" in document_text(client, "keep-me")
        assert not [p.name for p in corpus.data_dir.iterdir() if p.name.startswith(".")]
    finally:
        assert client.delete("/v1/documents/keep-me").status_code == 204


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    client.post("/v1/ask", json={"question": "What is the population of Ukraine?"})
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert 'rag_http_requests_total{endpoint="/v1/ask",method="POST",status="200"}' in r.text
    assert 'rag_stage_seconds_count{stage="retrieval"}' in r.text
    assert "rag_answers_total" in r.text and "rag_queue_admitted" in r.text


def test_page_is_served(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<textarea" in r.text and "v1/chat" in r.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/ask", {"question": ""}),
        ("/v1/ask", {"question": 42}),
        ("/v1/ask", {"question": ["a list"]}),
        ("/v1/ask", {"question": "Who?", "extra": True}),
        ("/v1/ask", {"question": "Who?", "k": 0}),
        ("/v1/ask", {"question": "Who?", "history": [{"role": "bot", "content": "x"}]}),
        ("/v1/ask", {}),
        ("/v1/ask", '{"question": "unterminated'),
        ("/v1/ask", '{"question": ' + "[" * 500 + "]" * 500 + "}"),
        ("/v1/chat", {"messages": []}),
        ("/v1/chat", {"messages": [{"role": "robot", "content": "hi"}]}),
        ("/v1/chat", {"messages": [{"role": "user", "content": "hi"}], "stream": "maybe"}),
    ],
)
def test_invalid_bodies_are_422(client: TestClient, path: str, body: Any) -> None:
    if isinstance(body, str):
        r = client.post(path, content=body.encode(), headers={"content-type": "application/json"})
    else:
        r = client.post(path, json=body)
    assert_error(r, 422, "invalid_request")


def test_very_deeply_nested_json_is_422(client: TestClient) -> None:
    deep = '{"question": ' + "[" * 100_000 + "]" * 100_000 + "}"
    r = client.post("/v1/ask", content=deep.encode(), headers={"content-type": "application/json"})
    assert_error(r, 422, "invalid_request")


@pytest.mark.parametrize(
    "body", ['{"title": "No text"}', '{"text": "Some text.", "extra": 1}', "{not json"]
)
def test_invalid_json_document_is_422(client: TestClient, body: str) -> None:
    r = client.post(
        "/v1/documents", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert_error(r, 422, "invalid_request")


def test_start_up_loads_the_llm(service: Service) -> None:
    """Readiness means the models are loaded: the first question does not pay for it."""
    from rag.generation.llama import LlamaCppGenerator

    generator = LlamaCppGenerator(service.parts.generator.model_path)  # type: ignore[attr-defined]
    fresh = with_generator(service, generator)
    with TestClient(create_app(service=fresh)) as c:
        assert c.get("/readyz").status_code == 200
        assert generator._llm is not None
