"""The data that flows between ingest, store and retrieval."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

StopList = Literal["lucene", "nltk"]  # see BM25Params.query_stopwords


class BM25Params(BaseModel):
    """Okapi BM25 as Lucene scores it (the values come from ``Settings``: k1=0.9, b=0.4 are
    Anserini's defaults; on CACM they reproduce its published run, see BENCHMARKS.md).

    Documents and queries both lose Lucene's 33 stop words. With ``query_stopwords="nltk"``
    a query also loses NLTK's function words ("who", "which", "did", "about"): questions
    are full of them, and where a corpus rarely holds one its IDF outweighs the content words
    (in the 100k-chunk synthetic news "do" weighed 10.0 against "starmer" 2.7). Only the query
    changes, so the saved index serves both. Measured: CACM BM25 MAP 0.3203 -> 0.3320; dev
    recall@5 among 100k chunks 0.89 -> 0.93 (DESIGN.md)."""

    model_config = ConfigDict(frozen=True)

    k1: float
    b: float
    query_stopwords: StopList


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


class Filters(BaseModel):
    """Metadata filters a caller may put on retrieval."""

    doc_ids: list[str] | None = None
    since: dt.date | None = None
    until: dt.date | None = None


class ScoredChunk(BaseModel):
    """A retrieved chunk with the score of every stage it went through, for the trace."""

    chunk_id: str
    doc_id: str
    title: str
    published: dt.date | None
    text: str
    start: int
    end: int
    scores: dict[str, float] = Field(default_factory=dict)


class Sentence(BaseModel):
    """One evidence sentence: its text is ``article.text[start:end]``."""

    doc_id: str
    chunk_id: str
    text: str
    start: int
    end: int
    score: float


class Passage(BaseModel):
    """A numbered passage shown to the model: adjacent evidence sentences of one article."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    published: dt.date | None
    sentences: list[Sentence]
    gaps: list[str] = Field(
        default_factory=list, description="The article's whitespace between sentence i and i+1."
    )

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)

    def span(self, first: int, last: int) -> tuple[str, int, int]:
        """The exact article text of sentences first..last (adjacent), with its offsets."""
        parts = [self.sentences[first].text]
        for i in range(first + 1, last + 1):
            gap = self.gaps[i - 1] if i - 1 < len(self.gaps) else " "
            parts += [gap, self.sentences[i].text]
        return "".join(parts), self.sentences[first].start, self.sentences[last].end

    def cite(self, n: int, first: int, last: int) -> Citation:
        """Citation ``n`` quoting sentences first..last of this passage, exactly."""
        quote, start, end = self.span(first, last)
        return Citation(
            n=n,
            doc_id=self.doc_id,
            title=self.title,
            published=self.published,
            chunk_id=self.sentences[first].chunk_id,
            quote=quote,
            start=start,
            end=end,
        )


class Citation(BaseModel):
    n: int
    doc_id: str
    title: str
    published: dt.date | None
    chunk_id: str
    quote: str = Field(description="Exact text of the article: article.text[start:end].")
    start: int
    end: int


class Trace(BaseModel):
    question: str
    standalone_question: str
    filters: Filters
    condensed: str = Field(
        default="none", description='How a follow-up was rewritten: "none", "llm"…'
    )
    retrieved: list[ScoredChunk] = Field(default_factory=list)
    ranking: list[ScoredChunk] = Field(
        default_factory=list, description="The fused ranking's head, before the cut to k."
    )
    passages: list[Passage] = Field(default_factory=list)
    prompt: list[dict[str, str]] = Field(default_factory=list)
    raw_answer: str = ""
    retry_answer: str = Field(
        default="", description="A second draft, asked for when the model declined."
    )
    support: list[dict[str, object]] = Field(default_factory=list)
    tokens: dict[str, int] = Field(default_factory=dict)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    decision: str = ""
    generator: str = ""


class Answer(BaseModel):
    answer: str
    abstained: bool
    partial: bool = Field(default=False, description="Some sentences were dropped as unsupported.")
    fallback: bool = Field(default=False, description="The generator failed; quotes shown instead.")
    quoted: bool = Field(
        default=False,
        description="The model's draft failed verification; the answer quotes the evidence "
        "sentence the judge accepted as answering the question, verbatim (after a Yes or No "
        "the evidence decides, for a yes/no question).",
    )
    citations: list[Citation] = Field(default_factory=list)
    trace: Trace
