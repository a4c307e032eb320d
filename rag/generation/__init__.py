"""Generators behind one protocol: the embedded llama.cpp model, or any OpenAI-compatible server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Protocol

from rag.errors import GenerationError


class Generator(Protocol):
    @property
    def name(self) -> str: ...

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        """Yield text pieces; raise GenerationError on failure or when ``timeout_s`` passes."""
        ...


def generate_stream(
    generator: Generator, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
) -> Iterator[str]:
    """The completion piece by piece; the deadline is enforced here too, whatever the
    generator does, and any failure becomes a ``GenerationError``."""
    deadline = time.monotonic() + timeout_s
    try:
        for piece in generator.stream(messages, max_tokens=max_tokens, timeout_s=timeout_s):
            if time.monotonic() > deadline:
                raise GenerationError(f"The LLM did not finish within {timeout_s:g} s.")
            yield piece
    except GenerationError:
        raise
    except Exception as exc:  # a generator's own bug must not become a 500 either
        raise GenerationError(f"The LLM failed: {exc!r}") from exc


def generate(
    generator: Generator, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
) -> str:
    """The whole completion (see ``generate_stream``)."""
    return "".join(generate_stream(generator, messages, max_tokens=max_tokens, timeout_s=timeout_s))
