"""When the service runs the model in a supervised process, and how its workers reach it.

``rag serve`` calls ``model_process`` once, in its parent process, before any API worker
starts; the workers find the child through ``RAG_LLM_BASE_URL``, ``RAG_LLM_API_KEY`` and
``RAG_LLM_HEALTH_URL`` and talk to it with the project's ``OpenAICompatibleGenerator``.
The API's lifespan calls it too when the app is run some other way (``uvicorn --factory``,
tests), so such an app gets its own child.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from modelserver.supervisor import ModelSupervisor
from rag.models.gguf import resolve_gguf
from rag.settings import LibrarySettings

S = TypeVar("S", bound=LibrarySettings)  # the service's Settings stay themselves


def wants_model_process(settings: LibrarySettings) -> bool:
    """The embedded model (no LLM server configured), unless ``RAG_LLM_PROCESS=inline``."""
    return settings.llm_base_url is None and settings.llm_process == "child"


def start_model_process(settings: LibrarySettings) -> ModelSupervisor | None:
    """The started supervisor of the model process, or None when the settings want none."""
    if not wants_model_process(settings):
        return None
    supervisor = ModelSupervisor(
        resolve_gguf(settings.llm_model, settings.cache_dir),
        name=settings.llm_model,
        threads=settings.threads,
        context=settings.llm_context,
    )
    supervisor.start()
    return supervisor


@contextmanager
def model_process(settings: LibrarySettings) -> Iterator[ModelSupervisor | None]:
    """``start_model_process`` for the length of a block; the child is stopped after it."""
    supervisor = start_model_process(settings)
    try:
        yield supervisor
    finally:
        if supervisor is not None:
            supervisor.stop()


def served_settings(settings: S, supervisor: ModelSupervisor) -> S:
    """``settings`` pointed at the supervised model process."""
    return settings.model_copy(
        update={
            "llm_base_url": supervisor.base_url,
            "llm_api_key": supervisor.key,
            "llm_health_url": supervisor.health_url,
        }
    )
