"""The embedded default: a packaged GGUF instruct model run by llama-cpp-python on the CPU.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) is the default: on the dev prompts it answered with the
right facts and markers where the 0.5B often returned bare markers; see BENCHMARKS.md.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rag.errors import GenerationError
from rag.generation import GeneratorStatus
from rag.generation.logprobs import next_token_logprobs, yes_share
from rag.generation.prefixes import PromptShelf


@dataclass(frozen=True)
class Timings:
    """One completion as llama.cpp counted it (differences of its performance counters):
    how much of the prompt was read, how much came from the cached prefix of the last one."""

    prompt_tokens: int
    cached_tokens: int  # the prefix shared with the previous prompt, not read again
    prompt_ms: float  # reading the rest
    completion_tokens: int
    completion_ms: float
    finish_reason: str

    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Counters = tuple[int, float, int, float]


def _counters(llm: Any) -> Counters | None:
    """llama.cpp's running totals: prompt tokens read and ms, generated tokens read and ms
    (None if this build cannot say: the timings are for reports, never worth an answer)."""
    try:
        from llama_cpp import llama_perf_context

        data = llama_perf_context(llm.ctx)
    except Exception:
        return None
    # llama.cpp reports a count of at least 1; with no time spent, none were read
    read = int(data.n_p_eval) if data.t_p_eval_ms > 0 else 0
    evaluated = int(data.n_eval) if data.t_eval_ms > 0 else 0
    return read, float(data.t_p_eval_ms), evaluated, float(data.t_eval_ms)


def _timings(llm: Any, before: Counters | None, finish: str) -> Timings | None:
    after = _counters(llm)
    if before is None or after is None:
        return None
    read, read_ms = after[0] - before[0], after[1] - before[1]
    evaluated, eval_ms = after[2] - before[2], after[3] - before[3]
    # Every generated token but the last is fed back (the last one too when it was the end
    # token, which is not part of the text); what the context holds beyond that is prompt.
    prompt = max(0, int(llm.n_tokens) - evaluated)
    return Timings(
        prompt_tokens=prompt,
        cached_tokens=max(0, prompt - read),
        prompt_ms=round(read_ms, 1),
        completion_tokens=evaluated + (1 if finish == "length" else 0),
        completion_ms=round(eval_ms, 1),
        finish_reason=finish,
    )


class LlamaCppGenerator:
    def __init__(
        self, model_path: Path, *, threads: int = 2, context: int = 2048, kept_prompts: int = 2
    ) -> None:
        self.model_path = model_path
        self.threads = threads
        self.context = context
        self._llm: Any = None
        # The answer's and the condense step's system prompts each keep their cached prefix.
        self._shelf = PromptShelf(kept_prompts)
        # One llama context serves one request at a time; it also holds the cached prefix.
        self._lock = threading.Lock()
        self.last_timings: Timings | None = None  # of the last completion that finished

    @property
    def name(self) -> str:
        return f"llama.cpp:{self.model_path.stem}"

    def status(self) -> GeneratorStatus:
        """In this process: up (it loads on first use if not yet loaded)."""
        loaded = "loaded" if self._llm is not None else "loads on first use"
        return GeneratorStatus(up=True, detail=f"in process, {loaded}")

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

    def yes_probability(self, messages: list[dict[str, str]], *, timeout_s: float) -> float:
        """P("yes") against "no" as the model's next word after ``messages``: one forward pass
        over the tokens the cached prompt does not already hold, nothing generated."""
        with self._lock:
            llm = self._load()
            try:
                self._shelf.switch(llm, messages)
                return yes_share(next_token_logprobs(llm, messages, 40))
            except Exception as exc:  # llama.cpp raises bare RuntimeError/ValueError
                self._shelf.forget()
                raise GenerationError(f"The embedded LLM failed to judge: {exc}") from exc

    def top_logprobs(self, messages: list[dict[str, str]], n: int) -> list[tuple[str, float]]:
        """The ``n`` likeliest next tokens after ``messages`` with their log-probabilities
        (what an OpenAI-compatible server returns for ``max_tokens=1, top_logprobs=n``)."""
        with self._lock:
            llm = self._load()
            try:
                self._shelf.switch(llm, messages)
                return next_token_logprobs(llm, messages, n)
            except Exception as exc:  # llama.cpp raises bare RuntimeError/ValueError
                self._shelf.forget()
                raise GenerationError(f"The embedded LLM failed: {exc}") from exc

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            llm = self._load()
            try:
                self._shelf.switch(llm, messages)
                before = _counters(llm)
                finish = "stop"
                pieces = llm.create_chat_completion(
                    messages, max_tokens=max_tokens, temperature=0.0, stream=True
                )
                for piece in pieces:
                    if time.monotonic() > deadline:
                        raise GenerationError(f"The LLM did not finish within {timeout_s:.0f} s.")
                    choice = piece["choices"][0]
                    finish = choice.get("finish_reason") or finish
                    text = choice["delta"].get("content")
                    if text:
                        yield text
                self.last_timings = _timings(llm, before, finish)
            except GenerationError:
                raise
            except Exception as exc:  # llama.cpp raises bare RuntimeError/ValueError
                self._shelf.forget()
                raise GenerationError(f"The embedded LLM failed: {exc}") from exc
