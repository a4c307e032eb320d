"""``Service``: the one object the adapters (CLI, HTTP, Slack, eval, LangChain) talk to.

Typed calls for what they do: answer or stream a question, retrieve passages, add, list, read
and delete articles, keep the BM25 index in step, report readiness. The parts behind it come
from the composition root (``service.root``); no adapter reaches past these calls into the
retriever, the store or the index.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ingest.documents import add_file, markdown_document, remove_article
from ingest.sync import SyncReport, sync
from rag.conversation import Turn
from rag.errors import InvalidRequestError, NotFoundError
from rag.pipeline import Event
from rag.protocols import Generator, GeneratorStatus
from rag.types import Answer, Filters, ScoredChunk, StoredArticle
from rag.verification.corpus import verify_claim
from rag.verification.types import Verdict
from rag.verification.verifier import verify_support
from service.root import Parts
from service.settings import Settings


@dataclass(frozen=True)
class Upload:
    """What adding one file did."""

    file: str  # its name in the data folder
    doc_ids: list[str]
    status: Literal["added", "updated", "unchanged"]
    chunks_written: int


@dataclass(frozen=True)
class ArticleText:
    """A stored article and the cleaned text its citation spans index."""

    record: StoredArticle
    text: str


class Service:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.settings: Settings = parts.settings
        # One change to the corpus at a time in this process (uploads, deletions, ingests).
        self._ingest_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, generator: Generator | None = None) -> Service:
        """Everything from ``settings``; ``generator`` replaces the configured LLM."""
        return cls(Parts(settings, generator=generator))

    def with_generator(self, generator: Generator | None = None, **overrides: Any) -> Service:
        """A service sharing this one's models, store and index, with another generator
        and/or settings ``overrides`` (tests: a fake LLM, a short timeout)."""
        return Service(self.parts.derive(generator=generator, **overrides))

    # -- questions ------------------------------------------------------------------------------
    def answer(
        self,
        question: str,
        *,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
    ) -> Answer:
        """The verified, cited answer (see ``rag.pipeline``)."""
        return self.parts.pipeline.answer(question, history=history, filters=filters, k=k)

    def events(
        self,
        question: str,
        *,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
    ) -> Iterator[Event]:
        """``Sources``, the raw draft's ``Token``s, then ``Done`` with the verified answer."""
        return self.parts.pipeline.events(question, history=history, filters=filters, k=k)

    def retrieve(
        self, query: str, *, filters: Filters | None = None, k: int | None = None
    ) -> list[ScoredChunk]:
        """The top chunks for ``query`` (near-duplicates removed), each with every stage's
        score, from one committed snapshot of the corpus."""
        k = k or self.settings.retrieval_k
        return self.parts.retriever.retrieve(query, k, filters).chunks

    def check_support(
        self, claim: str, evidence: list[str], question: str = "", context: str = ""
    ) -> bool:
        """The answer path's structural support test (``verify_support``) on given evidence."""
        return verify_support(self.parts.verifier, claim, evidence, question, context)

    def verify(self, claim: str, *, doc_ids: list[str] | None = None) -> Verdict:
        """Is ``claim`` supported by the articles (only ``doc_ids``, when given), contradicted,
        or not found, and by which exact span: the articles are searched with the claim and
        the best window of one or two sentences is checked by the answer path's verifier."""
        text = " ".join(claim.split())
        if not text:
            raise InvalidRequestError("The statement to verify is empty.")
        limit = self.settings.max_question_chars
        if len(text) > limit:
            raise InvalidRequestError(
                f"The statement is {len(text)} characters long; the limit is {limit}."
            )
        if doc_ids:
            known = self.parts.store.articles()
            missing = [d for d in dict.fromkeys(doc_ids) if d not in known]
            if missing:
                raise NotFoundError(f"No document {', '.join(map(repr, missing[:5]))}.")
        return verify_claim(
            text,
            self.parts.retriever,
            self.parts.verifier,
            k=self.settings.verify_k,
            filters=Filters(doc_ids=doc_ids or None),
        )

    # -- the corpus -----------------------------------------------------------------------------
    def ingest_path(
        self, path: Path | None = None, *, prune: bool = False, progress: bool = False
    ) -> SyncReport:
        """Sync a file or folder (default: the data folder) into the store; unchanged articles
        are skipped. The BM25 index follows."""
        parts = self.parts
        with self._ingest_lock:
            report = sync(
                path or self.settings.data_dir,
                parts.embedder,
                parts.store,
                parts.chunker,
                prune=prune,
                progress=progress,
                group_chunks=self.settings.ingest_group_chunks,
            )
            parts.refresh_index()
        return report

    def ingest_upload(self, filename: str, data: bytes) -> Upload:
        """Store ``data`` as a file of the data folder (name made safe) and ingest it; a file
        that cannot be read is refused and replaces nothing."""
        parts = self.parts
        with self._ingest_lock:
            path, report = add_file(
                self.settings.data_dir,
                filename,
                data,
                embedder=parts.embedder,
                store=parts.store,
                chunker=parts.chunker,
            )
            parts.refresh_index()
        here = path.resolve().as_posix()
        ids = sorted(d for d, a in parts.store.articles().items() if a.path.split(":")[0] == here)
        status: Literal["added", "updated", "unchanged"] = (
            "added" if report.added else ("updated" if report.updated else "unchanged")
        )
        return Upload(path.name, ids, status, report.chunks_written)

    def ingest_text(
        self,
        text: str,
        *,
        doc_id: str | None = None,
        title: str | None = None,
        published: str | None = None,
        source: str | None = None,
        url: str | None = None,
    ) -> Upload:
        """An article given as fields, stored as ``<doc_id or title>.md`` with front matter."""
        stem = doc_id or re.sub(r"[^a-z0-9]+", "-", (title or "article").lower())[:60]
        body = markdown_document(text, title=title, published=published, source=source, url=url)
        return self.ingest_upload(f"{stem.strip('-') or 'article'}.md", body.encode())

    def delete_article(self, doc_id: str) -> None:
        """Remove an article's file (when it is one of its own) and its record and chunks."""
        with self._ingest_lock:
            remove_article(self.settings.data_dir, doc_id, self.parts.store)
            self.parts.refresh_index()

    def articles(self) -> list[StoredArticle]:
        """Every committed article, by document id."""
        return sorted(self.parts.store.articles().values(), key=lambda a: a.doc_id)

    def article(self, doc_id: str) -> ArticleText:
        store = self.parts.store
        record = store.articles().get(doc_id)
        text = store.article_text(doc_id) if record else None
        if record is None or text is None:
            raise NotFoundError(f"No document {doc_id!r}.")
        return ArticleText(record, text)

    def describe(self) -> dict[str, object]:
        """What the store is and holds: backend, location, collection, model, counts."""
        return dict(self.parts.store.describe())

    # -- operations -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Catch the BM25 index up with ingests made by other processes."""
        self.parts.refresh_index()

    def readiness(self) -> dict[str, object]:
        """What a readiness probe reports; raises ``StoreError`` when the store is down."""
        return {"chunks": self.parts.store.ping()}

    def warm_up(self) -> None:
        """Open the store, load the index and every model now, so no question pays for it."""
        self.parts.refresh_index()
        _ = self.parts.chunker
        self.parts.pipeline.warm_up()

    @property
    def generator_name(self) -> str:
        return self.parts.generator.name

    def generator_status(self) -> GeneratorStatus:
        """Whether the LLM can answer now (a supervised model process passes its health
        check), and how often its process was restarted."""
        return self.parts.generator.status()
