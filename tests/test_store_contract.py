"""One contract, two backends: embedded Chroma and a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import numpy as np
import pytest

from rag.errors import EmbeddingMismatchError, StoreError
from rag.settings import Settings
from rag.store.chroma import ChromaStore
from rag.types import Article, Chunk, StoredArticle

DIM = 8


@pytest.fixture(params=["persistent", pytest.param("http", marks=pytest.mark.server)])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    # A fresh collection name per test keeps server-side state apart.
    name = f"t{uuid.uuid4().hex[:12]}"
    if request.param == "http":
        url = request.getfixturevalue("chroma_server")
        return Settings(chroma_url=url, collection=name, _env_file=None)  # type: ignore[call-arg]
    return Settings(chroma_path=tmp_path / "db", collection=name, _env_file=None)  # type: ignore[call-arg]


def _vec(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def _article(doc_id: str) -> Article:
    return Article(
        doc_id=doc_id,
        title=f"Title {doc_id}",
        text="One. Two.",
        path=f"{doc_id}.txt",
        content_hash="h",
        published=dt.date(2025, 11, 25),
        source=None,
    )


def _chunk(doc_id: str, i: int) -> Chunk:
    return Chunk(
        chunk_id=f"{doc_id}::v::{i:04d}",
        doc_id=doc_id,
        version="v",
        index=i,
        text=f"text {i}",
        start=0,
        end=4,
        n_tokens=2,
        n_llm_tokens=2,
    )


def test_write_read_delete(store_settings: Settings) -> None:
    store = ChromaStore(store_settings, model_id="m", dimension=DIM)
    a, b = _article("a"), _article("b")
    chunks = [_chunk("a", 0), _chunk("a", 1), _chunk("b", 0)]
    store.upsert_chunks(chunks, np.stack([_vec(i) for i in range(3)]), {"a": a, "b": b})
    store.upsert_chunks(chunks[:1], np.stack([_vec(0)]), {"a": a})  # upsert is idempotent
    assert store.chunk_ids_by_doc() == {"a": {"a::v::0000", "a::v::0001"}, "b": {"b::v::0000"}}

    record = StoredArticle(
        doc_id="a",
        title="Title a",
        published=dt.date(2025, 11, 25),
        source=None,
        url=None,
        path="a.txt",
        content_hash="h",
        version="v",
        n_chunks=2,
    )
    store.put_articles([record], ["One. Two."], np.stack([_vec(9)]))
    assert store.articles() == {"a": record}
    assert store.article_text("a") == "One. Two."
    assert store.article_text("missing") is None

    meta = store.chunks.get(ids=["a::v::0000"], include=["metadatas"])["metadatas"][0]
    assert meta["published_day"] == 20251125 and "source" not in meta

    store.delete_chunks(["a::v::0001", "b::v::0000"])
    store.delete_articles(["a"])
    assert store.chunk_ids_by_doc() == {"a": {"a::v::0000"}}
    assert store.articles() == {}
    info = store.describe()
    assert (info["chunks"], info["articles"], info["embedding_dim"]) == (1, 0, DIM)


def test_reopen_with_other_model_is_refused(store_settings: Settings) -> None:
    ChromaStore(store_settings, model_id="all-MiniLM-L6-v2", dimension=384)
    ChromaStore(store_settings, model_id="all-MiniLM-L6-v2", dimension=384)  # same: fine
    with pytest.raises(
        EmbeddingMismatchError, match="built with embedding model 'all-MiniLM-L6-v2'"
    ):
        ChromaStore(store_settings, model_id="all-mpnet-base-v2", dimension=768)
    with pytest.raises(EmbeddingMismatchError, match="384 dimensions"):
        ChromaStore(store_settings, model_id="all-MiniLM-L6-v2", dimension=512)


def test_vector_count_mismatch_is_an_error(store_settings: Settings) -> None:
    store = ChromaStore(store_settings, model_id="m", dimension=DIM)
    with pytest.raises(StoreError, match="2 chunks but 1 vectors"):
        store.upsert_chunks(
            [_chunk("a", 0), _chunk("a", 1)], np.stack([_vec(0)]), {"a": _article("a")}
        )


def test_unreachable_server_is_a_clear_error() -> None:
    settings = Settings(chroma_url="http://127.0.0.1:9", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(
        StoreError, match=r"Cannot reach the Chroma server at http://127\.0\.0\.1:9"
    ):
        ChromaStore(settings, model_id="m", dimension=DIM)


def test_bad_url_is_a_clear_error() -> None:
    settings = Settings(chroma_url="localhost:8000", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(StoreError, match="is not an http"):
        ChromaStore(settings, model_id="m", dimension=DIM)
