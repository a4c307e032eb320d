"""What the library needs to know, read from the environment (prefix ``RAG_``) and ``.env``.

``LibrarySettings`` holds the library's concerns: the store, the models, chunking, retrieval,
evidence and the answer. The service and the Slack bot add theirs in ``service.settings``,
whose ``Settings`` is the one object built at start-up and passed down; library code is typed
on this part of it. Every default of the library's tunable values lives here, nowhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.types import BM25Params, StopList

ENV = SettingsConfigDict(
    env_prefix="RAG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
)


class LibrarySettings(BaseSettings):
    model_config = ENV

    # -- the store ------------------------------------------------------------------------
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

    # -- embedding and chunking -----------------------------------------------------------
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

    # -- the LLM --------------------------------------------------------------------------
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
    llm_process: Literal["child", "inline"] = Field(
        "child",
        description="How the service runs the embedded model: in one supervised child process "
        "that every API worker shares and that is restarted if it crashes (child), or inside "
        "the API process (inline). `rag ask` and `rag eval` always run it inline.",
    )
    llm_health_url: str | None = Field(
        None,
        description="The LLM server's health URL (200 = up), checked by /readyz and /metrics; "
        "`rag serve` sets it for its model process.",
    )

    # -- retrieval ------------------------------------------------------------------------
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
    bm25_k1: float = Field(
        0.9, gt=0, description="BM25 term-frequency saturation (Anserini's default)."
    )
    bm25_b: float = Field(
        0.4, ge=0, le=1, description="BM25 length normalisation (Anserini's default)."
    )
    bm25_query_stopwords: StopList = Field(
        "nltk",
        description="Words a question loses before BM25 and the re-rank: Lucene's 33 (as the "
        "index), or NLTK's function words too (who, which, did...).",
    )

    # -- evidence and the answer ----------------------------------------------------------
    evidence_tokens: int = Field(240, ge=20, description="tiktoken budget of passages shown.")
    evidence_sentences: int = Field(5, ge=1)
    evidence_min_sentences: int = Field(
        3,
        ge=1,
        description="Best sentences always shown (budget permitting), however far below the "
        "best one: one close match must not crowd out the sentence that holds the answer.",
    )
    support_threshold: float = Field(0.5, description="Support score a citation must reach.")
    verify_k: int = Field(6, ge=1, le=50, description="Chunks retrieved for a claim to verify.")
    verify_min_coverage: float = Field(
        0.5, ge=0, le=1, description="Share of a claim's content words its evidence must hold."
    )
    verify_judge_threshold: float = Field(
        0.55, ge=0, le=1, description="P(yes) the LLM judge must give (calibrated on dev claims)."
    )
    verify_contradiction_coverage: float = Field(
        0.6, ge=0, le=1, description="Coverage above which a vetoed window says 'contradicted'."
    )
    verify_judge: bool = Field(True, description="Ask the LLM to judge each verified claim.")
    verify_rescue_threshold: float = Field(
        0.7,
        ge=0,
        le=1,
        description="P(yes) the judge must give an evidence sentence as the answer, shown as a "
        "quote when the whole draft failed verification (1: refuse instead; dev-calibrated).",
    )
    verify_fragment_about: float = Field(
        0.5, ge=0, le=1, description="Share of the question a bare fragment's evidence must hold."
    )
    verify_answer_about: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of the question's content words the cited windows of an answer must "
        "hold together: a true sentence about something else answers nothing (dev-calibrated).",
    )
    abstain_below: float = Field(
        0.45, description="Abstain without generating when the best evidence scores below this."
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> LibrarySettings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than "
                f"chunk_tokens ({self.chunk_tokens})"
            )
        return self

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
