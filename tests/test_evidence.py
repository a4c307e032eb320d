"""Evidence selection's rules with a table for an embedder (the unit under test is the
selection, not MiniLM): which sentences the model is shown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.evidence import EvidenceSelector
from rag.retrieval import Retrieved
from rag.types import ScoredChunk

# Cosine of each sentence to the question: one close echo of the question's words, then the
# sentence that answers it well below.
# In article order; the first is far below and follows no shown sentence.
SCORES = {
    "Lunch was served.": 0.1,
    "Rubio took part in the video call.": 0.9,
    "The group meets monthly.": 0.62,
    "The group includes around 30 countries.": 0.6,
}


class TableEmbedder:
    """Vectors whose dot product with the query vector [1, 0] is the table's score."""

    def embed_documents(self, texts: Sequence[str]) -> Any:
        return np.array([[SCORES[t], np.sqrt(1 - SCORES[t] ** 2)] for t in texts])


class WordCounter:
    def count(self, text: str) -> int:
        return len(text.split())


def retrieved() -> Retrieved:
    text = " ".join(SCORES)
    chunk = ScoredChunk(
        chunk_id="c1", doc_id="d1", title="T", published=None, text=text, start=0, end=len(text)
    )
    return Retrieved(chunks=[chunk], ranking=[chunk], query_vector=np.array([1.0, 0.0]), hints=[])


def selector_with(min_sentences: int) -> EvidenceSelector:
    return EvidenceSelector(
        TableEmbedder(),  # type: ignore[arg-type]
        WordCounter(),
        budget_tokens=200,
        max_sentences=5,
        min_sentences=min_sentences,
    )


def shown(selector: EvidenceSelector) -> list[str]:
    passages, _ = selector.select("How many countries are in the group Rubio joined?", retrieved())
    return [s.text for p in passages for s in p.sentences]


def test_a_close_echo_of_the_question_does_not_crowd_out_the_answer() -> None:
    selector = selector_with(min_sentences=3)
    assert "The group includes around 30 countries." in shown(selector)
    assert "Lunch was served." not in shown(selector)  # past the first three, the gap trims


def test_with_one_sentence_guaranteed_the_gap_alone_decides() -> None:
    selector = selector_with(min_sentences=1)
    assert "The group includes around 30 countries." not in shown(selector)
