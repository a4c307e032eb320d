"""Add and remove single articles while the service runs, through the same idempotent sync.

An upload is validated in a hidden staging folder first (loaders skip folders starting with
"."), so a file that cannot be read never replaces the one already stored under its name, and
nothing is written outside the data folder: the name is reduced to a safe base name.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from ingest.chunking import Chunker
from ingest.loaders import SUPPORTED, load_directory
from ingest.sync import SyncReport, sync
from rag.errors import IngestError
from rag.protocols import Embedder
from rag.store.chroma import ChromaStore

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
STAGING = ".staging"


class UnsupportedFile(IngestError):
    """The file's type is not one the loaders read."""


def safe_name(filename: str) -> str:
    """A plain file name inside the data folder: no directories, no leading dots."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("-", base).strip(".-")
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or f".{suffix.lower()}" not in SUPPORTED:
        raise UnsupportedFile(
            f"Cannot ingest {filename!r}: the name must end in one of {', '.join(SUPPORTED)}."
        )
    return name


def markdown_document(
    text: str,
    *,
    title: str | None = None,
    published: str | None = None,
    source: str | None = None,
    url: str | None = None,
) -> str:
    """An article given as fields, as a Markdown file whose front matter keeps the metadata."""
    fields = {"title": title, "published": published, "source": source, "url": url}
    front = "".join(f"{k}: {' '.join(v.split())}\n" for k, v in fields.items() if v and v.strip())
    return f"---\n{front}---\n{text.strip()}\n" if front else f"{text.strip()}\n"


def add_file(
    data_dir: Path,
    filename: str,
    content: bytes,
    *,
    embedder: Embedder,
    store: ChromaStore,
    chunker: Chunker,
) -> tuple[Path, SyncReport]:
    """Store ``content`` as ``data_dir/<safe name>`` and sync just that file."""
    name = safe_name(filename)
    staging = data_dir / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    staged = staging / f"{uuid.uuid4().hex}-{name}"
    try:
        staged.write_bytes(content)
        checked = load_directory(staged)
        if checked.skipped or not checked.documents:
            reasons = "; ".join(s.reason for s in checked.skipped) or "no article text found"
            raise IngestError(f"Cannot ingest {name}: {reasons}.")
        target = data_dir / name
        staged.replace(target)  # atomic: readers see the old file or the new one
    finally:
        staged.unlink(missing_ok=True)
    return target, sync(target, embedder, store, chunker)


def remove_article(data_dir: Path, doc_id: str, store: ChromaStore) -> None:
    """Delete an article's file (when it is a file of its own in the data folder) and its
    record and chunks. An article that is one line of a JSON lines file cannot be removed
    alone: the next ingest would bring it back."""
    record = store.articles().get(doc_id)
    if record is None:
        raise KeyError(doc_id)
    path = Path(record.path)
    if ":" in path.name:  # "file.jsonl:7"
        raise IngestError(
            f"{doc_id} is line {path.name.rsplit(':', 1)[1]} of {path.name.split(':')[0]}: "
            "edit that file and ingest it again to remove it."
        )
    root = data_dir.resolve()
    if path.is_file() and path.resolve().is_relative_to(root):
        path.unlink()
    store.delete_articles([doc_id])  # the commit marker first, then its chunks
    store.delete_article_chunks(doc_id)
