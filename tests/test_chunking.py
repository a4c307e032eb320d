"""Chunks: bounded by the embedder's own tokenizer, exact offsets, whole sentences, overlap."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ingest.chunking import Chunker
from ingest.loaders import load_directory
from ingest.sync import build_article
from rag.models.embedder import SentenceTransformerEmbedder
from rag.models.tokens import TiktokenCounter
from rag.sentences import sentence_spans
from rag.types import Article
from service.root import build_chunker
from service.settings import Settings
from tests.conftest import DATA


def _articles() -> list[Article]:
    out = [build_article(raw) for raw in load_directory(DATA).documents]
    return [a for a in out if a is not None]


@pytest.fixture(scope="module")
def chunker(embedder: SentenceTransformerEmbedder, cache_dir: Path) -> Chunker:
    return build_chunker(Settings(cache_dir=cache_dir, _env_file=None), embedder)  # type: ignore[call-arg]


def _model_length(embedder: SentenceTransformerEmbedder, text: str) -> int:
    """Length as the SentenceTransformer itself tokenizes it, specials included."""
    return len(embedder._load().tokenizer(text)["input_ids"])


def test_real_articles_chunk_within_model_limit_with_exact_offsets(
    chunker: Chunker, embedder: SentenceTransformerEmbedder
) -> None:
    total = overlaps = 0
    for article in _articles():
        chunks = chunker.split(article.doc_id, "v1", article.text)
        assert chunks, article.doc_id
        for c in chunks:
            assert c.text == article.text[c.start : c.end]
            assert c.n_tokens <= chunker.chunk_tokens
            assert _model_length(embedder, c.text) <= embedder._load().max_seq_length
            assert c.n_tokens + 2 == _model_length(embedder, c.text)
            assert c.n_llm_tokens > 0
        # Consecutive chunks overlap by whole sentences (or, when the boundary sentence is
        # longer than the overlap, meet with only whitespace between): nothing is left out.
        for a, b in itertools.pairwise(chunks):
            assert b.start <= a.end or not article.text[a.end : b.start].strip()
            overlaps += b.start < a.end
        assert chunks[0].start == 0 and chunks[-1].end == len(article.text)
        assert [c.index for c in chunks] == list(range(len(chunks)))
        total += len(chunks)
    assert 15 <= total <= 40
    assert overlaps >= total - 2 * len(_articles())


def test_chunks_start_and_end_on_sentence_boundaries(chunker: Chunker) -> None:
    article = next(a for a in _articles() if a.doc_id.startswith("001"))
    spans = sentence_spans(article.text)
    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    for c in chunker.split(article.doc_id, "v", article.text):
        assert c.start in starts and c.end in ends


def test_overlong_sentence_and_word_are_cut_within_bound(
    chunker: Chunker, embedder: SentenceTransformerEmbedder
) -> None:
    long_sentence = " ".join(f"word{i}" for i in range(900)) + "."
    giant_word = "-" * 600  # 600 word pieces: one "word" longer than a chunk
    text = f"Short opening sentence. {long_sentence}\n\n{giant_word}\n\nA closing sentence."
    chunks = chunker.split("doc", "v", text)
    for c in chunks:
        assert c.text == text[c.start : c.end]
        assert _model_length(embedder, c.text) <= 256
    covered = "".join(text[c.start : c.end] for c in chunks)
    assert "word899." in covered and giant_word[:100] in covered and covered.endswith("sentence.")


def test_chunk_size_above_model_limit_is_refused(
    embedder: SentenceTransformerEmbedder, cache_dir: Path
) -> None:
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match="exceeds the embedding model's limit of 254"):
        Chunker(
            embedder.tokens,
            TiktokenCounter(cache_dir),
            max_tokens=254,
            chunk_tokens=300,
            overlap=10,
        )


def test_sentence_spans_respect_abbreviations() -> None:
    text = "Mr. Macron met U.S. envoys on Monday. They talked.\nA new line! And more?"
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == [
        "Mr. Macron met U.S. envoys on Monday.",
        "They talked.",
        "A new line!",
        "And more?",
    ]


def test_settings_reject_overlap_not_below_size() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="chunk_overlap"):
        Settings(chunk_tokens=50, chunk_overlap=50, _env_file=None)  # type: ignore[call-arg]
