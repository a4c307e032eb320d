"""Any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp server, OpenAI), over httpx."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx

from rag.errors import GenerationError


class OpenAICompatibleGenerator:
    def __init__(self, base_url: str, model: str, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    @property
    def name(self) -> str:
        return f"openai:{self.model}@{self.base_url}"

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stream": True,
        }
        try:
            with httpx.stream(
                "POST",
                f"{self.base_url}/chat/completions",
                json=body,
                headers=self.headers,
                timeout=timeout_s,
            ) as response:
                if response.status_code != 200:
                    response.read()
                    raise GenerationError(
                        f"The LLM server answered {response.status_code}: {response.text[:200]}"
                    )
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    delta = json.loads(data)["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
        except httpx.HTTPError as exc:
            raise GenerationError(f"The LLM server at {self.base_url} failed: {exc}") from exc
