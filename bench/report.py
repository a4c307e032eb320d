"""Shared by the benchmarks: machine description, memory, a pipeline without an LLM and
BENCHMARKS.md section updates."""

from __future__ import annotations

import json
import platform
import resource
from collections.abc import Iterator
from pathlib import Path

from rag.errors import GenerationError
from rag.generation import GeneratorStatus
from service.core import Service
from service.settings import Settings


class NoLLM:
    """The retrieval side only: a pipeline built with this loads no model and never answers."""

    name = "none (retrieval only)"

    def status(self) -> GeneratorStatus:
        return GeneratorStatus(up=False, detail="this benchmark loads no LLM")

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        raise GenerationError("this benchmark loads no LLM")


def gold_questions(
    gold: Path, split: str, limit: int = 0, *, follow_ups: bool = False
) -> list[dict[str, object]]:
    """The gold cases of ``split`` ("all": both) without follow-ups (a bench times one
    question at a time), or only the follow-ups; the first ``limit`` of them (0: all)."""
    rows = [json.loads(line) for line in gold.read_text().splitlines() if line.strip()]
    rows = [
        r for r in rows if split in ("all", r.get("split")) and bool(r.get("history")) == follow_ups
    ]
    return rows[:limit] if limit else rows


def ingest_gold_corpus(service: Service, root: Path) -> None:
    """What ``make eval`` stores: the bundled corpus and the articles some gold cases need
    (``eval/data/articles``); without them those answerable cases could only be refused."""
    service.ingest_path()
    service.ingest_path(root / "eval/data/articles")


def answer_settings(root: Path, chroma: Path) -> Settings:
    """A bench that times answers: the bundled corpus in a Chroma of its own, the project's
    model cache, and a deadline no answer reaches (at the service's 30 s, a slow leg would
    turn into quotes, or for the baseline's long prompts an exception)."""
    return Settings(
        data_dir=root / "data",
        chroma_path=chroma,
        cache_dir=root / ".rag/cache",
        llm_timeout_s=600,
        _env_file=None,
    )  # type: ignore[call-arg]


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, MB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def update_section(path: Path, name: str, body: str) -> None:
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = path.read_text() if path.exists() else "# Benchmarks\n\nWritten by `make bench`.\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
