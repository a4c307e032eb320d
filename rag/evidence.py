"""Pick the sentences that matter from the retrieved chunks, within a token budget.

The small embedded LLM reads prompts at ~100 tokens/s, so it sees a handful of sentences, not
whole chunks. Sentences are scored by cosine to the question (MiniLM) plus a small bonus for
question terms they contain; duplicates (overlapping chunks, repeated captions) are shown once;
adjacent chosen sentences of one article form one numbered passage. Sentences that address
the model rather than the reader (injected instructions, see ``rag.injection``) are never shown.
"""

from __future__ import annotations

import re

import numpy as np

from rag.injection import is_instruction
from rag.protocols import Embedder, TokenCounter
from rag.retrieval import Retrieved
from rag.sentences import sentence_spans
from rag.text import terms, words
from rag.types import Passage, ScoredChunk, Sentence


def _is_heading(text: str) -> bool:
    return len(text.split()) <= 8 and not re.search(r"[.!?…:\"”’]$", text)


class EvidenceSelector:
    def __init__(
        self,
        embedder: Embedder,
        counter: TokenCounter,
        *,
        budget_tokens: int,
        max_sentences: int,
        min_sentences: int = 1,
        max_gap: float = 0.2,
    ) -> None:
        self.embedder = embedder
        self.counter = counter
        self.budget_tokens = budget_tokens
        self.max_sentences = max_sentences
        self.min_sentences = min_sentences
        self.max_gap = max_gap
        # Sentence vectors keyed by (chunk id, start): chunk ids embed the article version.
        self._cache: dict[tuple[str, int], np.ndarray] = {}

    def sentences(self, chunks: list[ScoredChunk]) -> list[tuple[Sentence, int, int]]:
        """(sentence, chunk rank, index within its article) for every unique sentence."""
        seen_spans: set[tuple[str, int]] = set()
        seen_text: set[str] = set()
        out = []
        self._next: dict[tuple[str, int], Sentence] = {}
        for rank, chunk in enumerate(chunks):
            previous: Sentence | None = None
            for s, e in sentence_spans(chunk.text):
                start = chunk.start + s
                key = (chunk.doc_id, start)
                norm = " ".join(words(chunk.text[s:e]))
                sentence = Sentence(
                    doc_id=chunk.doc_id,
                    chunk_id=chunk.chunk_id,
                    text=chunk.text[s:e],
                    start=start,
                    end=chunk.start + e,
                    score=0.0,
                )
                if is_instruction(sentence.text):
                    continue  # untrusted text aimed at the model: never shown, not even as context
                if previous is not None:
                    self._next.setdefault((previous.doc_id, previous.start), sentence)
                previous = sentence
                if key in seen_spans or norm in seen_text or not norm:
                    continue
                seen_spans.add(key)
                seen_text.add(norm)
                out.append((sentence, rank, start))
        return out

    def _vectors(self, items: list[tuple[Sentence, int, int]]) -> np.ndarray:
        todo = [s for s, _, _ in items if (s.chunk_id, s.start) not in self._cache]
        if todo:
            for s, v in zip(
                todo, self.embedder.embed_documents([s.text for s in todo]), strict=True
            ):
                self._cache[(s.chunk_id, s.start)] = v
        return np.stack([self._cache[(s.chunk_id, s.start)] for s, _, _ in items])

    def select(self, question: str, retrieved: Retrieved) -> tuple[list[Passage], list[Sentence]]:
        """The passages to show, and every candidate sentence with its score (for the trace)."""
        items = self.sentences(retrieved.chunks)
        if not items:
            return [], []
        cosines = self._vectors(items) @ retrieved.query_vector
        q_terms = set(terms(question))
        dated = {
            c.doc_id
            for c in retrieved.chunks
            if any(h.matches(c.published) for h in retrieved.hints)
        }
        scored = []
        for (sentence, rank, _), cos in zip(items, cosines, strict=True):
            s_terms = set(terms(sentence.text))
            overlap = len(q_terms & s_terms) / max(1, len(q_terms))
            bonus = 0.05 if sentence.doc_id in dated else 0.0
            score = float(cos) + 0.15 * overlap - 0.01 * rank + bonus
            scored.append(sentence.model_copy(update={"score": round(score, 4)}))
        ranked = sorted(scored, key=lambda s: -s.score)
        chosen: dict[tuple[str, int], Sentence] = {}
        used = 0

        def take(s: Sentence) -> bool:
            nonlocal used
            cost = self.counter.count(s.text)
            if (s.doc_id, s.start) in chosen or (chosen and used + cost > self.budget_tokens):
                return False
            chosen[(s.doc_id, s.start)] = s
            used += cost
            return True

        primaries: list[Sentence] = []
        for s in ranked:
            # Far below the best sentence is noise, but only past the first few: a question
            # whose words one sentence echoes closely ("... joined by Marco Rubio") would
            # otherwise be shown that sentence alone, not the one that answers it.
            if len(primaries) == self.max_sentences or (
                len(primaries) >= self.min_sentences and s.score < ranked[0].score - self.max_gap
            ):
                break
            # A heading says what follows: show the sentence after it instead.
            follower = self._next.get((s.doc_id, s.start))
            if _is_heading(s.text) and follower is not None:
                s = follower.model_copy(update={"score": s.score})
            if take(s):
                primaries.append(s)
        # Spend what budget is left on the sentence after each chosen one: answers often sit
        # right after the sentence that matches the question best.
        for s in primaries:
            follower = self._next.get((s.doc_id, s.start))
            if follower is not None:
                take(follower.model_copy(update={"score": s.score - 0.01}))
        return self._passages(list(chosen.values()), retrieved.chunks), ranked

    def _passages(self, chosen: list[Sentence], chunks: list[ScoredChunk]) -> list[Passage]:
        meta = {c.doc_id: c for c in chunks}
        by_doc: dict[str, list[Sentence]] = {}
        for s in sorted(chosen, key=lambda s: (s.doc_id, s.start)):
            by_doc.setdefault(s.doc_id, []).append(s)
        groups: list[list[Sentence]] = []
        gaps: dict[int, list[str]] = {}  # id(group) -> whitespace between its sentences
        for doc_sentences in by_doc.values():
            group = [doc_sentences[0]]
            gaps[id(group)] = []
            for s in doc_sentences[1:]:
                # Adjacent: only whitespace between them in the article.
                chunk = next((c for c in chunks if c.chunk_id == group[-1].chunk_id), None)
                gap = (
                    chunk.text[group[-1].end - chunk.start : s.start - chunk.start]
                    if chunk and chunk.start <= s.start <= chunk.end
                    else "x"
                )
                if s.start >= group[-1].end and not gap.strip():
                    group.append(s)
                    gaps[id(group)].append(gap)
                else:
                    groups.append(group)
                    group = [s]
                    gaps[id(group)] = []
            groups.append(group)
        groups.sort(key=lambda g: -max(s.score for s in g))
        return [
            Passage(
                n=i,
                doc_id=g[0].doc_id,
                chunk_id=g[0].chunk_id,
                title=meta[g[0].doc_id].title,
                published=meta[g[0].doc_id].published,
                sentences=g,
                gaps=gaps[id(g)],
            )
            for i, g in enumerate(groups, start=1)
        ]
