"""The embedded model in its own supervised process (modelserver).

Real model (the packaged Qwen2.5 1.5B), real processes, real signals, real HTTP: the
supervisor starts `python -m modelserver`; the service is `rag serve` on 127.0.0.1. The
last tests are unit tests of the HTTP client's handling of broken streams, against a small
local stand-in server.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from modelserver.app import parse_request
from modelserver.supervisor import ModelSupervisor
from rag.errors import GenerationError, ModelUnavailableError
from rag.generation import generate
from rag.generation.openai import OpenAICompatibleGenerator
from rag.prompting import answer_messages
from tests.api_fixtures import WORKING_GROUP
from tests.conftest import VENV_BIN, _free_port
from tests.model_fixtures import (
    model_health,
    model_processes,
    packaged_model,
    ready,
    service_env,
    wait_until,
)

SAY = [{"role": "user", "content": "Reply with the single word: yes."}]


@pytest.mark.slow
def test_supervisor_restarts_the_model_process_after_each_fatal_signal() -> None:
    from openai import AuthenticationError, OpenAI

    with ModelSupervisor(packaged_model(), name="qwen") as sup:
        first = sup.pid
        assert first is not None and sup.restarts == 0
        client = OpenAI(base_url=sup.base_url, api_key=sup.key, max_retries=0)
        reply = client.chat.completions.create(model="qwen", messages=SAY, max_tokens=8)  # type: ignore[arg-type]
        assert reply.choices[0].message.content and reply.usage is not None
        with pytest.raises(AuthenticationError):  # other local users cannot use it
            OpenAI(base_url=sup.base_url, api_key="guess", max_retries=0).models.list()

        seen = [first]
        for n, sig in enumerate((signal.SIGSEGV, signal.SIGILL, signal.SIGKILL), start=1):
            os.kill(seen[-1], sig)
            wait_until(lambda: sup.pid not in (None, *seen) and sup.healthy(), 60, f"restart {n}")
            seen.append(sup.pid)  # type: ignore[arg-type]
            assert sup.restarts == n
            health = httpx.get(sup.health_url, timeout=5).json()
            assert health["restarts"] == n and health["pid"] == sup.pid
        # the restarted process answers, streaming, through the project's own client
        generator = OpenAICompatibleGenerator(
            sup.base_url, "qwen", sup.key, health_url=sup.health_url
        )
        assert generate(generator, SAY, max_tokens=8, timeout_s=60).strip()
        status = generator.status()
        assert status.up and status.restarts == 3
    assert not any(psutil.pid_exists(pid) for pid in seen)  # stopped, none left behind
    assert not generator.status().up


@pytest.mark.slow
def test_the_model_process_keeps_the_prompt_prefix_cached() -> None:
    """One llama.cpp context serves every request: the constant system prompt is read once."""
    with ModelSupervisor(packaged_model()) as sup:
        generator = OpenAICompatibleGenerator(sup.base_url, "m", sup.key)
        read = []
        for question in ("Who leads the group?", "When did the talks begin?"):
            generate(generator, answer_messages(question, []), max_tokens=4, timeout_s=120)
            read.append(httpx.get(sup.health_url, timeout=5).json()["last_completion"])
    system_tokens = read[0]["prompt_tokens"] - 40  # the user part is short
    assert read[0]["cached_tokens"] < 5, read[0]  # the first prompt was read whole
    assert read[1]["cached_tokens"] >= system_tokens, read  # the second reused the prefix
    assert read[1]["prompt_tokens"] - read[1]["cached_tokens"] < 40, read


@pytest.mark.slow
def test_a_model_file_that_cannot_load_fails_the_start_with_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 4096)
    sup = ModelSupervisor(broken)
    with pytest.raises(ModelUnavailableError) as caught:
        sup.start()
    message = str(caught.value)
    assert "exited with code 3 before it was ready" in message
    assert "could not be loaded" in message
    assert sup.pid is None


@pytest.mark.slow
def test_an_illegal_instruction_at_start_names_the_cpu_build() -> None:
    """As on a CPU whose instructions the llama.cpp build assumes and the machine lacks."""
    sup = ModelSupervisor(packaged_model())
    failure: list[BaseException] = []

    def start() -> None:
        try:
            sup.start()
        except ModelUnavailableError as exc:
            failure.append(exc)

    starting = threading.Thread(target=start)
    starting.start()
    me = psutil.Process()
    wait_until(lambda: bool(model_processes(me)), 30, "the model process started")
    os.kill(model_processes(me)[0].pid, signal.SIGILL)
    starting.join(60)
    assert failure, "start() did not fail"
    message = str(failure[0])
    assert "was killed by SIGILL before it was ready" in message
    assert "CPU instructions this machine cannot run" in message and "make setup" in message
    assert not model_processes(me)


@pytest.mark.slow
def test_sigkill_mid_answer_gives_flagged_quotes_and_the_service_recovers(
    tmp_path: Path, data_dir: Path, cache_dir: Path
) -> None:
    env = service_env(
        RAG_DATA_DIR=str(data_dir),
        RAG_CHROMA_PATH=str(tmp_path / "db"),
        RAG_CACHE_DIR=str(cache_dir),
        RAG_LLM_MODEL=str(packaged_model()),
        RAG_API_KEYS="secret-key",
        RAG_LLM_TIMEOUT_S="300",  # a slow shared CPU must not turn answers into quotes
    )
    rag = str(VENV_BIN / "rag")
    ingest = subprocess.run([rag, "ingest", "-q"], env=env, capture_output=True, text=True)
    assert ingest.returncode == 0, ingest.stderr
    port = _free_port()
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": "Bearer secret-key"}
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        serve = subprocess.Popen(
            [rag, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    service = psutil.Process(serve.pid)
    children: list[psutil.Process] = []
    try:
        wait_until(lambda: ready(base), 300, f"rag serve ready: {log_path.read_text()}")
        children = model_processes(service)
        assert len(children) == 1, children
        child = children[0]
        assert model_health(child)["restarts"] == 0

        replies: list[httpx.Response] = []
        asking = threading.Thread(
            target=lambda: replies.append(
                httpx.post(
                    f"{base}/v1/ask",
                    json={"question": WORKING_GROUP, "include_trace": True},
                    headers=auth,
                    timeout=600,
                )
            )
        )
        asking.start()
        wait_until(lambda: model_health(child)["busy"] == 1, 60, "the question reached the model")
        time.sleep(0.5)  # inside llama.cpp, reading the prompt or writing
        child.send_signal(signal.SIGKILL)
        asking.join(600)

        reply = replies[0]
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["fallback"] is True and not body["abstained"], body
        assert body["citations"] and "the most relevant passages say" in body["answer"]
        assert body["trace"]["decision"].startswith("fallback:"), body["trace"]["decision"]

        # /readyz says so until the supervisor has the model back, then recovers on its own
        unready = httpx.get(f"{base}/readyz", timeout=10)
        assert unready.status_code == 503, unready.text
        assert "The LLM is not answering" in unready.json()["error"]["message"]
        wait_until(lambda: ready(base), 120, "ready again after the restart")
        assert httpx.get(f"{base}/readyz", timeout=10).json()["generator"]["restarts"] == 1
        children = model_processes(service)
        assert len(children) == 1 and children[0].pid != child.pid, children
        metrics = httpx.get(f"{base}/metrics", headers=auth, timeout=10).text
        assert "rag_generator_up 1.0" in metrics
        assert "rag_generator_restarts_total 1.0" in metrics

        after = httpx.post(
            f"{base}/v1/ask", json={"question": WORKING_GROUP}, headers=auth, timeout=600
        )
        assert after.status_code == 200, after.text
        answer = after.json()
        assert answer["fallback"] is False and not answer["abstained"], answer
        assert "France" in answer["answer"] and answer["citations"]
    finally:
        serve.send_signal(signal.SIGKILL)  # however the service ends, the model goes with it
        serve.wait(timeout=30)
        _, alive = psutil.wait_procs(children, timeout=15)
        assert not alive, alive


def test_requests_are_checked_before_the_model_sees_them() -> None:
    ok = parse_request(json.dumps({"messages": SAY, "stream": True}).encode(), context=2048)
    assert ok.stream and ok.max_tokens == 256 and ok.messages == SAY
    capped = parse_request(json.dumps({"messages": SAY, "max_tokens": 9999}).encode(), 2048)
    assert capped.max_tokens == 2048
    for body, problem in (
        (b"{", "not JSON"),
        (b"[]", "JSON object"),
        (b"{}", "`messages`"),
        (json.dumps({"messages": [{"role": "tool", "content": "x"}]}).encode(), "role"),
        (json.dumps({"messages": SAY, "max_tokens": 0}).encode(), "`max_tokens`"),
        (json.dumps({"messages": SAY, "stream": "yes"}).encode(), "`stream`"),
    ):
        with pytest.raises(ValueError, match=problem):
            parse_request(body, context=2048)


class StandIn:
    """A one-shot HTTP server on 127.0.0.1 that sends ``reply`` (raw bytes) and closes."""

    def __init__(self, reply: bytes) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.reply = reply
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        # Read the whole request first: closing a socket with unread bytes sends a reset,
        # and the client would see "connection reset" instead of the reply under test.
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(65536)
        head, _, body = request.partition(b"\r\n\r\n")
        length = re.search(rb"(?i)content-length:\s*(\d+)", head)
        while length and len(body) < int(length.group(1)):
            body += conn.recv(65536)
        conn.sendall(self.reply)
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(5)
        try:
            while conn.recv(65536):  # until the client closes its side
                pass
        except OSError:
            pass
        conn.close()
        self.sock.close()


def _event(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data)}\n\n".encode()


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (  # a body without a length, cut before [DONE]: the server died mid-answer
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            + _event({"choices": [{"delta": {"content": "France and"}}]}),
            "ended the stream unfinished",
        ),
        (  # chunked, cut mid-body
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n40\r\ndata: {",
            "failed",
        ),
        (  # an error event in the stream
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            + _event({"error": {"message": "out of memory"}}),
            "out of memory",
        ),
        (b"HTTP/1.1 500 Oops\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbusy", "500: busy"),
    ],
    ids=["no-done", "cut-chunk", "error-event", "status"],
)
def test_a_broken_stream_is_a_generation_error(reply: bytes, problem: str) -> None:
    server = StandIn(reply)
    generator = OpenAICompatibleGenerator(f"{server.url}/v1", "m")
    with pytest.raises(GenerationError, match=problem):
        generate(generator, SAY, max_tokens=8, timeout_s=10)


def test_status_follows_the_health_url() -> None:
    assert OpenAICompatibleGenerator("http://127.0.0.1:9/v1", "m").status().up  # not checked
    down = OpenAICompatibleGenerator(
        "http://127.0.0.1:9/v1", "m", health_url=f"http://127.0.0.1:{_free_port()}/health"
    ).status()
    assert not down.up and "unreachable" in down.detail
    body = b'{"status": "ok", "restarts": 2}'
    server = StandIn(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
    up = OpenAICompatibleGenerator("http://x/v1", "m", health_url=f"{server.url}/health").status()
    assert up.up and up.restarts == 2
    server = StandIn(b"HTTP/1.1 503 Loading\r\ncontent-length: 0\r\n\r\n")
    loading = OpenAICompatibleGenerator("http://x/v1", "m", health_url=f"{server.url}/health")
    assert not loading.status().up
