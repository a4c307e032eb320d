"""The one configuration object, read from the environment (prefix ``RAG_``) and ``.env``.

Built once at start-up (CLI main, app lifespan) and passed down; nothing here is read at import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.types import BM25Params, StopList


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(Path("data"), description="Folder of articles to ingest.")
    chroma_path: Path = Field(
        Path(".rag/chroma"), description="Embedded Chroma folder (used when no URL is set)."
    )
    chroma_url: str | None = Field(
        None, description="Chroma server URL, e.g. http://127.0.0.1:8000; overrides chroma_path."
    )
    collection: str = Field(
        "articles",
        min_length=3,
        max_length=40,
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$",
        description="Chroma collection name (chunks); articles live in '<name>_docs'.",
    )
    cache_dir: Path = Field(
        Path(".rag/cache"), description="Assembled model files and the tiktoken cache."
    )

    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="A packaged model (see `rag models`) or a sentence-transformers folder.",
    )
    embedding_dtype: Literal["bfloat16", "float32"] = Field(
        "bfloat16", description="bf16 embeds ~2x faster on CPU with cosine >= 0.998 to fp32."
    )
    embedding_batch_size: int = Field(32, ge=1, le=512)
    threads: int = Field(2, ge=1, le=64, description="CPU threads for the models.")

    chunk_tokens: int = Field(
        200, ge=16, description="Chunk size in the embedder's own word pieces."
    )
    chunk_overlap: int = Field(40, ge=0, description="Overlap between chunks, in word pieces.")
    ingest_group_chunks: int = Field(
        512, ge=1, description="Chunks embedded per call during ingest, across articles."
    )
    tiktoken_encoding: str = Field(
        "cl100k_base", description="Encoding used to count tokens for LLM budgets."
    )

    llm_model: str = Field(
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        description="Embedded: a packaged GGUF or a .gguf path; with a base URL: the model name.",
    )
    llm_base_url: str | None = Field(
        None, description="An OpenAI-compatible server (vLLM, Ollama, llama.cpp, OpenAI)."
    )
    llm_api_key: str | None = Field(None, description="Bearer key for the LLM server.")
    llm_timeout_s: float = Field(30.0, gt=0, description="After this, answer with quotes.")
    llm_max_tokens: int = Field(120, ge=8)
    llm_context: int = Field(2048, ge=512)

    retrieval_k: int = Field(4, ge=1, le=50, description="Chunks kept after fusion.")
    retrieval_candidates: int = Field(50, ge=1, description="Candidates from each retriever.")
    fusion_bm25_weight: float = Field(
        0.7,
        ge=0,
        le=1,
        description="BM25's share of the fused score; the dense leg has the rest (rag/retrieval).",
    )
    rerank_weight: float = Field(
        0.5,
        ge=0,
        description="Weight of the proximity re-rank over the fused score (rag/rerank); 0: off.",
    )
    trace_ranking: int = Field(
        10, ge=0, le=100, description="Fused candidates kept in the trace (eval's nDCG@10)."
    )
    lexical_refresh_s: float = Field(
        10.0,
        ge=0,
        description="How often a server catches its BM25 index up with ingests made elsewhere "
        "(other workers, the CLI); 0 turns it off.",
    )
    bm25_k1: float = Field(0.9, gt=0, description="BM25 term-frequency saturation.")
    bm25_b: float = Field(0.4, ge=0, le=1, description="BM25 length normalisation.")
    bm25_query_stopwords: StopList = Field(
        "nltk",
        description="Words a question loses before BM25 and the re-rank: Lucene's 33 (as the "
        "index), or NLTK's function words too (who, which, did...).",
    )
    evidence_tokens: int = Field(240, ge=20, description="tiktoken budget of passages shown.")
    evidence_sentences: int = Field(5, ge=1)
    support_threshold: float = Field(0.5, description="Support score a citation must reach.")
    abstain_below: float = Field(
        0.45, description="Abstain without generating when the best evidence scores below this."
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

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than "
                f"chunk_tokens ({self.chunk_tokens})"
            )
        return self

    @property
    def keys(self) -> list[str]:
        return [k.strip() for k in (self.api_keys or "").split(",") if k.strip()]

    @property
    def bm25(self) -> BM25Params:
        return BM25Params(k1=self.bm25_k1, b=self.bm25_b, query_stopwords=self.bm25_query_stopwords)

    @property
    def docs_collection(self) -> str:
        return f"{self.collection}_docs"

    @property
    def lexical_dir(self) -> Path:
        """Where the BM25 index lives: beside an embedded store, else in the cache."""
        if self.chroma_url:
            server = (
                self.chroma_url.split("://", 1)[-1].strip("/").replace(":", "_").replace("/", "_")
            )
            return self.cache_dir / "bm25" / f"{server}_{self.collection}"
        return self.chroma_path / "bm25" / self.collection
