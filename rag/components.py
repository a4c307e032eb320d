"""Build the heavy parts once from ``Settings``: every entry point calls these, nothing else.

Construction is cheap: the embedder loads its weights only on first use, so a command that
finds nothing to embed never imports torch.
"""

from __future__ import annotations

from pydantic import ValidationError

from rag.errors import ConfigError
from rag.models.embedder import SentenceTransformerEmbedder
from rag.models.tokens import TiktokenCounter
from rag.settings import Settings
from rag.store.chroma import ChromaStore


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and .env, with a readable error instead of a traceback."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"RAG_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            if e["loc"]
            else e["msg"]
            for e in exc.errors()
        )
        raise ConfigError(f"Invalid settings: {problems}.") from None


def build_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(settings)


def build_llm_counter(settings: Settings) -> TiktokenCounter:
    return TiktokenCounter(settings.cache_dir, settings.tiktoken_encoding)


def open_store(settings: Settings, embedder: SentenceTransformerEmbedder) -> ChromaStore:
    return ChromaStore(settings, model_id=embedder.model_id, dimension=embedder.dimension)
