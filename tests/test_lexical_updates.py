"""The BM25 index updated in segments scores exactly as a fresh build, and saves kill-safely."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rag.lexical import MAX_SEGMENTS, LexicalIndex
from rag.lexical_sync import catch_up, load, save
from rag.types import ScoredChunk, StoredArticle
from tests.conftest import bm25_params, scored_chunk

WORDS = (
    "troops ceasefire coalition guarantees Macron Kyiv talks summit drones border envoy "
    "pledge treaty sanctions grain harbour election budget storm league vaccine"
).split()


def article(doc: str, version: str, n: int, seed: int) -> list[ScoredChunk]:
    rng = random.Random(seed)
    return [
        scored_chunk(
            doc, " ".join(rng.choices(WORDS, k=rng.randint(5, 40))), index=i, version=version
        )
        for i in range(n)
    ]


def corpus(n_docs: int, version: str = "v1") -> dict[str, list[ScoredChunk]]:
    return {f"d{i:03d}": article(f"d{i:03d}", version, 1 + i % 4, i) for i in range(n_docs)}


def ranking(index: LexicalIndex, query: str) -> list[tuple[str, float]]:
    return [(c.chunk_id, round(c.scores["bm25"], 5)) for c in index.search(query, 50)]


QUERIES = ["troops ceasefire", "Macron summit guarantees", "storm league", "sanctions sanctions"]


def test_updates_score_exactly_as_a_fresh_build() -> None:
    docs = corpus(60)
    index = LexicalIndex.build([c for cs in docs.values() for c in cs], bm25_params())
    rng = random.Random(3)
    for step in range(30):  # replace, remove and add articles, a few at a time
        changed = rng.sample(sorted(docs), 3)
        for doc in changed[:2]:
            docs[doc] = article(doc, f"v{step + 2}", rng.randint(1, 5), 1000 + step)
        del docs[changed[2]]
        new = f"n{step:03d}"
        docs[new] = article(new, "v1", 2, 2000 + step)
        added = [c for d in [*changed[:2], new] for c in docs[d]]
        index = index.updated(changed, added)
        assert len(index.parts) <= MAX_SEGMENTS + 1
    fresh = LexicalIndex.build([c for cs in docs.values() for c in cs], bm25_params())
    assert set(index.by_id) == set(fresh.by_id)
    for query in QUERIES:
        assert ranking(index, query) == ranking(fresh, query)


def test_an_update_leaves_the_old_index_as_it_was() -> None:
    docs = corpus(10)
    old = LexicalIndex.build([c for cs in docs.values() for c in cs], bm25_params())
    before = ranking(old, "troops ceasefire")
    new = old.updated(["d001"], article("d001", "v2", 2, 99))
    assert ranking(old, "troops ceasefire") == before  # a reader mid-query is not disturbed
    assert {version for version, _ in new.versions().values()} == {"v1", "v2"}
    assert new.versions()["d001"] == ("v2", 2) and old.versions()["d001"] == ("v1", 2)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    docs = corpus(20)
    index = LexicalIndex.build([c for cs in docs.values() for c in cs], bm25_params(k1=1.2, b=0.75))
    index = index.updated(["d003"], article("d003", "v2", 3, 5))
    save(index, tmp_path)
    again = load(tmp_path, bm25_params(k1=1.2, b=0.75))
    assert again is not None and again.fingerprint == index.fingerprint
    for query in QUERIES:
        assert ranking(again, query) == ranking(index, query)
    assert load(tmp_path, bm25_params(k1=0.9, b=0.4)) is None  # other parameters: rebuild


def test_a_save_killed_before_its_manifest_keeps_the_old_index(tmp_path: Path) -> None:
    docs = corpus(20)
    index = LexicalIndex.build([c for cs in docs.values() for c in cs], bm25_params())
    save(index, tmp_path)
    newer = index.updated(["d004"], article("d004", "v2", 2, 7))
    segment = newer.parts[-1].segment
    (tmp_path / f"{segment.name}.npz").write_bytes(b"half a file")  # killed mid-write
    again = load(tmp_path, bm25_params())
    assert again is not None and again.fingerprint == index.fingerprint


class FakeStore:
    """Committed records and chunks, counting what the index asks for."""

    def __init__(self, docs: dict[str, list[ScoredChunk]]) -> None:
        self.docs = docs
        self.asked: list[set[str]] = []

    def articles(self) -> dict[str, StoredArticle]:
        return {
            d: StoredArticle(
                doc_id=d,
                title="",
                published=None,
                source=None,
                url=None,
                path="",
                content_hash="",
                version=cs[0].chunk_id.split("::")[1],
                n_chunks=len(cs),
            )
            for d, cs in self.docs.items()
        }

    def committed_chunks(self, versions: dict[str, str]) -> list[ScoredChunk]:
        self.asked.append(set(versions))
        return [c for d in versions for c in self.docs[d]]


def test_catch_up_reads_only_the_articles_that_changed() -> None:
    store = FakeStore(corpus(50))
    index = catch_up(LexicalIndex([], bm25_params()), store)
    assert len(index.by_id) == sum(len(cs) for cs in store.docs.values())
    assert catch_up(index, store) is index  # nothing changed: the same object

    store.docs["d007"] = article("d007", "v2", 3, 70)
    del store.docs["d010"]
    store.asked.clear()
    updated = catch_up(index, store)
    assert store.asked == [{"d007"}]  # d010 is dropped without reading anything
    assert "d010" not in updated.versions() and updated.versions()["d007"] == ("v2", 3)


@pytest.mark.parametrize("missing", [1, 2])
def test_an_article_with_missing_chunks_is_re_read(missing: int) -> None:
    store = FakeStore(corpus(8))
    full = catch_up(LexicalIndex([], bm25_params()), store)
    partial = LexicalIndex.build(
        [c for c in full.chunks if c.chunk_id != f"d003::v1::{missing - 1:04d}"], bm25_params()
    )
    healed = catch_up(partial, store)
    assert set(healed.by_id) == set(full.by_id)
