"""Helpers shared by the API tests: small deterministic generators, services that keep the
session's real retrieval (Chroma, MiniLM, BM25) around another generator, a private corpus
for tests that write, SSE parsing, and the app served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rag.generation import GeneratorStatus
from service.core import Service
from service.settings import Settings
from tests.conftest import DATA, _free_port, ingest

WORKING_GROUP = (
    "Which countries will lead the working group on security guarantees announced on 25 November?"
)
BUNDLED = (
    "000_87e92a4300705097",
    "001_43b0c0d1ec5d1bd6",
    "002_d284d28d32ec8da7",
    "003_e66dc6db878f3d90",
    "004_053fbe268d2d0c68",
)
FAKE_ANSWER = "France and the United Kingdom will lead the working group [1]."


class FakeGenerator:
    """Yields fixed pieces; may first wait for ``gate``, sleep, or raise ``error``."""

    def __init__(
        self,
        pieces: Iterable[str] = (FAKE_ANSWER,),
        *,
        gate: threading.Event | None = None,
        delay_s: float = 0.0,
        error: Exception | None = None,
    ) -> None:
        self.pieces = list(pieces)
        self.gate = gate
        self.delay_s = delay_s
        self.error = error
        self.started = threading.Event()
        self.calls = 0

    @property
    def name(self) -> str:
        return "fake"

    def status(self) -> GeneratorStatus:
        return GeneratorStatus(up=True, detail="fake")

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        self.calls += 1
        self.started.set()
        if self.gate is not None:
            self.gate.wait(timeout=30)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        yield from self.pieces


def with_generator(base: Service, generator: Any, **settings: Any) -> Service:
    """``base``'s real models, store and index around another generator."""
    return base.with_generator(generator, **settings)


def private_corpus(root: Path, cache_dir: Path) -> Settings:
    """A copy of the bundled articles ingested into a private Chroma under ``root``."""
    shutil.copytree(DATA, root / "data")
    settings = Settings(
        data_dir=root / "data",
        chroma_path=root / "chroma",
        cache_dir=cache_dir,
        _env_file=None,  # type: ignore[call-arg]
    )
    ingest(settings)
    return settings


def parse_sse(body: str) -> list[tuple[str, Any]]:
    """``event:``/``data:`` blocks → [(event, decoded JSON data)]."""
    events: list[tuple[str, Any]] = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        name, data = "message", ""
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
        events.append((name, json.loads(data) if data else None))
    return events


free_port = _free_port


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 in a thread; yield its base URL once /healthz
    answers (after the lifespan has built the services)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2).read()
            break
        except OSError as exc:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {url}") from exc
            time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)


class Reply(Protocol):
    """A response, from httpx or from the test client (which has its own httpx)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    def json(self, **kwargs: Any) -> Any: ...


def assert_error(response: Reply, status: int, code: str) -> dict[str, str]:
    """The documented error shape, with no stack trace; returns the error object."""
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text and 'File "' not in response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return dict(body["error"])


def document_text(client: TestClient, doc_id: str) -> str:
    """The cleaned article text that citation spans index, through the API."""
    r = client.get(f"/v1/documents/{doc_id}")
    assert r.status_code == 200, r.text
    return str(r.json()["text"])


def check_citations(client: TestClient, body: dict[str, Any]) -> None:
    """Every citation's quote is exactly its span of the article, and its marker is used."""
    assert body["citations"], body
    for c in body["citations"]:
        span = document_text(client, c["doc_id"])[c["start"] : c["end"]]
        assert span == c["quote"], (span, c)
        assert f"[{c['n']}]" in body["answer"], (c, body["answer"])


def upload(client: TestClient, name: str, content: bytes) -> Reply:
    """A multipart upload in the field ``file``."""
    return client.post("/v1/documents", files={"file": (name, content, "text/plain")})
