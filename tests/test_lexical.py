"""BM25: persisted beside the store, kept in step with ingest, filters, RRF and date hints."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from rag.dates import DateHint, date_hints
from rag.lexical import LexicalIndex
from rag.lexical_sync import ensure_lexical_index, load, save
from rag.retrieval import near_duplicate
from rag.types import Filters, ScoredChunk
from service.root import build_embedder, open_store
from service.settings import Settings
from tests.conftest import bm25_params, ingest, scored_chunk

pytestmark = pytest.mark.slow


def test_index_follows_ingest(settings: Settings) -> None:
    ingest(settings)
    folder = settings.lexical_dir
    assert folder == settings.chroma_path / "bm25" / "articles"
    index = load(folder, settings.bm25)
    assert index is not None and len(index.chunks) > 0
    hits = index.search("Rustem Umerov delegation Florida", 3)
    assert hits[0].doc_id == "002_d284d28d32ec8da7" and hits[0].scores["bm25"] > 0
    manifest = folder / "manifest.json"
    mtime = manifest.stat().st_mtime_ns
    (first,) = [p.segment.name for p in index.parts]
    first_files = {p: p.stat().st_mtime_ns for p in folder.glob(f"{first}.*")}

    ingest(settings)  # unchanged: the index is not rewritten
    assert manifest.stat().st_mtime_ns == mtime

    path = settings.data_dir / "002_d284d28d32ec8da7.txt"
    path.write_text(path.read_text().replace("Rustem Umerov", "Rustem Zanzibarov"))
    ingest(settings)
    index = load(folder, settings.bm25)
    assert index is not None
    assert index.search("Zanzibarov", 3)[0].doc_id == "002_d284d28d32ec8da7"
    assert index.search("Umerov", 3) == []
    # Incremental: the first segment's files are untouched; one small segment was added.
    assert index.parts[0].segment.name == first
    assert {p: p.stat().st_mtime_ns for p in folder.glob(f"{first}.*")} == first_files
    assert {c.doc_id for c in index.parts[1].segment.chunks} == {"002_d284d28d32ec8da7"}


def test_stale_index_is_rebuilt_not_used(settings: Settings) -> None:
    ingest(settings)
    store = open_store(settings, build_embedder(settings))
    stale = LexicalIndex.build(store.all_chunks()[:2], settings.bm25)
    save(stale, settings.lexical_dir)
    fresh = ensure_lexical_index(store, settings.lexical_dir, settings.bm25)
    assert len(fresh.chunks) == store.describe()["chunks"]
    assert fresh.fingerprint != stale.fingerprint


def test_filters_and_no_match() -> None:
    index = LexicalIndex.build(
        [
            scored_chunk(
                "a", "troops pledged for reassurance force", published=dt.date(2025, 9, 4)
            ),
            scored_chunk("b", "troops pledged by 26 states"),
            scored_chunk("c", "talks in Miami on territory", published=dt.date(2025, 12, 1)),
        ],
        bm25_params(),
    )
    assert {c.doc_id for c in index.search("troops pledged", 5)} == {"a", "b"}
    assert [c.doc_id for c in index.search("troops", 5, Filters(doc_ids=["b"]))] == ["b"]
    assert [c.doc_id for c in index.search("troops", 5, Filters(until=dt.date(2025, 10, 1)))] == [
        "a"
    ]
    assert index.search("troops", 5, Filters(since=dt.date(2025, 11, 1))) == []
    assert index.search("completely unrelated words", 5) == []


def test_question_words_do_not_outweigh_the_content_words() -> None:
    # "which" and "did" are rare here, so under Lucene's short stop list they score highest
    chunks = [scored_chunk("rare", "Which one did it, nobody knows.")]
    chunks += [
        scored_chunk(f"talks{i}", f"Delegations met for talks number {i}.") for i in range(6)
    ]
    chunks += [
        scored_chunk("answer", "The talks began in the city of Miami, the delegations said.")
    ]
    question = "Which city did the delegations begin talks in?"
    lucene = LexicalIndex.build(chunks, bm25_params(query_stopwords="lucene"))
    nltk = LexicalIndex.build(chunks, bm25_params())
    assert lucene.query_terms(question) == ["which", "citi", "did", "deleg", "begin", "talk"]
    assert nltk.query_terms(question) == ["citi", "deleg", "begin", "talk"]
    assert lucene.search(question, 1)[0].doc_id == "rare"
    assert nltk.search(question, 1)[0].doc_id == "answer"
    assert nltk.query_terms("Who did it?") == ["who", "did"]  # nothing else: keep them
    # contraction fragments NLTK lists that are words too
    assert nltk.query_terms("Who won, Don or Jack Ma?") == ["won", "don", "jack", "ma"]


def test_the_query_stop_list_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).bm25.query_stopwords == "nltk"  # type: ignore[call-arg]
    monkeypatch.setenv("RAG_BM25_QUERY_STOPWORDS", "lucene")
    assert Settings(_env_file=None).bm25.query_stopwords == "lucene"  # type: ignore[call-arg]
    monkeypatch.setenv("RAG_BM25_QUERY_STOPWORDS", "english")
    with pytest.raises(ValidationError, match="bm25_query_stopwords"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_date_hints() -> None:
    assert date_hints("What was announced on 25 November?") == [DateHint(11, 25)]
    assert date_hints("What happened on November 25, 2025?") == [DateHint(11, 25, 2025)]
    assert date_hints("What did Macron say in September?") == [DateHint(9)]
    assert date_hints("Who met on 2025-12-01?") == [DateHint(12, 1, 2025)]
    assert date_hints("Who leads the group?") == []
    assert DateHint(9).matches(dt.date(2025, 9, 4)) and not DateHint(9).matches(None)


def test_a_named_day_matches_the_day_either_side() -> None:
    sunday = DateHint(11, 30)  # "around 30 November", reported on 1 December
    assert sunday.matches(dt.date(2025, 12, 1)) and sunday.matches(dt.date(2024, 11, 29))
    assert not sunday.matches(dt.date(2025, 12, 2)) and not sunday.matches(dt.date(2025, 11, 28))
    assert DateHint(12, 31).matches(dt.date(2026, 1, 1))  # across the new year
    assert not DateHint(12, 31, 2024).matches(dt.date(2026, 1, 1))  # a named year holds
    assert not DateHint(2, 30).matches(dt.date(2025, 3, 1))  # no such day: no match
    assert not DateHint(9, 4, 2025).matches(None)
    leap = DateHint(2, 29)
    assert leap.matches(dt.date(2024, 2, 28)) and leap.matches(dt.date(2024, 3, 1))
    assert not leap.matches(dt.date(2025, 3, 1))  # no 29 February in 2025 to be near
    assert DateHint(1, 1).matches(dt.date(2025, 12, 31))  # back across the new year
    month = DateHint(9, None, 2025)  # a month gets no slack, and its year holds
    assert month.matches(dt.date(2025, 9, 30)) and not month.matches(dt.date(2025, 10, 1))
    assert not month.matches(dt.date(2024, 9, 4))


def test_near_duplicates() -> None:
    a = ScoredChunk(
        chunk_id="x::v::0",
        doc_id="x",
        title="",
        published=None,
        text="France's President Emmanuel Macron greets Ukraine's President",
        start=0,
        end=60,
    )
    same_text_elsewhere = a.model_copy(update={"chunk_id": "y::v::0", "doc_id": "y"})
    overlapping = a.model_copy(
        update={
            "chunk_id": "x::v::1",
            "start": 10,
            "end": 70,
            "text": "completely different words here to compare",
        }
    )
    distinct = a.model_copy(
        update={
            "chunk_id": "x::v::2",
            "start": 500,
            "end": 560,
            "text": "Russia launched 112 strikes overnight",
        }
    )
    assert near_duplicate(a, same_text_elsewhere)
    assert near_duplicate(a, overlapping)
    assert not near_duplicate(a, distinct)
