"""The embedded default: a packaged GGUF instruct model run by llama-cpp-python on the CPU.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) is the default: on the dev prompts it answered with the
right facts and markers where the 0.5B often returned bare markers; see BENCHMARKS.md.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.errors import GenerationError


class LlamaCppGenerator:
    def __init__(self, model_path: Path, *, threads: int = 2, context: int = 2048) -> None:
        self.model_path = model_path
        self.threads = threads
        self.context = context
        self._llm: Any = None
        # One llama context serves one request at a time; it also holds the cached prefix.
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"llama.cpp:{self.model_path.stem}"

    def load(self) -> None:
        with self._lock:
            self._load()

    def _load(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise GenerationError(
                    "The embedded LLM needs llama-cpp-python: run `.venv/bin/pip install "
                    "llama-cpp-python==0.3.36`."
                ) from None
            self._llm = Llama(
                model_path=str(self.model_path),
                n_ctx=self.context,
                n_threads=self.threads,
                n_batch=512,
                verbose=False,
            )
        return self._llm

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            llm = self._load()
            try:
                pieces = llm.create_chat_completion(
                    messages, max_tokens=max_tokens, temperature=0.0, stream=True
                )
                for piece in pieces:
                    if time.monotonic() > deadline:
                        raise GenerationError(f"The LLM did not finish within {timeout_s:.0f} s.")
                    text = piece["choices"][0]["delta"].get("content")
                    if text:
                        yield text
            except GenerationError:
                raise
            except Exception as exc:  # llama.cpp raises bare RuntimeError/ValueError
                raise GenerationError(f"The embedded LLM failed: {exc}") from exc
