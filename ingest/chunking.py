"""Sentence-aware, token-aware chunks with exact character offsets into the cleaned article.

Sizes are measured with the embedding model's own tokenizer, so no chunk is ever truncated by
the embedder; each chunk is a contiguous slice ``text[start:end]`` made of whole sentences
(a sentence longer than a chunk is cut between words). Consecutive chunks share whole
sentences worth up to ``overlap`` word pieces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from rag.errors import ConfigError
from rag.protocols import TokenCounter
from rag.sentences import sentence_spans
from rag.types import Chunk


class BatchTokenCounter(TokenCounter, Protocol):
    def count_many(self, texts: list[str]) -> list[int]: ...


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int


class Chunker:
    def __init__(
        self,
        counter: BatchTokenCounter,
        llm_counter: TokenCounter,
        *,
        max_tokens: int,
        chunk_tokens: int,
        overlap: int,
    ) -> None:
        if chunk_tokens > max_tokens:
            raise ConfigError(
                f"RAG_CHUNK_TOKENS={chunk_tokens} exceeds the embedding model's limit of "
                f"{max_tokens} word pieces; lower it."
            )
        self.counter = counter
        self.llm_counter = llm_counter
        self.max_tokens = max_tokens
        self.chunk_tokens = chunk_tokens
        self.overlap = overlap

    def _units(self, text: str) -> list[_Unit]:
        spans = sentence_spans(text)
        counts = self.counter.count_many([text[s:e] for s, e in spans])
        units: list[_Unit] = []
        for (s, e), n in zip(spans, counts, strict=True):
            if n <= self.chunk_tokens:
                units.append(_Unit(s, e, n))
                continue
            # An over-long sentence is cut between words; word pieces never cross a space.
            words: list[tuple[int, int]] = []
            for m in re.finditer(r"\S+", text[s:e]):
                words.extend(self._cut_word(text, m.start() + s, m.end() + s))
            word_counts = self.counter.count_many([text[a:b] for a, b in words])
            lo, total = words[0][0], 0
            prev_end = lo
            for (a, b), k in zip(words, word_counts, strict=True):
                if total and total + k > self.chunk_tokens:
                    units.append(_Unit(lo, prev_end, total))
                    lo, total = a, 0
                total += k
                prev_end = b
            units.append(_Unit(lo, prev_end, total))
        return units

    def _cut_word(self, text: str, a: int, b: int) -> list[tuple[int, int]]:
        """Split one 'word' (a long URL, a run of symbols) that alone exceeds a chunk."""
        pieces = []
        while self.counter.count(text[a:b]) > self.chunk_tokens:
            lo, hi = a + 1, b  # binary search for the longest prefix that fits
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self.counter.count(text[a:mid]) <= self.chunk_tokens:
                    lo = mid
                else:
                    hi = mid - 1
            pieces.append((a, lo))
            a = lo
        pieces.append((a, b))
        return pieces

    def split(self, doc_id: str, version: str, text: str) -> list[Chunk]:
        units = self._units(text)
        chunks: list[Chunk] = []
        i = 0
        while i < len(units):
            j, total = i, 0
            while j < len(units) and total + units[j].tokens <= self.chunk_tokens:
                total += units[j].tokens
                j += 1
            j = max(j, i + 1)
            # Verify with the real tokenizer on the exact slice, shrinking if ever needed.
            n = self.counter.count(text[units[i].start : units[j - 1].end])
            while n > self.chunk_tokens and j - 1 > i:
                j -= 1
                n = self.counter.count(text[units[i].start : units[j - 1].end])
            start, end = units[i].start, units[j - 1].end
            chunks.append(
                Chunk(
                    chunk_id=chunk_id(doc_id, version, len(chunks)),
                    doc_id=doc_id,
                    version=version,
                    index=len(chunks),
                    text=text[start:end],
                    start=start,
                    end=end,
                    n_tokens=n,
                    n_llm_tokens=self.llm_counter.count(text[start:end]),
                )
            )
            if j >= len(units):
                break
            k, shared = j, 0
            while k - 1 > i and shared + units[k - 1].tokens <= self.overlap:
                k -= 1
                shared += units[k].tokens
            i = k
        return chunks


def chunk_id(doc_id: str, version: str, index: int) -> str:
    return f"{doc_id}::{version}::{index:04d}"
