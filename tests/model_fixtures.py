"""Helpers for the tests of the supervised model process: the packaged GGUF, the model and
worker processes under a running `rag serve`, and waiting for a condition."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

import httpx
import psutil

from rag.models.gguf import resolve_gguf
from service.settings import Settings
from tests.conftest import ROOT


@cache
def packaged_model() -> Path:
    """The packaged Qwen2.5 1.5B, assembled once into the project's cache (as the pipeline
    fixture does); services under test get it as RAG_LLM_MODEL, a .gguf path."""
    default = Settings(_env_file=None).llm_model  # type: ignore[call-arg]
    return resolve_gguf(default, ROOT / ".rag/cache")


def service_env(**values: str) -> dict[str, str]:
    """This process's environment without any LLM settings of its own, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_LLM_")}
    env.pop("RAG_CHROMA_URL", None)
    return {**env, **values}


def model_processes(root: psutil.Process) -> list[psutil.Process]:
    """The model processes (``python -m modelserver``) anywhere under ``root``."""
    found = []
    for p in root.children(recursive=True):
        try:
            if "modelserver" in p.cmdline():
                found.append(p)
        except psutil.NoSuchProcess:
            continue
    return found


def api_workers(root: psutil.Process) -> list[psutil.Process]:
    """uvicorn's worker processes under ``root`` (multiprocessing spawns them)."""
    found = []
    for p in root.children():
        try:
            if any("spawn_main" in part for part in p.cmdline()):
                found.append(p)
        except psutil.NoSuchProcess:
            continue
    return found


def model_health(process: psutil.Process) -> dict[str, object]:
    """The model process's own /health, found from the port on its command line."""
    cmdline = process.cmdline()
    port = cmdline[cmdline.index("--port") + 1]
    body: dict[str, object] = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()
    return body


def model_port(process: psutil.Process) -> int:
    cmdline = process.cmdline()
    return int(cmdline[cmdline.index("--port") + 1])


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout_s:g} s: {what}"
        time.sleep(0.05)


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
