"""The data that flows between ingest, store and retrieval."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class Article(BaseModel):
    """A cleaned article with its metadata. ``text`` is the cleaned text all offsets point into."""

    model_config = ConfigDict(frozen=True)

    doc_id: str = Field(description="File stem (or stem-line for JSON lines); what citations name.")
    title: str
    text: str
    published: dt.date | None = None
    source: str | None = None
    url: str | None = None
    path: str = Field(description="Where the article was read from, relative to the data dir.")
    content_hash: str = Field(description="sha256 of the article as read, before cleaning.")


class Chunk(BaseModel):
    """A span of an article: ``text == article.text[start:end]``."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    doc_id: str
    version: str = Field(description="Article version the chunk belongs to (see ingest.sync).")
    index: int
    text: str
    start: int
    end: int
    n_tokens: int = Field(description="Word pieces of the embedding model, without specials.")
    n_llm_tokens: int = Field(description="tiktoken count, for LLM context budgets.")


class StoredArticle(BaseModel):
    """What the store knows about an ingested article (no embedding, no text)."""

    doc_id: str
    title: str
    published: dt.date | None
    source: str | None
    url: str | None = None
    path: str
    content_hash: str
    version: str
    n_chunks: int
