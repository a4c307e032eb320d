"""Shared fixtures: real settings in temp folders, the real embedder, a real Chroma server."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.sync import SyncReport
from rag.models.embedder import SentenceTransformerEmbedder
from rag.pipeline import Pipeline
from rag.types import BM25Params, ScoredChunk
from service.core import Service
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

# The bundled articles as committed: name -> sha256. The working data/ folder is the service's:
# uploads land there, so tests never read it directly. DATA is this test process's own copy of
# exactly these five files, made when the session starts (pytest_configure) and removed after.
BUNDLED_ARTICLES = {
    "000_87e92a4300705097.txt": "cb4a7cd0c0a63cf739e183be6086af9cdb5faaa285f9e0a2d3ae8e7907c259ee",
    "001_43b0c0d1ec5d1bd6.txt": "83be043bcf309e04e9f521647c436a588d4f6893f77044819c00970ae60a79cf",
    "002_d284d28d32ec8da7.txt": "715c37205aa052447f664b74c28fd9d5c3396ff5840dcb2f0eac2e80e1b4961a",
    "003_e66dc6db878f3d90.txt": "79b13c4bdbfd37a62cbbda58f839b2bba886e75470713bd4a2b596ba8002d36b",
    "004_053fbe268d2d0c68.txt": "49e148012ed61ab96a363826dd9925d96e9336e5c87f217d52772d8bee1108bd",
}
DATA = Path(tempfile.gettempdir()) / f"rag-tests-{os.getpid()}" / "data"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# The answer deadline protects a service; in tests it would turn a slow, shared CI machine's
# answers into quotes and fail checks of what the answers say. Tests of the deadline itself set
# their own (1-2 s); every other Settings, and every service a test starts, reads this one.
os.environ.setdefault("RAG_LLM_TIMEOUT_S", "600")


def ingest(settings: Settings, path: Path | None = None) -> SyncReport:
    """What `rag ingest [path]` does: a fresh ``Service`` over ``settings`` syncs the path."""
    return Service.from_settings(settings).ingest_path(path)


def bm25_params(**overrides: object) -> BM25Params:
    """The product's BM25 parameters (from ``Settings``), with ``overrides``."""
    return Settings(_env_file=None).bm25.model_copy(update=overrides)  # type: ignore[call-arg]


def _bundled_bytes(name: str) -> bytes:
    """The committed bytes of one bundled article: the working file when it is intact, else
    git's copy at HEAD (an upload may have replaced the working file)."""
    want = BUNDLED_ARTICLES[name]
    working = ROOT / "data" / name
    if working.is_file() and hashlib.sha256(data := working.read_bytes()).hexdigest() == want:
        return data
    git = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"HEAD:data/{name}"], capture_output=True, check=False
    )
    if git.returncode == 0 and hashlib.sha256(git.stdout).hexdigest() == want:
        return git.stdout
    raise pytest.UsageError(
        f"data/{name} is not the bundled article the tests are written for (sha256 {want}), "
        "neither in the working folder nor in git's HEAD. Restore it with "
        f"`git checkout HEAD -- data/{name}`; if the article was changed on purpose, update "
        "BUNDLED_ARTICLES in tests/conftest.py (and the tests that quote it)."
    )


def pytest_configure(config: pytest.Config) -> None:
    """Make DATA: the five bundled articles, verified, whatever else data/ holds."""
    shutil.rmtree(DATA.parent, ignore_errors=True)  # a dead process's, with our pid
    DATA.mkdir(parents=True)
    for name in BUNDLED_ARTICLES:
        (DATA / name).write_bytes(_bundled_bytes(name))


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(DATA.parent, ignore_errors=True)


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
    """A private copy of the bundled articles (DATA), free to edit."""
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
    folder = tmp_path_factory.mktemp("corpus")
    settings = Settings(
        data_dir=DATA, chroma_path=folder / "chroma", cache_dir=ROOT / ".rag/cache", _env_file=None
    )  # type: ignore[call-arg]
    ingest(settings)
    return settings


@pytest.fixture(scope="session")
def service(corpus_settings: Settings) -> Service:
    """The real service: MiniLM, Chroma, BM25 and the packaged Qwen2.5 1.5B via llama.cpp."""
    return Service.from_settings(corpus_settings)


@pytest.fixture(scope="session")
def pipeline(service: Service) -> Pipeline:
    """The session service's answer path, for tests of the library itself."""
    return service.parts.pipeline
