"""The BM25 index on disk, and keeping it in step with the store's committed articles.

On disk: one ``.npz`` (postings) and one ``.json`` (chunk payloads) per segment, written once
and never changed, and ``manifest.json``, replaced atomically, naming the live segments and
their deleted rows. A killed save leaves the old manifest, which still names complete files.
Processes sharing the folder (workers on one machine) take a file lock around reads and writes.

``catch_up`` compares each article's committed version and chunk count in the store with the
index and re-indexes only the articles that differ: an ingest of one article costs one
article's tokenizing, whatever the corpus size.
"""

from __future__ import annotations

import fcntl
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.lexical import LexicalIndex, LiveSegment, Segment
from rag.types import BM25Params, ScoredChunk, StoredArticle

FORMAT = 2
_MANIFEST = "manifest.json"


class _CommittedSource(Protocol):
    def articles(self) -> dict[str, StoredArticle]: ...

    def committed_chunks(self, versions: dict[str, str]) -> list[ScoredChunk]: ...


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_segment(folder: Path, seg: Segment) -> None:
    if (folder / f"{seg.name}.json").exists():
        return  # segments never change once written
    with (folder / f"{seg.name}.npz").open("wb") as out:
        np.savez(
            out,
            terms=np.array(seg.terms, dtype=str),
            indptr=seg.indptr,
            rows=seg.rows,
            tfs=seg.tfs,
            lengths=seg.lengths,
        )
    payload = [c.model_dump(mode="json", exclude={"scores"}) for c in seg.chunks]
    tmp = folder / f"{seg.name}.json.tmp"
    tmp.write_text(json.dumps(payload, ensure_ascii=False))
    tmp.replace(folder / f"{seg.name}.json")  # last: its presence means the segment is whole


def _read_segment(folder: Path, name: str) -> Segment:
    chunks = [
        ScoredChunk.model_validate(c) for c in json.loads((folder / f"{name}.json").read_text())
    ]
    with np.load(folder / f"{name}.npz", allow_pickle=False) as z:
        return Segment(
            name=name,
            chunks=tuple(chunks),
            terms=tuple(str(t) for t in z["terms"]),
            indptr=z["indptr"],
            rows=z["rows"],
            tfs=z["tfs"],
            lengths=z["lengths"],
        )


def save(index: LexicalIndex, folder: Path) -> None:
    with _locked(folder):
        for part in index.parts:
            _write_segment(folder, part.segment)
        manifest = {
            "format": FORMAT,
            "k1": index.params.k1,
            "b": index.params.b,
            "segments": [
                {"name": p.segment.name, "dead": np.flatnonzero(~p.live).tolist()}
                for p in index.parts
            ],
        }
        tmp = folder / f"{_MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest))
        tmp.replace(folder / _MANIFEST)
        keep = {p.segment.name for p in index.parts}
        for path in folder.iterdir():  # merged-away segments, and files of the old format
            stale = path.name not in (_MANIFEST, ".lock") and path.name.split(".")[0] not in keep
            if stale and path.is_file():
                path.unlink(missing_ok=True)


def load(folder: Path, params: BM25Params) -> LexicalIndex | None:
    """The saved index, or None when there is none, it is unreadable, or its BM25 parameters
    are not ``params`` (then it must be rebuilt)."""
    try:
        with _locked(folder):
            manifest = json.loads((folder / _MANIFEST).read_text())
            if manifest.get("format") != FORMAT or (manifest["k1"], manifest["b"]) != (
                params.k1,
                params.b,
            ):
                return None
            parts = []
            for entry in manifest["segments"]:
                segment = _read_segment(folder, entry["name"])
                live = np.ones(len(segment.chunks), dtype=bool)
                live[entry["dead"]] = False
                parts.append(LiveSegment(segment, live))
    except (OSError, ValueError, KeyError, IndexError):
        return None
    return LexicalIndex(parts, params)


def catch_up(index: LexicalIndex, store: _CommittedSource) -> LexicalIndex:
    """``index`` brought in step with the articles the store has committed (the same object
    when nothing differs). Only articles whose version or chunk count differ are re-read."""
    records = store.articles()
    want = {doc_id: (r.version, r.n_chunks) for doc_id, r in records.items()}
    have = index.versions()
    changed = {d for d in want.keys() | have.keys() if want.get(d) != have.get(d)}
    if not changed:
        return index
    fresh = store.committed_chunks({d: records[d].version for d in changed if d in records})
    return index.updated(changed & have.keys(), fresh)


def refresh(index: LexicalIndex, store: _CommittedSource, folder: Path) -> LexicalIndex:
    """``catch_up``, saving the result when it changed anything."""
    updated = catch_up(index, store)
    if updated is not index:
        save(updated, folder)
    return updated


def ensure_lexical_index(store: _CommittedSource, folder: Path, params: BM25Params) -> LexicalIndex:
    """Load the saved index (an empty one if there is none) and bring it in step."""
    return refresh(load(folder, params) or LexicalIndex([], params), store, folder)


class CommittedIndex:
    """The BM25 index of what the store has committed, as one snapshot at a time.

    A question reads ``current`` once and uses that snapshot for both retrieval legs and the
    re-rank (dense hits count only when the snapshot holds them), so during an ingest it sees
    an article's old chunks or its new ones, never a mix. ``refresh`` (after an ingest here,
    and periodically for ingests by other processes) catches the index up with the store,
    saves it and swaps the new snapshot in with one assignment; refreshes take turns.
    """

    def __init__(self, store: _CommittedSource, folder: Path, params: BM25Params) -> None:
        self._store = store
        self._folder = folder
        self._lock = threading.Lock()
        self._index = ensure_lexical_index(store, folder, params)

    @property
    def current(self) -> LexicalIndex:
        return self._index

    def refresh(self) -> LexicalIndex:
        with self._lock:
            self._index = refresh(self._index, self._store, self._folder)
        return self._index
