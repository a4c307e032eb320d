"""`rag serve` as deployed: two uvicorn workers sharing one Chroma server, and the guards.

A document uploaded through whichever worker answers is then listed and readable through
every worker, because the store (a real `chroma run` server) is shared; an embedded store
refuses several workers; without API keys the service binds 127.0.0.1 only.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from tests.api_fixtures import WORKING_GROUP
from tests.conftest import VENV_BIN, _free_port
from tests.model_fixtures import (
    api_workers,
    model_health,
    model_port,
    model_processes,
    packaged_model,
    ready,
    service_env,
    wait_until,
)

pytestmark = pytest.mark.slow


def test_two_workers_share_one_chroma_server(
    tmp_path: Path, data_dir: Path, cache_dir: Path, chroma_server: str
) -> None:
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(data_dir),
        "RAG_CHROMA_URL": chroma_server,
        "RAG_COLLECTION": f"serve-{uuid.uuid4().hex[:8]}",
        "RAG_CACHE_DIR": str(cache_dir),
        "RAG_API_KEYS": "secret-key",
        "RAG_LEXICAL_REFRESH_S": "1",
    }
    ingest = subprocess.run(
        [str(VENV_BIN / "rag"), "ingest", "-q"], env=env, capture_output=True, text=True
    )
    assert ingest.returncode == 0, ingest.stderr
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(VENV_BIN / "rag"), "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": "Bearer secret-key"}
    try:
        deadline = time.monotonic() + 240
        started = 0
        while started < 2 and time.monotonic() < deadline:  # both workers have loaded
            time.sleep(0.5)
            started = (tmp_path / "serve.log").read_text().count("Application startup complete")
        assert started == 2, (tmp_path / "serve.log").read_text()
        added = httpx.post(
            f"{base}/v1/documents",
            headers=auth,
            json={"doc_id": "shared-note", "title": "Shared note", "text": "Wrens nest in May."},
            timeout=120,
        )
        assert added.status_code == 201, added.text
        for _ in range(12):  # new connections: the kernel spreads them over both workers
            with httpx.Client(headers=auth, timeout=30) as client:
                listed = client.get(f"{base}/v1/documents").json()
                assert "shared-note" in [d["doc_id"] for d in listed]
                text = client.get(f"{base}/v1/documents/shared-note").json()["text"]
                assert "Wrens nest in May." in text
        assert httpx.get(f"{base}/v1/documents", timeout=30).status_code == 401
        # Both workers retrieve the new article: the one that ingested it at once, the other
        # once its BM25 index has caught up (RAG_LEXICAL_REFRESH_S=1).
        time.sleep(2.5)
        for _ in range(6):
            with httpx.Client(headers=auth, timeout=120) as client:
                asked = client.post(
                    f"{base}/v1/ask",
                    json={"question": "When do wrens nest?", "include_trace": True},
                )
                assert asked.status_code == 200, asked.text
                retrieved = [c["doc_id"] for c in asked.json()["trace"]["retrieved"]]
                assert retrieved[0] == "shared-note", retrieved
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def test_several_workers_need_a_chroma_server(tmp_path: Path, cache_dir: Path) -> None:
    env = {**os.environ, "RAG_CHROMA_PATH": str(tmp_path / "db"), "RAG_CACHE_DIR": str(cache_dir)}
    env.pop("RAG_CHROMA_URL", None)
    result = subprocess.run(
        [str(VENV_BIN / "rag"), "serve", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Several workers need a Chroma server: set RAG_CHROMA_URL" in result.stderr


def test_without_keys_it_binds_localhost_and_says_so(
    tmp_path: Path, data_dir: Path, cache_dir: Path
) -> None:
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(data_dir),
        "RAG_CHROMA_PATH": str(tmp_path / "db"),
        "RAG_CACHE_DIR": str(cache_dir),
    }
    env.pop("RAG_API_KEYS", None)
    port = _free_port()
    proc = subprocess.Popen(
        [str(VENV_BIN / "rag"), "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    assert "No RAG_API_KEYS set: serving on 127.0.0.1 only, not 0.0.0.0." in err
    assert f"Uvicorn running on http://127.0.0.1:{port}" in err


def test_two_workers_answer_concurrently_through_one_model_process(
    tmp_path: Path, data_dir: Path, cache_dir: Path, chroma_server: str
) -> None:
    """`rag serve --workers 2` with the embedded model: one model process, which both workers
    use at the same time; the workers themselves hold no model."""
    env = service_env(
        RAG_DATA_DIR=str(data_dir),
        RAG_CHROMA_URL=chroma_server,
        RAG_COLLECTION=f"model-{uuid.uuid4().hex[:8]}",
        RAG_CACHE_DIR=str(cache_dir),
        RAG_LLM_MODEL=str(packaged_model()),
        RAG_API_KEYS="secret-key",
        RAG_LLM_TIMEOUT_S="300",  # a slow shared CPU must not turn answers into quotes
    )
    ingest = subprocess.run(
        [str(VENV_BIN / "rag"), "ingest", "-q"], env=env, capture_output=True, text=True
    )
    assert ingest.returncode == 0, ingest.stderr
    port = _free_port()
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": "Bearer secret-key"}
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(VENV_BIN / "rag"), "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    service = psutil.Process(proc.pid)
    models: list[psutil.Process] = []
    try:
        wait_until(
            lambda: log_path.read_text().count("Application startup complete") == 2,
            300,
            f"both workers started: {log_path.read_text()}",
        )
        wait_until(lambda: ready(base), 60, "ready")
        workers, models = api_workers(service), model_processes(service)
        assert len(workers) == 2 and len(models) == 1, (workers, models)
        model, llm_port = models[0], model_port(models[0])
        # the weights are mapped by the model process only
        assert any(m.path == str(packaged_model()) for m in model.memory_maps())
        for worker in workers:
            assert not any(m.path.endswith(".gguf") for m in worker.memory_maps())

        def ask(question: str) -> httpx.Response:
            return httpx.post(
                f"{base}/v1/ask", json={"question": question}, headers=auth, timeout=600
            )

        def talking_to_the_model() -> set[int]:
            """Workers with a request open to the model process (no idle connections are
            kept, so an open one is a completion running or waiting its turn)."""
            found = set()
            for worker in workers:
                for c in worker.net_connections("tcp"):
                    if c.raddr and c.raddr.port == llm_port and c.status == "ESTABLISHED":
                        found.add(worker.pid)
            return found

        questions = [WORKING_GROUP, "Who greeted Zelenskyy at the Elysee palace?"]
        together, answered = False, 0
        for _ in range(8):  # the kernel picks the worker: ask in pairs until both are busy
            with ThreadPoolExecutor(2) as pool:
                futures = [pool.submit(ask, q) for q in questions]
                while not all(f.done() for f in futures):
                    together = together or len(talking_to_the_model()) == 2
                    time.sleep(0.05)
            for future in futures:
                reply = future.result()
                assert reply.status_code == 200, reply.text
                body = reply.json()
                assert not body["fallback"] and not body["abstained"], body
                assert body["citations"], body
                answered += 1
            if together:
                break
        assert together, "the two workers never used the model process at the same time"
        health = model_health(model)
        assert health["served"] >= answered and health["restarts"] == 0, health
        assert model_processes(service) == [model]
    finally:
        proc.terminate()  # a clean stop ends the model process too
        proc.wait(timeout=60)
        _, alive = psutil.wait_procs(models, timeout=15)
        assert not alive, alive
