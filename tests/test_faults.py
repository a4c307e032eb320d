"""Faults with the real components: the Chroma server going away and coming back under a
running API, and ingests racing questions.

The API is served by uvicorn on 127.0.0.1 and spoken to over HTTP; the store is a real
`chroma run` server (first test) or real embedded Chroma (second); the LLM is the packaged
Qwen2.5 1.5B where an answer is read.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from service.core import Service
from service.settings import Settings
from tests.api_fixtures import WORKING_GROUP, assert_error, private_corpus, serve
from tests.conftest import DATA, VENV_BIN, _free_port, ingest

pytestmark = [pytest.mark.slow, pytest.mark.server]


@contextmanager
def chroma_run(folder: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`chroma run` on 127.0.0.1:``port`` over ``folder``, up until the block ends."""
    log = (folder / f"server-{time.monotonic_ns()}.log").open("wb")
    command = ["run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        [str(VENV_BIN / "chroma"), *command],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "chroma did not start"
            time.sleep(0.2)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)
        log.close()


def test_chroma_server_stopped_then_back(tmp_path: Path, cache_dir: Path, service: Service) -> None:
    port = _free_port()
    shutil.copytree(DATA, tmp_path / "data")
    settings = Settings(
        data_dir=tmp_path / "data",
        chroma_url=f"http://127.0.0.1:{port}",
        cache_dir=cache_dir,
        lexical_refresh_s=0.5,  # the refresher must survive the outage too
        _env_file=None,  # type: ignore[call-arg]
    )
    with chroma_run(tmp_path, port) as chroma:
        ingest(settings)
        served = Service.from_settings(settings, generator=service.parts.generator)
        app = create_app(service=served)
        with serve(app) as url, httpx.Client(base_url=url, timeout=120) as client:
            assert client.get("/readyz").status_code == 200
            before = client.post("/v1/ask", json={"question": WORKING_GROUP})
            assert before.status_code == 200 and before.json()["citations"], before.text

            chroma.kill()  # the server dies under the running API
            chroma.wait()
            ready = client.get("/readyz")
            assert_error(ready, 503, "not_ready")
            assert ready.headers["retry-after"] == "5"
            assert "Chroma" in ready.json()["error"]["message"]
            for response in (
                client.post("/v1/ask", json={"question": WORKING_GROUP}),
                client.post(
                    "/v1/chat",
                    json={"messages": [{"role": "user", "content": WORKING_GROUP}], "stream": True},
                ),
                client.post(
                    "/v1/chat/completions",
                    json={"model": "rag", "messages": [{"role": "user", "content": WORKING_GROUP}]},
                ),
                client.get("/v1/documents"),
                client.post("/v1/documents", json={"doc_id": "note", "text": "Wrens nest in May."}),
            ):
                error = assert_error(response, 503, "store_unavailable")
                assert f"127.0.0.1:{port}" in error["message"]
            assert client.get("/healthz").status_code == 200  # the process itself is fine
            time.sleep(1.5)  # a few background refreshes fail meanwhile, quietly

            with chroma_run(tmp_path, port):  # same folder, same port: the store is back
                assert client.get("/readyz").status_code == 200
                after = client.post("/v1/ask", json={"question": WORKING_GROUP})
                assert after.status_code == 200, after.text
                assert "France" in after.json()["answer"] and after.json()["citations"]
                added = client.post(
                    "/v1/documents", json={"doc_id": "note", "text": "Wrens nest in May."}
                )
                assert added.status_code == 201, added.text


def _article(marker: str) -> str:
    """Six paragraphs, every sentence carrying ``marker``: any chunk shows its version."""
    paragraphs = [
        f"Stage {i} of the harbour project went ahead, engineers said, under code {marker}. "
        f"The harbour crews logged stage {i} as complete under code {marker}, and the port "
        f"authority confirmed the code {marker} schedule for the next stage of the works. "
        f"Local officials praised the code {marker} harbour plan at a briefing on stage {i}."
        for i in range(1, 7)
    ]
    return "Harbour project report\n\n" + "\n\n".join(paragraphs) + "\n"


def test_ingest_racing_questions_sees_whole_articles(
    tmp_path: Path, cache_dir: Path, service: Service
) -> None:
    settings = private_corpus(tmp_path, cache_dir)
    served = Service.from_settings(settings, generator=service.parts.generator)
    app = create_app(service=served)
    versions = ("alpha", "bravo")
    seen: list[set[str]] = []
    errors: list[str] = []
    stop = threading.Event()

    def ask_retrieval() -> None:
        """Retrieval as the API runs it, as fast as it goes, while articles are replaced."""
        while not stop.is_set():
            try:
                got = served.parts.retriever.retrieve("harbour project stage code", k=6)
            except Exception as exc:
                errors.append(repr(exc))
                continue
            markers = {
                v for c in got.ranking if c.doc_id == "harbour" for v in versions if v in c.text
            }
            seen.append(markers)

    with serve(app) as url, httpx.Client(base_url=url, timeout=300) as client:
        first = client.post(
            "/v1/documents", files={"file": ("harbour.txt", _article("alpha").encode())}
        )
        assert first.status_code == 201, first.text
        reader = threading.Thread(target=ask_retrieval)
        reader.start()
        answers = []
        try:
            for round_ in range(6):
                marker = versions[(round_ + 1) % 2]
                put = client.post(
                    "/v1/documents", files={"file": ("harbour.txt", _article(marker).encode())}
                )
                assert put.status_code == 201 and put.json()["status"] == "updated", put.text
                if round_ % 2 == 0:  # a whole answer through HTTP, with the real LLM
                    answers.append(
                        client.post(
                            "/v1/ask",
                            json={
                                "question": "Under which code did the harbour project go ahead?",
                                "include_trace": True,
                            },
                        )
                    )
        finally:
            stop.set()
            reader.join(timeout=60)
    assert not errors, errors[:3]
    assert len(seen) >= 20 and any(seen)
    assert all(len(markers) <= 1 for markers in seen), [m for m in seen if len(m) > 1][:3]
    assert {m for markers in seen for m in markers} == set(versions)  # both were seen
    for response in answers:
        assert response.status_code == 200, response.text
        trace = response.json()["trace"]
        texts = [c["text"] for c in trace["retrieved"] if c["doc_id"] == "harbour"] + [
            s["text"] for p in trace["passages"] if p["doc_id"] == "harbour" for s in p["sentences"]
        ]
        assert texts and len({v for t in texts for v in versions if v in t}) == 1


class HangingLLM:
    """An OpenAI-compatible server on 127.0.0.1 that hangs: after accepting the request
    (``mode="silent"``), or after streaming two tokens (``mode="stalls"``)."""

    def __init__(self, mode: str) -> None:
        import socket

        self.mode = mode
        self.release = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.recv(65536)
            if self.mode == "stalls":
                chunk = '{"choices": [{"delta": {"content": "France and"}}]}'
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                    b"transfer-encoding: chunked\r\n\r\n"
                )
                event = f"data: {chunk}\n\n".encode()
                conn.sendall(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            self.release.wait(60)  # hang until the test ends
            conn.close()

    def close(self) -> None:
        self.release.set()
        self.sock.close()


@pytest.mark.parametrize("mode", ["silent", "stalls"])
def test_llm_server_that_hangs_gives_flagged_quotes_in_time(
    mode: str, tmp_path: Path, service: Service
) -> None:
    from rag.generation.openai import OpenAICompatibleGenerator
    from tests.api_fixtures import with_generator

    llm = HangingLLM(mode)
    try:
        generator = OpenAICompatibleGenerator(llm.url, "hanging-model")
        served = with_generator(service, generator, llm_timeout_s=2.0, data_dir=tmp_path)
        with serve(create_app(service=served)) as url:
            t0 = time.monotonic()
            r = httpx.post(f"{url}/v1/ask", json={"question": WORKING_GROUP}, timeout=60)
            elapsed = time.monotonic() - t0
    finally:
        llm.close()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["fallback"] is True and not body["abstained"]
    assert body["citations"] and "the most relevant passages say" in body["answer"]
    assert elapsed < 2.0 + 3.0, elapsed  # the timeout, plus retrieval and evidence
