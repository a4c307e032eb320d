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
from ingest.metadata import find_published, find_source, find_title
from rag.dates import parse_date
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


def build_article(raw: RawDocument, path: str | None = None) -> Article | None:
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
        path=path or raw.path,
        content_hash=raw.content_hash,
    )


def article_version(article: Article, embedder: Embedder, chunker: Chunker) -> str:
    key = [
        PIPELINE_VERSION,
        article.model_dump(mode="json", exclude={"path"}),
        embedder.model_id,
        embedder.dtype,
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
    if prune and not root.is_dir():
        raise IngestError(f"--prune needs a folder, and {root} is a file: nothing was changed.")
    base = (root if root.is_dir() else root.parent).resolve()
    report = SyncReport()
    loaded = load_directory(root)
    report.skipped.extend(loaded.skipped)
    articles: list[Article] = []
    for raw in loaded.documents:
        # Record where the article came from, absolutely: --prune only touches that folder.
        article = build_article(raw, (base / raw.path).as_posix())
        if article is None:
            report.skipped.append(Skipped(raw.path, "nothing left after removing boilerplate"))
            loaded.protected_ids.add(raw.doc_id)
        else:
            articles.append(article)

    stored = store.articles()
    stored_chunks = store.chunk_ids_by_doc()
    pending: list[_Pending] = []
    moved: dict[str, str] = {}
    for article in articles:
        version = article_version(article, embedder, chunker)
        record = stored.get(article.doc_id)
        if (
            record is not None
            and record.version == version
            and stored_chunks.get(article.doc_id, set()) == _expected(record)
        ):
            report.unchanged += 1
            if record.path != article.path:
                moved[article.doc_id] = article.path  # same article, folder moved
            continue
        pending.append(_Pending(article, version, is_update=record is not None))
    if moved:
        store.set_article_paths(moved)

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

        def settle() -> None:
            if in_flight:
                in_flight[0].result()  # re-raises a failed write here, in order
                _count(in_flight[1], report)
                bar.update(sum(len(p.chunks) for p in in_flight[1].group))

        for group in _groups(pending, group_chunks):
            batch = _prepare(group, embedder, stored_chunks)
            settle()
            in_flight = (writer.submit(_commit, batch, store), batch)
        settle()

    present = {a.doc_id for a in articles}
    gone = sorted(
        doc_id
        for doc_id, record in stored.items()
        if prune
        and doc_id not in present
        and not loaded.is_protected(doc_id)
        and _inside(record.path, base)
    )
    if gone and not present:
        raise IngestError(
            f"No readable article under {root}: refusing to prune all {len(gone)} stored "
            "articles from there (is the path right?)."
        )
    if gone:
        store.delete_articles(gone)  # the commit marker first: see the module docstring
        report.pruned = len(gone)
    done = {p.article.doc_id for p in pending}
    leftovers: list[str] = []
    for doc_id, ids in stored_chunks.items():
        record = stored.get(doc_id)
        if doc_id in gone or (record is None and doc_id not in done and doc_id not in present):
            leftovers.extend(ids)  # pruned, or never committed and its file is gone
        elif record is not None and doc_id not in done:
            leftovers.extend(ids - _expected(record))  # left over by a killed update
    if leftovers:
        store.delete_chunks(leftovers)
        report.chunks_deleted += len(leftovers)
    report.seconds = time.perf_counter() - t0
    return report


def _expected(record: StoredArticle) -> set[str]:
    return {chunk_id(record.doc_id, record.version, i) for i in range(record.n_chunks)}


def _inside(path: str, folder: Path) -> bool:
    """Is a recorded article path (``file`` or ``file.jsonl:line``) inside ``folder``?"""
    file = Path(path.rsplit(":", 1)[0] if path.rsplit(":", 1)[-1].isdigit() else path)
    return file.is_absolute() and file.is_relative_to(folder)


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
    """New chunks, then the article records (commit markers), then the stale chunks.

    So a record never names a version whose chunks are missing; a kill before the last step
    leaves only extra chunks, which the next run deletes.
    """
    group, missing = batch.group, batch.missing
    if missing:
        store.upsert_chunks(missing, batch.vectors, {p.article.doc_id: p.article for p in group})
    # Chunks a killed run already stored are not embedded again; their vectors are read back.
    fresh = {c.chunk_id: v for c, v in zip(missing, batch.vectors, strict=True)}
    kept = [c.chunk_id for p in group for c in p.chunks if c.chunk_id not in fresh]
    fresh.update(zip(kept, store.chunk_vectors(kept), strict=True))
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
    if batch.stale:
        store.delete_chunks(batch.stale)


def _count(batch: _Batch, report: SyncReport) -> None:
    for p in batch.group:
        if p.is_update:
            report.updated += 1
        else:
            report.added += 1
    report.chunks_written += len(batch.missing)
    report.chunks_deleted += len(batch.stale)
