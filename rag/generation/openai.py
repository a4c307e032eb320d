"""Any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp server, OpenAI), over httpx.

Also how API workers reach the supervised model process (``modelserver``): its URL, key and
health URL come in through the settings ``rag serve`` gives them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from rag.errors import GenerationError
from rag.generation import GeneratorStatus
from rag.generation.logprobs import yes_share


class OpenAICompatibleGenerator:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        health_url: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.health_url = health_url
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # One client, made on first use and shared by concurrent requests (it is thread-safe).
        # No idle connections are kept: a pooled one may point at a model process that has
        # died since, and a connect on loopback costs microseconds.
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        # The server's own account of the last streamed completion, when it sends one (the
        # model process sends llama.cpp's counters: prompt tokens read and cached, ms).
        self.last_timings: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return f"openai:{self.model}@{self.base_url}"

    def _http(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(
                    headers=self.headers, limits=httpx.Limits(max_keepalive_connections=0)
                )
            return self._client

    def status(self) -> GeneratorStatus:
        """Up when the health URL answers 200 (a JSON body may carry ``restarts``); without a
        health URL the server is not checked and counts as up."""
        if not self.health_url:
            return GeneratorStatus(up=True, detail="not checked (no health URL)")
        try:
            response = self._http().get(self.health_url, timeout=2.0)
        except httpx.HTTPError as exc:
            return GeneratorStatus(up=False, detail=f"{self.health_url} unreachable: {exc!r}")
        restarts = 0
        try:
            body = response.json()
            restarts = int(body.get("restarts", 0)) if isinstance(body, dict) else 0
        except ValueError:
            pass  # a plain-text health endpoint (vLLM answers an empty 200)
        if response.status_code != 200:
            return GeneratorStatus(
                up=False,
                detail=f"{self.health_url} answered {response.status_code}",
                restarts=restarts,
            )
        return GeneratorStatus(up=True, detail="answering", restarts=restarts)

    def yes_probability(self, messages: list[dict[str, str]], *, timeout_s: float) -> float:
        """P("yes") against "no" as the next token, from the server's ``top_logprobs`` (the
        project's model process and OpenAI-compatible servers return them); a server that
        returns none is read by its one-word answer."""
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0.0,
            "logprobs": True,
            "top_logprobs": 20,
        }
        try:
            response = self._http().post(
                f"{self.base_url}/chat/completions", json=body, timeout=timeout_s
            )
        except httpx.HTTPError as exc:
            raise GenerationError(f"The LLM server at {self.base_url} failed: {exc!r}") from exc
        if response.status_code != 200:
            raise GenerationError(
                f"The LLM server answered {response.status_code}: {response.text[:200]}"
            )
        try:
            choice = response.json()["choices"][0]
            content = (choice.get("logprobs") or {}).get("content") or []
            if content and content[0].get("top_logprobs"):
                top = [(t["token"], float(t["logprob"])) for t in content[0]["top_logprobs"]]
                return yes_share(top)
            word = str(choice["message"]["content"]).strip().lower()
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise GenerationError(f"The LLM server's reply was not understood: {exc!r}") from exc
        return 1.0 if word.startswith("yes") else 0.0 if word.startswith("no") else 0.5

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
            with self._http().stream(
                "POST", f"{self.base_url}/chat/completions", json=body, timeout=timeout_s
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
                    chunk = json.loads(data)
                    if "error" in chunk:
                        raise GenerationError(f"The LLM server failed: {chunk['error']}")
                    if isinstance(chunk.get("timings"), dict):
                        self.last_timings = chunk["timings"]
                    choices = chunk.get("choices") or [{}]
                    delta = choices[0].get("delta", {}).get("content")
                    if delta:
                        yield delta
        except httpx.HTTPError as exc:
            raise GenerationError(f"The LLM server at {self.base_url} failed: {exc!r}") from exc
        # Every server ends a stream with [DONE]; without it the answer may be cut short (a
        # server killed mid-answer whose reply had no length to check).
        raise GenerationError(f"The LLM server at {self.base_url} ended the stream unfinished.")
