"""Bring the store in step with the articles on disk, idempotently and safely under kills.

Each article gets a *version*: a hash of its cleaned text, metadata and the chunking and
embedding settings. Chunk ids embed that version (``doc::version::0003``), and the article's
record in the docs collection, written last, is the commit marker. So:

* unchanged: the record names the current version and exactly its chunk ids are stored;
  nothing is loaded, embedded or written;
* changed or half-written: only chunk ids not yet stored are embedded, then stale chunks are
  deleted, then the record is written;
* removed (``--prune``): the record goes first, then the chunks, so a kill in between leaves
  only uncommitted chunks, which every run sweeps away.

A run killed at any point and run again therefore converges to the same store.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ingest.chunking import Chunker, chunk_id
from ingest.cleaning import clean_text
from ingest.loaders import RawDocument, Skipped, load_directory
from ingest.metadata import find_published, find_source, find_title, parse_date
from rag.errors import IngestError
from rag.protocols import ChunkStore, Embedder, Vectors
from rag.types import Article, Chunk, StoredArticle

# Bump when chunk layout or stored metadata changes meaning, to re-index everything once.
PIPELINE_VERSION = 1


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    pruned: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    chunks_written: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"skipped {len(self.skipped)}, pruned {self.pruned}; "
            f"chunks {self.chunks_written} written, {self.chunks_deleted} deleted; "
            f"{self.seconds:.1f} seconds"
        )


def build_article(raw: RawDocument) -> Article | None:
    """Clean the text and settle the metadata; None when nothing of the article remains."""
    text = clean_text(raw.text).text
    if not text:
        return None
    return Article(
        doc_id=raw.doc_id,
        title=raw.title or find_title(text),
        text=text,
        published=(parse_date(raw.published) if raw.published else None) or find_published(text),
        source=raw.source or find_source(text, raw.url),
        url=raw.url,
        path=raw.path,
        content_hash=raw.content_hash,
    )


def article_version(article: Article, embedder: Embedder, chunker: Chunker) -> str:
    key = [
        PIPELINE_VERSION,
        article.model_dump(mode="json", exclude={"path"}),
        embedder.model_id,
        chunker.chunk_tokens,
        chunker.overlap,
    ]
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class _Pending:
    article: Article
    version: str
    is_update: bool
    chunks: list[Chunk] = field(default_factory=list)


def _groups(pending: Sequence[_Pending], budget: int) -> Iterator[list[_Pending]]:
    """Several articles per embedding call, so small articles still fill whole batches."""
    group: list[_Pending] = []
    size = 0
    for p in pending:
        group.append(p)
        size += len(p.chunks)
        if size >= budget:
            yield group
            group, size = [], 0
    if group:
        yield group


def sync(
    root: Path,
    embedder: Embedder,
    store: ChunkStore,
    chunker: Chunker,
    *,
    prune: bool = False,
    progress: bool = False,
    group_chunks: int = 512,
) -> SyncReport:
    t0 = time.perf_counter()
    if not root.exists():
        raise IngestError(f"No such file or folder: {root}.")
    report = SyncReport()
    loaded = load_directory(root)
    report.skipped.extend(loaded.skipped)
    articles: list[Article] = []
    for raw in loaded.documents:
        article = build_article(raw)
        if article is None:
            report.skipped.append(Skipped(raw.path, "nothing left after removing boilerplate"))
            loaded.protected_ids.add(raw.doc_id)
        else:
            articles.append(article)

    stored = store.articles()
    stored_chunks = store.chunk_ids_by_doc()
    pending: list[_Pending] = []
    for article in articles:
        version = article_version(article, embedder, chunker)
        record = stored.get(article.doc_id)
        have = stored_chunks.get(article.doc_id, set())
        if (
            record is not None
            and record.version == version
            and have == {chunk_id(article.doc_id, version, i) for i in range(record.n_chunks)}
        ):
            report.unchanged += 1
            continue
        pending.append(_Pending(article, version, is_update=record is not None))

    for p in pending:
        p.chunks = chunker.split(p.article.doc_id, p.version, p.article.text)
    total = sum(len(p.chunks) for p in pending)
    # One writer thread stores a group while the next one is embedded; at most one group is in
    # flight and groups commit in order, so the kill-safety argument above still holds.
    with (
        tqdm(total=total, unit="chunk", desc="ingest", disable=None if progress else True) as bar,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as writer,
    ):
        in_flight: tuple[Future[None], _Batch] | None = None
        for group in _groups(pending, group_chunks):
            batch = _prepare(group, embedder, stored_chunks)
            if in_flight:
                in_flight[0].result()
                _count(in_flight[1], report)
                bar.update(sum(len(p.chunks) for p in in_flight[1].group))
            in_flight = (writer.submit(_commit, batch, store), batch)
        if in_flight:
            in_flight[0].result()
            _count(in_flight[1], report)
            bar.update(sum(len(p.chunks) for p in in_flight[1].group))

    present = {a.doc_id for a in articles} | loaded.protected_ids
    gone = sorted(set(stored) - present) if prune else []
    if gone and not present:
        raise IngestError(
            f"No readable article under {root}: refusing to prune all {len(gone)} stored "
            "articles (is the path right?)."
        )
    if gone:
        store.delete_articles(gone)  # the commit marker first: see the module docstring
        report.pruned = len(gone)
    committed = (set(stored) - set(gone)) | {p.article.doc_id for p in pending}
    leftovers = [
        cid
        for doc_id, ids in stored_chunks.items()
        if doc_id in gone or (doc_id not in committed and doc_id not in present)
        for cid in ids
    ]
    if leftovers:
        store.delete_chunks(leftovers)
        report.chunks_deleted += len(leftovers)
    report.seconds = time.perf_counter() - t0
    return report


def _mean(pending: _Pending, vectors: dict[str, Vectors]) -> Vectors:
    """An article's vector: the normalized mean of its chunks' vectors (no extra embedding)."""
    mean = np.mean([vectors[c.chunk_id] for c in pending.chunks], axis=0)
    out: Vectors = (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
    return out


@dataclass
class _Batch:
    """One group's writes, decided in the main thread, carried out by the writer thread."""

    group: list[_Pending]
    missing: list[Chunk]
    vectors: Vectors
    stale: list[str]


def _prepare(
    group: list[_Pending], embedder: Embedder, stored_chunks: dict[str, set[str]]
) -> _Batch:
    missing = [
        c for p in group for c in p.chunks if c.chunk_id not in stored_chunks.get(c.doc_id, ())
    ]
    vectors = embedder.embed_documents([c.text for c in missing])
    stale = []
    for p in group:
        new_ids = {c.chunk_id for c in p.chunks}
        stale.extend(sorted(stored_chunks.get(p.article.doc_id, set()) - new_ids))
        stored_chunks[p.article.doc_id] = new_ids
    return _Batch(group, missing, vectors, stale)


def _commit(batch: _Batch, store: ChunkStore) -> None:
    """Chunks first, stale chunks next, the article records (commit markers) last."""
    group, missing = batch.group, batch.missing
    if missing:
        store.upsert_chunks(missing, batch.vectors, {p.article.doc_id: p.article for p in group})
    # Chunks a killed run already stored are not embedded again; their vectors are read back.
    fresh = {c.chunk_id: v for c, v in zip(missing, batch.vectors, strict=True)}
    kept = [c.chunk_id for p in group for c in p.chunks if c.chunk_id not in fresh]
    fresh.update(zip(kept, store.chunk_vectors(kept), strict=True))
    if batch.stale:
        store.delete_chunks(batch.stale)
    records = [
        StoredArticle(
            doc_id=p.article.doc_id,
            title=p.article.title,
            published=p.article.published,
            source=p.article.source,
            url=p.article.url,
            path=p.article.path,
            content_hash=p.article.content_hash,
            version=p.version,
            n_chunks=len(p.chunks),
        )
        for p in group
    ]
    store.put_articles(
        records, [p.article.text for p in group], np.stack([_mean(p, fresh) for p in group])
    )


def _count(batch: _Batch, report: SyncReport) -> None:
    for p in batch.group:
        if p.is_update:
            report.updated += 1
        else:
            report.added += 1
    report.chunks_written += len(batch.missing)
    report.chunks_deleted += len(batch.stale)
