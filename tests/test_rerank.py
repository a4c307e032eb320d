"""The second stage and the fusion's scaling, on small hand-made chunks (no models)."""

from __future__ import annotations

import math
import threading

from rag.lexical import LexicalIndex
from rag.rerank import ProximityReranker
from rag.retrieval import _scaled
from rag.text import tokenize
from tests.conftest import bm25_params
from tests.conftest import scored_chunk as chunk

ANSWER = chunk(
    "answer",
    "The storm reached the coast on Monday. Officials said the harbour in Brest was closed. "
    "Ferries stayed in port.",
    fused=0.0,
)
SCATTERED = chunk(
    "scattered",
    "The harbour authority met on Friday. Trade figures were published. Fishing quotas rose. "
    "Tourism fell. Later, a storm warning was issued for Brest.",
    fused=0.1,  # fusion put it first
)
FILLER = [
    chunk(f"f{i}", f"Markets rose in week {i}. Analysts expected more gains.", fused=0.0)
    for i in range(8)
]


def test_the_passage_holding_the_question_together_overtakes_a_scattered_one() -> None:
    index = LexicalIndex.build([ANSWER, SCATTERED, *FILLER], bm25_params())
    ranked = [c.model_copy(deep=True) for c in (SCATTERED, ANSWER, *FILLER[:2])]
    out = ProximityReranker(weight=0.5).rerank(
        "Why was the harbour in Brest closed?", ranked, index
    )
    assert [c.doc_id for c in out[:2]] == ["answer", "scattered"]
    assert sorted(c.chunk_id for c in out) == sorted(c.chunk_id for c in ranked)  # none lost
    answer, scattered = out[0].scores, out[1].scores
    assert answer["proximity"] == 1.0  # harbour, Brest, closed: all within two sentences
    assert 0 < scattered["proximity"] < 1
    assert answer["final"] == answer["fused"] + 0.5 * answer["proximity"]
    assert out[2].scores["proximity"] == 0.0


def test_the_question_words_are_weighed_as_the_index_params_say() -> None:
    # "were" (in the scattered chunk) and "more" (in the filler) are NLTK stop words only
    shares = {}
    for stop in ("lucene", "nltk"):
        index = LexicalIndex.build([ANSWER, SCATTERED, *FILLER], bm25_params(query_stopwords=stop))
        out = ProximityReranker(weight=0.5).rerank(
            "Were more harbours closed in Brest?", [ANSWER.model_copy(deep=True)], index
        )
        shares[stop] = out[0].scores["proximity"]
    assert shares["nltk"] == 1.0 and shares["lucene"] < 0.7


def test_weight_zero_keeps_the_fused_order_and_idf_weighs_rare_terms() -> None:
    index = LexicalIndex.build([ANSWER, SCATTERED, *FILLER], bm25_params())
    ranked = [c.model_copy(deep=True) for c in (SCATTERED, ANSWER)]
    out = ProximityReranker(weight=0.0).rerank("harbour Brest closed", ranked, index)
    assert [c.doc_id for c in out] == ["scattered", "answer"]
    closed, harbour, nowhere = (stems[0] for stems in tokenize(["closed", "harbour", "nowhere"]))
    assert index.idf(closed) > index.idf(harbour)  # 1 chunk holds it, against 2
    assert index.idf(nowhere) == 0.0
    n, df = 10, 2
    assert math.isclose(index.idf(harbour), math.log(1 + (n - df + 0.5) / (df + 0.5)))


def test_the_stem_cache_survives_being_replaced_under_concurrent_readers() -> None:
    reranker = ProximityReranker(weight=0.5, cache_size=5)  # every call overflows it
    index = LexicalIndex.build([ANSWER, SCATTERED, *FILLER], bm25_params())
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            for _ in range(50):
                ranked = [c.model_copy(deep=True) for c in (ANSWER, SCATTERED, *FILLER)]
                out = reranker.rerank("harbour Brest closed", ranked, index)
                assert out[0].doc_id == "answer"
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_scaling_keeps_bm25_ratios_and_spreads_cosines() -> None:
    bm25 = [chunk("a", "x", bm25=8.0), chunk("b", "x", bm25=2.0)]
    assert _scaled("bm25", bm25) == [1.0, 0.25]  # from BM25's floor 0, not its minimum
    dense = [chunk("a", "x", dense=0.6), chunk("b", "x", dense=0.5), chunk("c", "x", dense=0.4)]
    assert [round(v, 6) for v in _scaled("dense", dense)] == [1.0, 0.5, 0.0]
    assert _scaled("dense", [chunk("a", "x", dense=0.3)]) == [1.0]  # one hit: full marks
    assert _scaled("bm25", []) == []
