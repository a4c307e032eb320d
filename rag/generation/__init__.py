"""Generators behind one protocol: the embedded llama.cpp model, or any OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


class Generator(Protocol):
    @property
    def name(self) -> str: ...

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        """Yield text pieces; raise GenerationError on failure or when ``timeout_s`` passes."""
        ...


def generate(
    generator: Generator, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
) -> str:
    return "".join(generator.stream(messages, max_tokens=max_tokens, timeout_s=timeout_s))
