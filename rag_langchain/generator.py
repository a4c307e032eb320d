"""``LangChainGenerator``: any LangChain chat model writes the answers, behind ``Generator``.

The project still renders its own prompts (``rag/prompts``) and verifies every sentence of
the draft against the passages; only the writing of the draft moves to the chat model::

    service = Service.from_settings(settings, generator=LangChainGenerator(chat_model))

The pipeline already enforces its deadline from the outside (``rag.generation``); this
adapter also stops reading the model's stream once the deadline has passed, so an
integration that streams over HTTP lets its connection go instead of writing on unread.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel

from rag.errors import GenerationError
from rag.protocols import GeneratorStatus
from rag_langchain.messages import to_langchain


class LangChainGenerator:
    """``rag.protocols.Generator`` over a LangChain ``BaseChatModel``.

    ``limit_param`` is the keyword the model takes for a completion's length, passed on every
    call with the project's budget (``RAG_LLM_MAX_TOKENS``; 60 for a follow-up's rewrite).
    ``"max_tokens"`` suits ChatOpenAI, ChatAnthropic, ChatMistralAI and the fake models; a
    model that rejects unknown keywords (ChatOllama takes ``num_predict`` on construction)
    needs ``limit_param=None`` and its own limit set where it is built.
    """

    def __init__(
        self, chat_model: BaseChatModel, *, limit_param: str | None = "max_tokens"
    ) -> None:
        self.chat_model = chat_model
        self.limit_param = limit_param

    @property
    def name(self) -> str:
        model = getattr(self.chat_model, "model_name", None) or getattr(
            self.chat_model, "model", None
        )
        kind = self.chat_model._llm_type
        return (
            f"langchain:{kind}:{model}" if isinstance(model, str) and model else f"langchain:{kind}"
        )

    def status(self) -> GeneratorStatus:
        """LangChain has no health check common to its chat models: not checked, so /readyz
        stays up; a model that fails answers with the flagged quotes."""
        return GeneratorStatus(up=True, detail=f"{self.name}: not checked")

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        deadline = time.monotonic() + timeout_s
        kwargs: dict[str, Any] = {self.limit_param: max_tokens} if self.limit_param else {}
        chunks: Iterator[Any] | None = None
        try:
            chunks = self.chat_model.stream(
                to_langchain(messages), config={"run_name": "rag-news draft"}, **kwargs
            )
            for chunk in chunks:
                text = chunk.text
                if text:
                    yield text
                if time.monotonic() > deadline:
                    raise GenerationError(f"The LLM did not finish within {timeout_s:g} s.")
        except GenerationError:
            raise
        except Exception as exc:  # whatever the integration raises, the pipeline falls back
            raise GenerationError(f"The LangChain model {self.name} failed: {exc!r}") from exc
        finally:
            # A model streaming over HTTP lets its connection go.
            close = getattr(chunks, "close", None)
            if callable(close):
                close()
