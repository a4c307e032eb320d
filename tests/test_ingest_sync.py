"""Idempotent ingest against real Chroma and the real embedding model."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ingest.chunking import Chunker
from ingest.sync import SyncReport, sync
from rag.errors import EmbeddingMismatchError, IngestError
from rag.lexical_sync import load as load_lexical
from rag.models.embedder import SentenceTransformerEmbedder
from rag.protocols import Vectors
from rag.store.chroma import ChromaStore
from service.root import build_chunker
from service.settings import Settings
from tests.conftest import DATA, VENV_BIN

pytestmark = pytest.mark.slow


class CountingEmbedder:
    """The real embedder, counting what it is asked to embed."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.texts = 0
        self.model_id, self.dimension, self.dtype = inner.model_id, inner.dimension, inner.dtype
        self.max_tokens, self.tokens = inner.max_tokens, inner.tokens

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.texts += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        return self.inner.embed_query(text)


class Crash(Exception):
    pass


class CrashingStore:
    """Wraps a real store and dies after ``budget`` write calls, like a killed process."""

    WRITES = ("upsert_chunks", "delete_chunks", "put_articles", "delete_articles")

    def __init__(self, inner: ChromaStore, budget: int) -> None:
        self.inner, self.budget = inner, budget

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name not in self.WRITES:
            return attr

        def write(*args: Any, **kwargs: Any) -> Any:
            if self.budget == 0:
                raise Crash(name)
            self.budget -= 1
            return attr(*args, **kwargs)

        return write


def snapshot(settings: Settings) -> dict[str, Any]:
    """Everything the store holds except the float vectors (compared by presence)."""
    store = ChromaStore(settings, model_id="all-MiniLM-L6-v2", dimension=384)
    chunks = store.chunks.get(include=["documents", "metadatas", "embeddings"])
    docs = store.docs.get(include=["documents", "metadatas", "embeddings"])
    assert all(len(e) == 384 for e in chunks["embeddings"])
    assert all(len(e) == 384 for e in docs["embeddings"])
    # Invariant: a record never names a version whose chunks are missing.
    stored = set(chunks["ids"])
    for doc_id, meta in zip(docs["ids"], docs["metadatas"], strict=True):
        expected = {f"{doc_id}::{meta['version']}::{i:04d}" for i in range(meta["n_chunks"])}
        assert expected <= stored, doc_id
    docs["metadatas"] = [{k: v for k, v in m.items() if k != "path"} for m in docs["metadatas"]]
    return {
        "chunks": {
            i: (d, m)
            for i, d, m in zip(chunks["ids"], chunks["documents"], chunks["metadatas"], strict=True)
        },
        "docs": {
            i: (d, m)
            for i, d, m in zip(docs["ids"], docs["documents"], docs["metadatas"], strict=True)
        },
    }


def run(
    settings: Settings, embedder: Any, *, prune: bool = False, store: Any = None, group: int = 256
) -> SyncReport:
    store = store or ChromaStore(settings, model_id=embedder.model_id, dimension=embedder.dimension)
    chunker = build_chunker(settings, embedder)
    return sync(settings.data_dir, embedder, store, chunker, prune=prune, group_chunks=group)


def counts(r: SyncReport) -> tuple[int, int, int, int, int]:
    return (r.added, r.updated, r.unchanged, len(r.skipped), r.pruned)


def test_second_run_writes_nothing(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    first = run(settings, embedder)
    assert counts(first) == (5, 0, 0, 0, 0)
    assert first.chunks_written == len(snapshot(settings)["chunks"]) > 0
    before = snapshot(settings)

    counting = CountingEmbedder(embedder)
    second = run(settings, counting)
    assert counts(second) == (0, 0, 5, 0, 0)
    assert (second.chunks_written, second.chunks_deleted, counting.texts) == (0, 0, 0)
    assert snapshot(settings) == before


def test_stored_chunks_are_exact_slices_of_the_stored_article(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    run(settings, embedder)
    store = ChromaStore(settings, model_id=embedder.model_id, dimension=embedder.dimension)
    got = store.chunks.get(include=["documents", "metadatas"])
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        article = store.article_text(meta["doc_id"])
        assert article is not None
        assert article[meta["start"] : meta["end"]] == text
        assert meta["n_tokens"] <= settings.chunk_tokens


def test_changed_article_replaces_its_chunks(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    run(settings, embedder)
    before = snapshot(settings)
    path = settings.data_dir / "002_d284d28d32ec8da7.txt"
    path.write_text(path.read_text().replace("Rustem Umerov", "Rustem Umerov (NSDC)"))

    report = run(settings, embedder)
    assert counts(report) == (0, 1, 4, 0, 0)
    after = snapshot(settings)
    old = {i for i in before["chunks"] if i.startswith("002_")}
    new = {i for i in after["chunks"] if i.startswith("002_")}
    assert old and new and not old & new  # every chunk of the old version is gone
    assert any("Rustem Umerov (NSDC)" in after["chunks"][i][0] for i in new)
    unchanged = {k: v for k, v in before["chunks"].items() if not k.startswith("002_")}
    assert {k: v for k, v in after["chunks"].items() if not k.startswith("002_")} == unchanged
    assert after["docs"]["002_d284d28d32ec8da7"][1]["n_chunks"] == len(new)
    assert report.chunks_deleted == len(old)


def test_prune_only_when_asked(settings: Settings, embedder: SentenceTransformerEmbedder) -> None:
    run(settings, embedder)
    (settings.data_dir / "001_43b0c0d1ec5d1bd6.txt").unlink()

    kept = run(settings, embedder)
    assert counts(kept) == (0, 0, 4, 0, 0)
    assert "001_43b0c0d1ec5d1bd6" in snapshot(settings)["docs"]

    pruned = run(settings, embedder, prune=True)
    assert counts(pruned) == (0, 0, 4, 0, 1)
    snap = snapshot(settings)
    assert "001_43b0c0d1ec5d1bd6" not in snap["docs"]
    assert not any(i.startswith("001_") for i in snap["chunks"])


def test_bad_files_are_skipped_and_lose_nothing(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    run(settings, embedder)
    before = snapshot(settings)
    (settings.data_dir / "003_e66dc6db878f3d90.txt").write_bytes(b"\x00\x01 corrupted")
    (settings.data_dir / "scan.pdf").write_bytes(b"%PDF-1.4")
    (settings.data_dir / "feed.jsonl").write_text("{broken\n")

    report = run(settings, embedder, prune=True)
    assert counts(report) == (0, 0, 4, 3, 0)
    assert sorted(s.path for s in report.skipped) == [
        "003_e66dc6db878f3d90.txt",
        "feed.jsonl:1",
        "scan.pdf",
    ]
    assert snapshot(settings) == before  # the unreadable article is kept, not pruned


def test_missing_folder_and_empty_prune_are_refused(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    run(settings, embedder)
    before = snapshot(settings)
    with pytest.raises(IngestError, match="No such file or folder"):
        sync(
            settings.data_dir / "nope",
            embedder,
            ChromaStore(settings, model_id=embedder.model_id, dimension=384),
            build_chunker(settings, embedder),
        )
    for p in settings.data_dir.iterdir():
        p.unlink()
    with pytest.raises(IngestError, match="refusing to prune all 5 stored articles"):
        run(settings, embedder, prune=True)
    assert snapshot(settings) == before


def test_mismatched_embedding_model_is_refused(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    run(settings, embedder)
    before = snapshot(settings)
    with pytest.raises(EmbeddingMismatchError, match="all-MiniLM-L6-v2"):
        ChromaStore(settings, model_id="all-mpnet-base-v2", dimension=768)
    assert snapshot(settings) == before


def _final_state(data_dir: Path) -> None:
    """Edits to apply between the first ingest and the interrupted one."""
    (data_dir / "000_87e92a4300705097.txt").write_text(
        (data_dir / "000_87e92a4300705097.txt").read_text().replace("Tuesday", "Tuesday evening")
    )
    (data_dir / "004_053fbe268d2d0c68.txt").write_text(
        (data_dir / "004_053fbe268d2d0c68.txt").read_text() + "\nA late paragraph was added.\n"
    )
    (data_dir / "001_43b0c0d1ec5d1bd6.txt").unlink()
    (data_dir / "new.md").write_text("# A new article\n\nIt says something new. " * 30)


def test_crash_at_every_write_then_rerun_converges(
    tmp_path: Path, settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    # The reference: a clean ingest of the final files into a fresh store.
    ref_data = tmp_path / "ref-data"
    ref_data.mkdir()
    for p in DATA.iterdir():
        (ref_data / p.name).write_text(p.read_text())
    _final_state(ref_data)
    ref = settings.model_copy(update={"data_dir": ref_data, "chroma_path": tmp_path / "ref-db"})
    run(ref, embedder, group=8)
    expected = snapshot(ref)

    budget = 0
    while True:
        case = settings.model_copy(
            update={
                "chroma_path": tmp_path / f"db-{budget}",
                "data_dir": tmp_path / f"data-{budget}",
            }
        )
        case.data_dir.mkdir()
        for p in DATA.iterdir():
            (case.data_dir / p.name).write_text(p.read_text())
        run(case, embedder, group=8)
        _final_state(case.data_dir)
        store = ChromaStore(case, model_id=embedder.model_id, dimension=384)
        try:
            run(case, embedder, prune=True, store=CrashingStore(store, budget), group=8)
            finished = True
        except Crash:
            finished = False
            snapshot(case)  # the invariant holds at the moment of the crash
        run(case, embedder, prune=True, group=8)
        assert snapshot(case) == expected, f"diverged after a crash at write {budget}"
        if finished:
            break
        budget += 1
    assert budget >= 6  # the interrupted run really had several writes to crash between


def _write_corpus(folder: Path, n: int) -> None:
    sentences = [
        s for p in sorted(DATA.iterdir()) for s in p.read_text().split(". ") if len(s) > 40
    ]
    rng = random.Random(7)
    for i in range(n):
        body = ". ".join(rng.sample(sentences, 12)) + "."
        (folder / f"gen_{i:03d}.txt").write_text(f"Generated article {i}\n\n{body}\n")


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0


def _reached(point: str, settings: Settings) -> bool:
    """Has the ingest got to ``point``? Read from outside, as a watching operator would."""
    db = settings.chroma_path / "chroma.sqlite3"
    if point == "first write":
        return _count(db, "select count(*) from embeddings_queue") > 0
    if point == "mid-run":  # a third of the article records (commit markers) written
        return _count(db, "select count(*) from embedding_metadata where key='content_hash'") >= 28
    # "index save": the store is complete and the BM25 segment files are being written
    return any(settings.lexical_dir.glob("*.npz"))


def assert_lexical_matches_store(settings: Settings) -> None:
    """The saved BM25 index holds exactly the committed chunks, with their texts."""
    index = load_lexical(settings.lexical_dir, settings.bm25)
    assert index is not None
    chunks = snapshot(settings)["chunks"]
    assert {i: c.text for i, c in index.by_id.items()} == {i: d for i, (d, _) in chunks.items()}


@pytest.mark.parametrize("point", ["first write", "mid-run", "index save"])
def test_killed_process_then_rerun_converges(
    point: str, tmp_path: Path, settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    _write_corpus(settings.data_dir, 80)
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(settings.data_dir),
        "RAG_CHROMA_PATH": str(settings.chroma_path),
        "RAG_CACHE_DIR": str(settings.cache_dir),
        "RAG_INGEST_GROUP_CHUNKS": "16",
    }
    proc = subprocess.Popen(
        [str(VENV_BIN / "rag"), "ingest", "-q"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while not _reached(point, settings) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stdout.read() if proc.stdout else ""
    # Read the store in another process: Chroma caches a folder's state per process, so this
    # test process must not open it before the re-run writes to it.
    stats = subprocess.run(
        [str(VENV_BIN / "rag"), "stats", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    partial = json.loads(stats.stdout)
    assert partial["chunks"] > 0
    if point != "index save":
        assert partial["articles"] < 85  # really cut mid-run

    rerun = subprocess.run(
        [str(VENV_BIN / "rag"), "ingest", "-q"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "unchanged" in rerun.stdout

    ref = settings.model_copy(update={"chroma_path": tmp_path / "ref-db"})
    run(ref, embedder)
    assert snapshot(settings) == snapshot(ref)
    assert_lexical_matches_store(settings)
    final = run(settings, embedder)
    assert counts(final) == (0, 0, 85, 0, 0)


def test_chunker_is_built_from_the_embedder(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    chunker = build_chunker(settings, embedder)
    assert isinstance(chunker, Chunker)
    assert (chunker.max_tokens, chunker.chunk_tokens, chunker.overlap) == (254, 200, 40)


def test_prune_only_touches_the_folder_ingested(
    tmp_path: Path, settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    run(settings, embedder)
    sub = settings.data_dir / "extra"
    sub.mkdir()
    (sub / "note.txt").write_text("An extra note about the talks in Geneva on Sunday.")
    (sub / "keep.txt").write_text("Another note, about the meeting in Paris on Thursday.")
    one_file = settings.data_dir / "000_87e92a4300705097.txt"
    store = ChromaStore(settings, model_id=embedder.model_id, dimension=384)
    chunker = build_chunker(settings, embedder)

    with pytest.raises(IngestError, match="--prune needs a folder"):
        sync(one_file, embedder, store, chunker, prune=True)
    report = sync(sub, embedder, store, chunker, prune=True)
    assert counts(report) == (2, 0, 0, 0, 0)  # the five articles outside extra/ stay
    assert len(snapshot(settings)["docs"]) == 7
    (sub / "note.txt").unlink()
    report = sync(sub, embedder, store, chunker, prune=True)
    assert report.pruned == 1 and len(snapshot(settings)["docs"]) == 6


def test_broken_jsonl_protects_its_stored_articles(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    feed = settings.data_dir / "feed.jsonl"
    records = [
        {"id": "a", "text": "First\u2028line article about Kyiv."},
        {"id": "b", "text": "Second article, with U+0085\u0085inside."},
    ]
    feed.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    first = run(settings, embedder)
    assert counts(first) == (7, 0, 0, 0, 0)  # U+2028 and U+0085 do not split a JSON line
    before = snapshot(settings)
    feed.write_bytes(feed.read_bytes() + b"\xff\n")  # the whole file is no longer UTF-8
    report = run(settings, embedder, prune=True)
    assert report.pruned == 0 and snapshot(settings) == before
    feed.write_text(feed.read_text(errors="ignore").rstrip() + "\n{not json\n")
    report = run(settings, embedder, prune=True)
    assert report.pruned == 0 and {"feed-a", "feed-b"} <= set(snapshot(settings)["docs"])


def test_moved_folder_updates_paths_without_reembedding(
    tmp_path: Path, settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    run(settings, embedder)
    moved = tmp_path / "moved"
    settings.data_dir.rename(moved)
    counting = CountingEmbedder(embedder)
    report = run(settings.model_copy(update={"data_dir": moved}), counting, prune=True)
    assert counts(report) == (0, 0, 5, 0, 0) and counting.texts == 0
    store = ChromaStore(settings, model_id=embedder.model_id, dimension=384)
    paths = {a.path for a in store.articles().values()}
    assert all(p.startswith(moved.as_posix()) for p in paths)
