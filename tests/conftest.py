"""Shared fixtures: real settings in temp folders, the real embedder, a real Chroma server."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.models.embedder import SentenceTransformerEmbedder
from rag.settings import Settings
from rag.types import ScoredChunk

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
VENV_BIN = Path(sys.executable).parent

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def scored_chunk(
    doc_id: str,
    text: str,
    *,
    index: int = 0,
    version: str = "v",
    published: dt.date | None = None,
    **scores: float,
) -> ScoredChunk:
    """A chunk made by hand for the ranking unit tests: the whole of ``text``, no title."""
    return ScoredChunk(
        chunk_id=f"{doc_id}::{version}::{index:04d}",
        doc_id=doc_id,
        title="",
        published=published,
        text=text,
        start=0,
        end=len(text),
        scores=scores,
    )


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled articles, free to edit."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, data_dir: Path, cache_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        chroma_path=tmp_path / "chroma",
        cache_dir=cache_dir,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def embedder(cache_dir: Path) -> SentenceTransformerEmbedder:
    """The real packaged MiniLM, loaded once per session."""
    return SentenceTransformerEmbedder(Settings(cache_dir=cache_dir, _env_file=None))  # type: ignore[call-arg]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`chroma run` on 127.0.0.1, started for the session and stopped after it."""
    port = _free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "chroma"),
            "run",
            "--path",
            str(folder / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"chroma server did not start: {(folder / 'server.log').read_text()}")
            time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Settings:
    """The bundled corpus ingested once into a session store (read-only for tests)."""
    from ingest import ingest

    folder = tmp_path_factory.mktemp("corpus")
    settings = Settings(
        data_dir=DATA, chroma_path=folder / "chroma", cache_dir=ROOT / ".rag/cache", _env_file=None
    )  # type: ignore[call-arg]
    ingest(settings)
    return settings


@pytest.fixture(scope="session")
def pipeline(corpus_settings: Settings):  # type: ignore[no-untyped-def]
    """The real pipeline: MiniLM, Chroma, BM25 and the packaged Qwen2.5 1.5B via llama.cpp."""
    from rag.pipeline import Pipeline

    return Pipeline.from_settings(corpus_settings)
