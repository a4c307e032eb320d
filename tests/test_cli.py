"""The `rag` command as a user runs it: a real process, real files, real store."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import VENV_BIN

pytestmark = pytest.mark.slow


def rag(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "rag"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def env(tmp_path: Path, data_dir: Path, cache_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RAG_DATA_DIR": str(data_dir),
        "RAG_CHROMA_PATH": str(tmp_path / "db"),
        "RAG_CACHE_DIR": str(cache_dir),
    }


SUMMARY = re.compile(
    r"added (\d+), updated (\d+), unchanged (\d+), skipped (\d+), pruned (\d+); "
    r"chunks (\d+) written, (\d+) deleted; [\d.]+ seconds"
)


def test_ingest_twice_then_stats(tmp_path: Path, env: dict[str, str]) -> None:
    first = rag("ingest", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    m = SUMMARY.search(first.stdout)
    assert m and m.groups()[:5] == ("5", "0", "0", "0", "0") and int(m[6]) > 0

    second = rag("ingest", env=env, cwd=tmp_path)
    m2 = SUMMARY.search(second.stdout)
    assert m2 and m2.groups()[:7] == ("0", "0", "5", "0", "0", "0", "0")

    stats = rag("stats", "--json", env=env, cwd=tmp_path)
    info = json.loads(stats.stdout)
    assert (info["articles"], info["chunks"], info["embedding_model"]) == (
        5,
        int(m[6]),
        "all-MiniLM-L6-v2",
    )
    assert info["documents"][0]["doc_id"] == "000_87e92a4300705097"
    assert info["documents"][2]["published"] == "2025-12-01"

    table = rag("stats", env=env, cwd=tmp_path).stdout
    assert "003_e66dc6db878f3d90       2025-09-04" in table


def test_skipped_files_are_named_on_stderr(
    tmp_path: Path, env: dict[str, str], data_dir: Path
) -> None:
    (data_dir / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    out = rag("ingest", "-q", env=env, cwd=tmp_path)
    assert out.returncode == 0
    assert "warning: skipped photo.jpg: unsupported file type .jpg" in out.stderr
    assert "added 5, updated 0, unchanged 0, skipped 1, pruned 0" in out.stdout


def test_errors_are_one_line_with_exit_codes(tmp_path: Path, env: dict[str, str]) -> None:
    bad = rag("ingest", env={**env, "RAG_CHUNK_OVERLAP": "500"}, cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: Invalid settings:") and "chunk_overlap" in bad.stderr
    assert "Traceback" not in bad.stderr

    missing = rag("ingest", str(tmp_path / "nowhere"), env=env, cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"error: No such file or folder: {tmp_path / 'nowhere'}."

    unknown = rag("ingest", env={**env, "RAG_EMBEDDING_MODEL": "bge-small"}, cwd=tmp_path)
    assert unknown.returncode == 2 and "Unknown embedding model 'bge-small'" in unknown.stderr

    too_big = rag("ingest", env={**env, "RAG_CHUNK_TOKENS": "400"}, cwd=tmp_path)
    assert (
        too_big.returncode == 2 and "exceeds the embedding model's limit of 254" in too_big.stderr
    )


def test_models_lists_packaged_models(tmp_path: Path, env: dict[str, str]) -> None:
    out = rag("models", env=env, cwd=tmp_path).stdout
    assert re.search(r"all-MiniLM-L6-v2\s+embedder\s+installed", out)
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m" in out
