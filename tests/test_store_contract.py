"""One contract, three stores: in memory, embedded Chroma and a real `chroma run` server.

Every ``ChunkStore`` call the library makes is checked here on each implementation; what only
Chroma has (a collection stamped with its model, a server that can be unreachable, the
metadata it filters on) is checked on the two Chroma backends.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rag.errors import EmbeddingMismatchError, StoreError
from rag.protocols import ChunkStore
from rag.store.chroma import ChromaStore
from rag.store.memory import MemoryStore
from rag.types import Article, Chunk, Filters, StoredArticle
from service.settings import Settings

DIM = 8
OpenStore = Callable[..., ChunkStore]


def _chroma_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    # A fresh collection name per test keeps server-side state apart.
    name = f"t{uuid.uuid4().hex[:12]}"
    if request.param == "http":
        url = request.getfixturevalue("chroma_server")
        return Settings(chroma_url=url, collection=name, _env_file=None)  # type: ignore[call-arg]
    return Settings(chroma_path=tmp_path / "db", collection=name, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(params=["memory", "persistent", pytest.param("http", marks=pytest.mark.server)])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    """Opens the store under test (again, for a reopen) with a model id and dimension."""
    if request.param == "memory":
        return lambda model_id="m", dimension=DIM: MemoryStore(
            model_id=model_id, dimension=dimension
        )
    settings = _chroma_settings(request, tmp_path)
    return lambda model_id="m", dimension=DIM: ChromaStore(
        settings, model_id=model_id, dimension=dimension
    )


@pytest.fixture(params=["persistent", pytest.param("http", marks=pytest.mark.server)])
def chroma_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return _chroma_settings(request, tmp_path)


def _vec(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def _article(doc_id: str, published: dt.date | None = dt.date(2025, 11, 25)) -> Article:
    return Article(
        doc_id=doc_id,
        title=f"Title {doc_id}",
        text="One. Two.",
        path=f"{doc_id}.txt",
        content_hash="h",
        published=published,
        source=None,
    )


def _chunk(doc_id: str, i: int, version: str = "v") -> Chunk:
    return Chunk(
        chunk_id=f"{doc_id}::{version}::{i:04d}",
        doc_id=doc_id,
        version=version,
        index=i,
        text=f"text {i}",
        start=0,
        end=4,
        n_tokens=2,
        n_llm_tokens=2,
    )


def _record(doc_id: str, n_chunks: int, version: str = "v") -> StoredArticle:
    return StoredArticle(
        doc_id=doc_id,
        title=f"Title {doc_id}",
        published=dt.date(2025, 11, 25),
        source=None,
        url=None,
        path=f"{doc_id}.txt",
        content_hash="h",
        version=version,
        n_chunks=n_chunks,
    )


def test_write_read_delete(open_store: OpenStore) -> None:
    store = open_store()
    a, b = _article("a"), _article("b")
    chunks = [_chunk("a", 0), _chunk("a", 1), _chunk("b", 0)]
    store.upsert_chunks(chunks, np.stack([_vec(i) for i in range(3)]), {"a": a, "b": b})
    store.upsert_chunks(chunks[:1], np.stack([_vec(0)]), {"a": a})  # upsert is idempotent
    assert store.chunk_ids_by_doc() == {"a": {"a::v::0000", "a::v::0001"}, "b": {"b::v::0000"}}
    assert np.allclose(store.chunk_vectors(["a::v::0001", "a::v::0000"]), [_vec(1), _vec(0)])
    assert store.chunk_vectors([]).shape == (0, DIM)
    with pytest.raises(StoreError, match="1 chunk ids are not stored"):
        store.chunk_vectors(["a::v::0000", "nope::v::0000"])

    record = _record("a", 2)
    store.put_articles([record], ["One. Two."], np.stack([_vec(9)]))
    assert store.articles() == {"a": record}
    assert store.article_text("a") == "One. Two."
    assert store.article_text("missing") is None
    store.set_article_paths({"a": "moved/a.txt"})
    assert store.articles()["a"].path == "moved/a.txt"

    store.delete_chunks(["a::v::0001", "b::v::0000"])
    store.delete_articles(["a"])
    assert store.chunk_ids_by_doc() == {"a": {"a::v::0000"}}
    assert store.articles() == {}
    assert store.ping() == 1
    info = store.describe()
    assert (info["chunks"], info["articles"], info["embedding_dim"]) == (1, 0, DIM)
    assert info["embedding_model"] == "m"


def test_committed_chunks_and_deleting_an_article(open_store: OpenStore) -> None:
    store = open_store()
    a, b = _article("a"), _article("b")
    old, new = [_chunk("a", 0, "v1")], [_chunk("a", 0, "v2"), _chunk("a", 1, "v2")]
    store.upsert_chunks(
        [*old, *new, _chunk("b", 0)], np.stack([_vec(i) for i in range(4)]), {"a": a, "b": b}
    )
    committed = store.committed_chunks({"a": "v1", "b": "v"})
    assert sorted(c.chunk_id for c in committed) == ["a::v1::0000", "b::v::0000"]
    one = next(c for c in committed if c.doc_id == "b")
    assert (one.text, one.start, one.end, one.title) == ("text 0", 0, 4, "Title b")
    assert one.published == dt.date(2025, 11, 25) and one.scores == {}
    assert len(store.all_chunks()) == 4
    store.delete_article_chunks("a")  # every version
    assert store.chunk_ids_by_doc() == {"b": {"b::v::0000"}}


def test_nearest_and_query_with_filters(open_store: OpenStore) -> None:
    store = open_store()
    articles = {
        "sep": _article("sep", dt.date(2025, 9, 4)),
        "dec": _article("dec", dt.date(2025, 12, 1)),
        "undated": _article("undated", None),
    }
    chunks = [_chunk(d, 0) for d in articles]
    store.upsert_chunks(chunks, np.stack([_vec(1), _vec(2), _vec(3)]), articles)
    hits = store.nearest(_vec(2), 3)
    assert hits[0][0] == "dec::v::0000"
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert all(hits[i][1] >= hits[i + 1][1] for i in range(len(hits) - 1))
    assert len(store.nearest(_vec(2), 2)) == 2
    assert store.nearest(_vec(2), 0) == []
    only = store.nearest(_vec(2), 3, Filters(doc_ids=["sep"]))
    assert [cid for cid, _ in only] == ["sep::v::0000"]
    dated = store.nearest(_vec(3), 3, Filters(until=dt.date(2025, 10, 1)))
    assert [cid for cid, _ in dated] == ["sep::v::0000"]  # a date filter drops the undated
    assert [c for c, _ in store.nearest(_vec(1), 3, Filters(since=dt.date(2025, 11, 1)))] == [
        "dec::v::0000"
    ]
    (top,) = store.query(_vec(2), 1)
    assert (top.chunk_id, top.text, top.title) == ("dec::v::0000", "text 0", "Title dec")
    assert top.scores["dense"] == pytest.approx(hits[0][1], abs=1e-5)


def test_an_empty_store_finds_nothing(open_store: OpenStore) -> None:
    store = open_store()
    assert store.nearest(_vec(1), 5) == [] and store.query(_vec(1), 5) == []
    assert store.articles() == {} and store.chunk_ids_by_doc() == {}
    assert store.committed_chunks({"a": "v"}) == [] and store.all_chunks() == []
    assert store.ping() == 0


def test_vector_count_or_size_mismatch_is_an_error(open_store: OpenStore) -> None:
    store = open_store()
    with pytest.raises(StoreError, match="2 chunks but 1 vectors"):
        store.upsert_chunks(
            [_chunk("a", 0), _chunk("a", 1)], np.stack([_vec(0)]), {"a": _article("a")}
        )
    with pytest.raises(StoreError, match="Vectors of 4 dimensions, not 8"):
        store.upsert_chunks([_chunk("a", 0)], np.zeros((1, 4), np.float32), {"a": _article("a")})
    with pytest.raises(StoreError, match="1 articles but 0 vectors"):
        store.put_articles([_record("a", 0)], ["text"], np.zeros((0, DIM), np.float32))
    assert store.ping() == 0 and store.articles() == {}  # nothing was written


# -- Chroma only ------------------------------------------------------------------------------


def test_chroma_stores_filter_metadata(chroma_settings: Settings) -> None:
    store = ChromaStore(chroma_settings, model_id="m", dimension=DIM)
    store.upsert_chunks([_chunk("a", 0)], np.stack([_vec(0)]), {"a": _article("a")})
    meta = store.chunks.get(ids=["a::v::0000"], include=["metadatas"])["metadatas"][0]
    assert meta["published_day"] == 20251125 and "source" not in meta


def test_reopen_with_other_model_is_refused(chroma_settings: Settings) -> None:
    ChromaStore(chroma_settings, model_id="all-MiniLM-L6-v2", dimension=384)
    ChromaStore(chroma_settings, model_id="all-MiniLM-L6-v2", dimension=384)  # same: fine
    with pytest.raises(
        EmbeddingMismatchError, match="built with embedding model 'all-MiniLM-L6-v2'"
    ):
        ChromaStore(chroma_settings, model_id="all-mpnet-base-v2", dimension=768)
    with pytest.raises(EmbeddingMismatchError, match="384 dimensions"):
        ChromaStore(chroma_settings, model_id="all-MiniLM-L6-v2", dimension=512)


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
