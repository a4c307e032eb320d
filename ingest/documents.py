"""Add and remove single articles while the service runs, through the same idempotent sync.

What the documents API writes, it can list and delete. So an upload is accepted only when
every article in it is readable and non-empty once cleaned, and its document ids belong to it
alone: no other file or stored article has them, and no file's name differs from it only by
case (one file on a case-insensitive disk). It is validated under its own name in a hidden
staging folder of its own (loaders skip folders starting with "."), which is removed whatever
happens; a file that cannot be read never replaces the one already stored under its name, and
nothing is written outside the data folder: the name is reduced to a safe base name.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ingest.chunking import Chunker
from ingest.loaders import SUPPORTED, iter_files, jsonl_doc_id, load_directory
from ingest.sync import SyncReport, build_article, sync
from rag.errors import IngestError, NotFoundError, UnsupportedFileError
from rag.protocols import ChunkStore, Embedder

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
STAGING = ".staging"  # the prefix of every upload's own hidden folder
STALE_STAGING_S = 3600.0  # a staging folder this old was left by a killed process
_SHOWN = 5  # problems named in one error message
_NO_TEXT = ("no article text", "empty text")  # the loaders' reasons for a file with no text


class EmptyUpload(IngestError):
    """The file holds no article text once read and cleaned."""


class UploadConflict(IngestError):
    """The file would share a document id, or its name up to case, with another file."""


def safe_name(filename: str) -> str:
    """A plain file name inside the data folder: no directories, no leading dots."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("-", base).strip(".-")
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or f".{suffix.lower()}" not in SUPPORTED:
        raise UnsupportedFileError(
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


@contextmanager
def _staging(folder: Path) -> Iterator[Path]:
    """A hidden folder of this operation's own next to ``folder``'s files (so a rename into
    ``folder`` is atomic), removed on the way out. Old ones left by killed runs are swept."""
    for old in folder.glob(f"{STAGING}*"):
        try:
            if old.is_dir() and time.time() - old.stat().st_mtime > STALE_STAGING_S:
                shutil.rmtree(old)
            elif old.name == STAGING:
                old.rmdir()  # the shared folder of earlier versions, when empty
        except OSError:
            pass  # in use by another worker, or gone already
    path = Path(tempfile.mkdtemp(prefix=f"{STAGING}-", dir=folder))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _listing(problems: Sequence[str]) -> str:
    more = f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
    return "; ".join(problems[:_SHOWN]) + more


def _article_ids(staged: Path, name: str) -> list[str]:
    """The document ids ``staged`` (named as it will be stored) yields, all of them readable
    and non-empty once cleaned; otherwise an ``IngestError`` naming what is wrong."""
    loaded = load_directory(staged)
    problems = [f"{s.path}: {s.reason}" if ":" in s.path else s.reason for s in loaded.skipped]
    empty = [raw.path for raw in loaded.documents if build_article(raw) is None]
    if not loaded.skipped and not empty and loaded.documents:
        return [raw.doc_id for raw in loaded.documents]
    if len(empty) == len(loaded.documents) and all(
        s.reason.startswith(_NO_TEXT) for s in loaded.skipped
    ):
        raise EmptyUpload(
            f"Cannot ingest {name}: it holds no article text (nothing is left once markup, "
            "blank lines and page boilerplate are removed)."
        )
    problems += [f"{where}: nothing left after removing boilerplate" for where in empty]
    raise IngestError(f"Cannot ingest {name}: {_listing(problems)}.")


def _file_of(recorded: str) -> Path:
    """The file of a recorded article path (``file`` or ``file.jsonl:7``)."""
    head, _, tail = recorded.rpartition(":")
    return Path(head if head and tail.isdigit() else recorded)


def _check_conflicts(data_dir: Path, target: Path, ids: list[str], store: ChunkStore) -> None:
    """Refuse an upload that another file or stored article would shadow, or be shadowed by:
    the documents API could then neither list nor delete one of them."""
    root, wanted = data_dir.resolve(), set(ids)

    def shown(path: Path) -> str:  # never the server's absolute paths
        path = path.resolve()
        return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name

    clashes: list[str] = []
    for path in iter_files(data_dir):
        if path.resolve() == target.resolve():
            continue
        if path.parent == data_dir and path.name.lower() == target.name.lower():
            clashes.append(f"its name differs from {path.name} only by case")
            continue
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            if any(i.startswith(f"{path.stem}-") for i in wanted):
                found = {d.doc_id for d in load_directory(path).documents} & wanted
                clashes += [f"document id {i!r} is already used by {shown(path)}" for i in found]
        elif suffix in SUPPORTED and path.stem in wanted:
            clashes.append(f"document id {path.stem!r} is already used by {shown(path)}")
    stored = store.articles()
    for doc_id in ids:
        record = stored.get(doc_id)
        source = _file_of(record.path) if record is not None else None
        if source is not None and source != target.resolve() and source.exists():
            clash = f"document id {doc_id!r} is already used by {shown(source)}"
            if clash not in clashes:
                clashes.append(clash)
    if clashes:
        raise UploadConflict(
            f"Cannot ingest {target.name}: {_listing(clashes)}. Delete that article first, or "
            "give the file another name."
        )


def add_file(
    data_dir: Path,
    filename: str,
    content: bytes,
    *,
    embedder: Embedder,
    store: ChunkStore,
    chunker: Chunker,
) -> tuple[Path, SyncReport]:
    """Store ``content`` as ``data_dir/<safe name>`` and sync just that file.

    Raises ``UnsupportedFileError``, ``EmptyUpload``, ``UploadConflict`` or ``IngestError`` before
    anything in the data folder changes; if the sync itself fails, the previous file (or no
    file) is put back.
    """
    name = safe_name(filename)
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / name
    with _staging(data_dir) as staging:
        staged = staging / name  # the stored name: the doc ids checked are the ones stored
        staged.write_bytes(content)
        ids = _article_ids(staged, name)
        _check_conflicts(data_dir, target, ids, store)
        previous = staging / f"previous-{name}"
        if target.is_file():
            try:
                os.link(target, previous)
            except OSError:  # a file system without hard links
                shutil.copy2(target, previous)
        staged.replace(target)  # atomic: readers see the old file or the new one
        try:
            report = sync(target, embedder, store, chunker)
        except BaseException:
            if previous.exists():
                previous.replace(target)
            else:
                target.unlink(missing_ok=True)
            raise
    _forget_lines_gone(target, set(ids), store)
    return target, report


def _forget_lines_gone(target: Path, ids: set[str], store: ChunkStore) -> None:
    """A JSON lines file uploaded again with fewer articles: the articles it no longer holds
    leave the store too (a sync of one file never prunes)."""
    where = target.resolve()
    gone = sorted(
        doc_id
        for doc_id, record in store.articles().items()
        if doc_id not in ids and _file_of(record.path) == where
    )
    if gone:
        store.delete_articles(gone)  # the commit markers first, then their chunks
        for doc_id in gone:
            store.delete_article_chunks(doc_id)


def _drop_jsonl_article(path: Path, doc_id: str) -> None:
    """Blank the lines of a JSON lines file that hold ``doc_id`` (blank, so the line numbers,
    which name articles without an id, stay as they are); delete the file once none is left."""
    lines = path.read_bytes().split(b"\n")
    kept = False
    for n, raw in enumerate(lines):
        text = (raw.removeprefix(codecs.BOM_UTF8) if n == 0 else raw).decode("utf-8", "replace")
        text = text.removesuffix("\r")
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            record = None
        if isinstance(record, dict):
            raw_id = record.get("id", record.get("_id"))
            if jsonl_doc_id(path.stem, raw_id, n + 1) == doc_id:
                lines[n] = b""
                continue
        kept = True
    if not kept:
        path.unlink()
        return
    with _staging(path.parent) as staging:
        rewritten = staging / path.name
        rewritten.write_bytes(b"\n".join(lines))
        rewritten.replace(path)


def remove_article(data_dir: Path, doc_id: str, store: ChunkStore) -> None:
    """Delete an article from its file in the data folder (the file itself, or its lines of a
    JSON lines file, so the next ingest does not bring it back), then its record and chunks."""
    record = store.articles().get(doc_id)
    if record is None:
        raise NotFoundError(f"No document {doc_id!r}.")
    path = _file_of(record.path)
    if path.is_file() and path.resolve().is_relative_to(data_dir.resolve()):
        if path.suffix.lower() == ".jsonl":
            _drop_jsonl_article(path, doc_id)
        else:
            path.unlink()
    store.delete_articles([doc_id])  # the commit marker first, then its chunks
    store.delete_article_chunks(doc_id)
