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
from pathlib import Path

import httpx
import pytest

from tests.conftest import VENV_BIN, _free_port

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
