"""``NewsRetriever``: the project's hybrid retrieval as a LangChain ``BaseRetriever``.

Dense (MiniLM over Chroma) and BM25 fused, the date bonus and the proximity re-rank, from
one committed snapshot of the corpus (``Service.retrieve``). Each ``Document`` is one chunk:
its text is exactly ``article[start:end]``, and its metadata carry where it comes from and
the score of every stage, so a chain can show, filter or re-rank on them::

    retriever = NewsRetriever(service=service, k=4, since=date(2025, 12, 1))
    chain = retriever | format_docs
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rag.types import Filters, ScoredChunk
from service.core import Service


class Scope(BaseModel):
    """Which articles a question is asked of, and how many chunks to keep (shared by the
    retriever and the answer chain; LangChain's ``configurable_fields`` can expose any)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    service: Service = Field(description="The project's Service (Service.from_settings).")
    k: int | None = Field(
        default=None, ge=1, le=50, description="Chunks to keep; None: RAG_RETRIEVAL_K."
    )
    doc_ids: list[str] | None = Field(default=None, description="Only these articles.")
    since: dt.date | None = Field(
        default=None, description="Only articles published on or after this day (undated: out)."
    )
    until: dt.date | None = Field(
        default=None, description="Only articles published on or before this day (undated: out)."
    )

    @model_validator(mode="after")
    def _sensible(self) -> Scope:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until}).")
        if self.doc_ids is not None and not self.doc_ids:
            raise ValueError("doc_ids is empty: leave it None to search every article.")
        return self

    @property
    def filters(self) -> Filters:
        return Filters(doc_ids=self.doc_ids, since=self.since, until=self.until)


def to_document(chunk: ScoredChunk) -> Document:
    """One retrieved chunk as a ``Document`` (its id is the chunk id)."""
    return Document(
        id=chunk.chunk_id,
        page_content=chunk.text,
        metadata={
            "doc_id": chunk.doc_id,
            "chunk_id": chunk.chunk_id,
            "title": chunk.title,
            "published": chunk.published.isoformat() if chunk.published else None,
            "start": chunk.start,
            "end": chunk.end,
            # dense, bm25 (and their ranks), combined, date_bonus, fused, proximity, final
            "scores": dict(chunk.scores),
        },
    )


class NewsRetriever(Scope, BaseRetriever):
    """The top ``k`` chunks of the stored articles for a query, best first.

    Async calls (``ainvoke``, ``abatch``) run the search in the default executor."""

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        if not query.strip():
            raise ValueError("The query is empty.")
        chunks = self.service.retrieve(query, filters=self.filters, k=self.k)
        return [to_document(c) for c in chunks]


def format_docs(docs: Sequence[Document]) -> str:
    """Documents as numbered passages for a prompt: ``[n] Title (2025-12-01): text``."""
    lines = []
    for n, doc in enumerate(docs, 1):
        meta = doc.metadata
        title = meta.get("title") or meta.get("doc_id", "")
        date = f" ({meta['published']})" if meta.get("published") else ""
        lines.append(f"[{n}] {title}{date}: {doc.page_content}")
    return "\n\n".join(lines)
