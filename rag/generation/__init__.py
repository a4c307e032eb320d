"""Generators behind one protocol: the embedded llama.cpp model, or any OpenAI-compatible server."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

from rag.errors import GenerationError
from rag.protocols import Generator, GeneratorStatus

__all__ = ["Generator", "GeneratorStatus", "generate", "generate_stream"]


def generate_stream(
    generator: Generator, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
) -> Iterator[str]:
    """The completion piece by piece; the deadline is enforced here too, whatever the
    generator does, and any failure becomes a ``GenerationError``."""
    deadline = time.monotonic() + timeout_s
    # The generator runs in its own thread, so a generator that blocks (a stalled server, a
    # wedged model) cannot hold the request past the deadline: we stop waiting for it.
    pieces: queue.Queue[tuple[str, object]] = queue.Queue()

    def produce() -> None:
        try:
            for piece in generator.stream(messages, max_tokens=max_tokens, timeout_s=timeout_s):
                pieces.put(("piece", piece))
        except Exception as exc:  # handed to the consumer, which raises it as its own
            pieces.put(("error", exc))
        pieces.put(("end", None))

    threading.Thread(target=produce, name="llm-stream", daemon=True).start()
    while True:
        try:
            kind, value = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise GenerationError(f"The LLM did not finish within {timeout_s:g} s.") from None
        if kind == "end":
            return
        if kind == "error":
            if isinstance(value, GenerationError):
                raise value
            # a generator's own bug must not become a 500 either
            raise GenerationError(f"The LLM failed: {value!r}") from value  # type: ignore[misc]
        if time.monotonic() > deadline:
            raise GenerationError(f"The LLM did not finish within {timeout_s:g} s.")
        yield str(value)


def generate(
    generator: Generator, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
) -> str:
    """The whole completion (see ``generate_stream``)."""
    return "".join(generate_stream(generator, messages, max_tokens=max_tokens, timeout_s=timeout_s))
