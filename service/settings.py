"""``Settings``: the one configuration object, built once at start-up and passed down.

Grouped by concern, with the same ``RAG_*`` environment names throughout:
``LibrarySettings`` (``rag.settings``: store, models, chunking, retrieval, answer) <-
``ServiceSettings`` (the corpus folder, HTTP, limits, the index refresh), and
``SlackSettings`` (the bot), composed into ``Settings``. Nothing is read at import.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings

from rag.errors import ConfigError
from rag.settings import ENV, LibrarySettings


class ServiceSettings(LibrarySettings):
    data_dir: Path = Field(Path("data"), description="Folder of articles to ingest.")
    lexical_refresh_s: float = Field(
        10.0,
        ge=0,
        description="How often a server catches its BM25 index up with ingests made elsewhere "
        "(other workers, the CLI); 0 turns it off.",
    )
    host: str = Field("127.0.0.1", description="Where `rag serve` listens (with API keys set).")
    port: int = Field(8000, ge=1, le=65535)
    api_keys: str | None = Field(
        None, description="Comma-separated bearer keys; unset: the service binds 127.0.0.1 only."
    )
    max_question_chars: int = Field(2000, ge=10)
    max_messages: int = Field(20, ge=1, description="Turns of a conversation, including the last.")
    max_upload_bytes: int = Field(2_000_000, ge=1024)
    rate_limit_per_minute: int = Field(60, ge=1, description="Questions per key (or client IP).")
    queue_size: int = Field(
        4, ge=1, description="Questions running or waiting for the LLM; beyond it, 503."
    )

    @property
    def keys(self) -> list[str]:
        return [k.strip() for k in (self.api_keys or "").split(",") if k.strip()]


class SlackSettings(BaseSettings):
    model_config = ENV

    slack_bot_token: SecretStr | None = Field(None, description="Slack bot token (xoxb-…).")
    slack_signing_secret: SecretStr | None = Field(
        None, description="Verifies Events API requests at /slack/events."
    )
    slack_app_token: SecretStr | None = Field(
        None, description="App-level token (xapp-…) for `rag slack --socket`."
    )
    slack_feedback_db: Path = Field(
        Path(".rag/slack_feedback.sqlite3"), description="Slack answers, votes and seen events."
    )
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Slack Web API base URL (tests use a stand-in)."
    )


class Settings(ServiceSettings, SlackSettings):
    """Everything, from the environment and ``.env``."""

    model_config = ENV


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
