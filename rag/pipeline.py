"""``Pipeline.answer(question, ...) -> Answer``: the one path every entry point calls.

retrieve → select evidence → (abstain early) → generate → verify citations → decide → Answer,
with every stage's output, the rendered prompt, token counts and timings in ``Answer.trace``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rag.abstention import abstention_text, model_declined
from rag.citations import Verified
from rag.conversation import Turn, condense
from rag.errors import GenerationError
from rag.evidence import EvidenceSelector
from rag.generation import generate_stream
from rag.prompting import answer_messages, asks_time, retry_messages
from rag.protocols import Generator, TokenCounter
from rag.retrieval import HybridRetriever
from rag.settings import LibrarySettings
from rag.types import Answer, Citation, Filters, Passage, Trace
from rag.verification.answers import verify_answer, verify_retry
from rag.verification.asked import asked_kind
from rag.verification.verifier import ClaimVerifier


@dataclass
class Sources:
    """Retrieval and evidence are done: the numbered passages the model is about to read."""

    passages: list[Passage]
    standalone_question: str


@dataclass
class Token:
    """A piece of the raw generation: not yet verified, so never final."""

    text: str


@dataclass
class Done:
    answer: Answer


Event = Sources | Token | Done


@dataclass
class Pipeline:
    """The answer path over parts built elsewhere (``service.root`` builds them from
    ``Settings``); ``settings`` gives k, the budgets, the timeouts and the thresholds."""

    settings: LibrarySettings
    retriever: HybridRetriever
    evidence: EvidenceSelector
    verifier: ClaimVerifier
    generator: Generator
    counter: TokenCounter

    def warm_up(self) -> None:
        """Load every model now (they load lazily), so no question pays for it."""
        self.retriever.embedder.embed_query("warm up")
        load = getattr(self.generator, "load", None)
        if callable(load):
            load()

    def answer(
        self,
        question: str,
        *,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
    ) -> Answer:
        """Answer ``question``; with ``history`` (earlier turns) a follow-up is first rewritten
        into a standalone question, which retrieval and the answer prompt then use."""
        for event in self.events(question, history=history, filters=filters, k=k):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("events() always ends with Done")  # pragma: no cover

    def events(
        self,
        question: str,
        *,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
    ) -> Iterator[Event]:
        """The same path as ``answer``, as it happens: ``Sources`` (the passages the model will
        read), ``Token``s of the raw, unverified generation (not of a second draft, asked for
        after the model declined), then ``Done`` with the verified ``Answer``, whose text and
        citations are the only ones to show as final."""
        filters = filters or Filters()
        trace = Trace(
            question=question,
            standalone_question=question,
            filters=filters,
            generator=self.generator.name,
        )
        timings = trace.timings_ms

        @contextmanager
        def stage(name: str) -> Iterator[None]:
            t0 = time.perf_counter()
            yield
            timings[name] = round((time.perf_counter() - t0) * 1000, 2)

        t_start = time.perf_counter()

        def finish(answer: Answer) -> Done:
            timings["total"] = round((time.perf_counter() - t_start) * 1000, 2)
            return Done(answer)

        if history:
            with stage("condense"):
                question, how = condense(
                    self.generator, history, question, timeout_s=self.settings.llm_timeout_s
                )
            trace.standalone_question = question
            trace.condensed = how
        with stage("retrieval"):
            retrieved = self.retriever.retrieve(question, k or self.settings.retrieval_k, filters)
        trace.retrieved = retrieved.chunks
        trace.ranking = retrieved.ranking[: self.settings.trace_ranking]
        with stage("evidence"):
            passages, scored = self.evidence.select(question, retrieved)
        trace.passages = passages
        best = scored[0].score if scored else 0.0
        trace.tokens["passages"] = sum(self.counter.count(p.text) for p in passages)
        yield Sources(passages, trace.standalone_question)

        if best < self.settings.abstain_below:
            trace.decision = f"abstain: best evidence {best:.2f} < {self.settings.abstain_below}"
            yield finish(
                Answer(answer=abstention_text(retrieved.chunks), abstained=True, trace=trace)
            )
            return

        dated = asks_time(question, retrieved.hints)
        messages = answer_messages(question, passages, dated)
        trace.prompt = messages
        trace.tokens["prompt"] = sum(self.counter.count(m["content"]) for m in messages)
        pieces: list[str] = []
        t_gen = time.perf_counter()
        retried = False
        try:
            with stage("generation"):
                for piece in generate_stream(
                    self.generator,
                    messages,
                    max_tokens=self.settings.llm_max_tokens,
                    timeout_s=self.settings.llm_timeout_s,
                ):
                    pieces.append(piece)
                    yield Token(piece)
            raw = trace.raw_answer = "".join(pieces)
            trace.tokens["completion"] = self.counter.count(raw)
            if model_declined(raw) and asked_kind(question) is not None:
                # The 1.5B model declines with the answer in plain sight ("... had begun in
                # Miami." to "In which city did the talks begin?"): asked a name, number or
                # time, it is asked once more (not streamed), within the same deadline, and
                # that draft must also pass the judge as an answer.
                left = self.settings.llm_timeout_s - (time.perf_counter() - t_gen)
                retried = True
                with stage("regeneration"):
                    raw = trace.retry_answer = self._regenerate(messages, left)
                trace.tokens["retry_completion"] = self.counter.count(raw)
        except GenerationError as exc:
            trace.raw_answer = trace.raw_answer or "".join(pieces)
            trace.decision = f"fallback: {'second draft: ' if retried else ''}{exc}"
            yield finish(self._fallback(passages, trace))
            return
        if model_declined(raw) or (retried and not raw.strip()):
            trace.decision = "abstain: the model found no answer in the passages" + (
                ", asked twice" if retried else ""
            )
            yield finish(
                Answer(answer=abstention_text(retrieved.chunks), abstained=True, trace=trace)
            )
            return
        with stage("verification"):
            checked = self._verify(raw, passages, question, dated, retried=retried)
        trace.support = checked.log
        trace.decision = _decision(checked, retried)
        if not checked.citations:
            yield finish(
                Answer(answer=abstention_text(retrieved.chunks), abstained=True, trace=trace)
            )
            return
        yield finish(
            Answer(
                answer=checked.text,
                abstained=False,
                partial=checked.partial,
                quoted=checked.quoted,
                citations=checked.citations,
                trace=trace,
            )
        )

    def _regenerate(self, messages: list[dict[str, str]], timeout_s: float) -> str:
        """The second draft, within what is left of the first one's deadline."""
        if timeout_s <= 0:
            raise GenerationError("no time left for a second draft")
        return "".join(
            generate_stream(
                self.generator,
                retry_messages(messages),
                max_tokens=self.settings.llm_max_tokens,
                timeout_s=timeout_s,
            )
        )

    def _verify(
        self, raw: str, passages: list[Passage], question: str, dated: bool, *, retried: bool
    ) -> Verified:
        s = self.settings
        if retried:
            return verify_retry(
                raw,
                passages,
                self.verifier,
                question,
                dated=dated,
                threshold=s.verify_rescue_threshold,
                fragment_about=s.verify_fragment_about,
                answer_about=s.verify_answer_about,
            )
        return verify_answer(
            raw,
            passages,
            self.verifier,
            question,
            dated=dated,
            rescue_threshold=s.verify_rescue_threshold,
            fragment_about=s.verify_fragment_about,
            answer_about=s.verify_answer_about,
        )

    def _fallback(self, passages: list[Passage], trace: Trace) -> Answer:
        """The generator failed: show the best supporting quotes, flagged as such."""
        citations: list[Citation] = []
        for p in passages[:3]:
            best = max(range(len(p.sentences)), key=lambda i: p.sentences[i].score)
            citations.append(p.cite(len(citations) + 1, best, best))
        quotes = " ".join(f"“{c.quote}” [{c.n}]" for c in citations)
        text = f"The answer could not be written just now; the most relevant passages say: {quotes}"
        return Answer(answer=text, abstained=False, fallback=True, citations=citations, trace=trace)


def _decision(checked: Verified, retried: bool) -> str:
    """What the trace says was decided, from the verified draft and whether it is a second."""
    if not checked.citations:
        if not retried:
            if checked.near_miss:
                return f"abstain: a near miss ({checked.near_miss})"
            return "abstain: no sentence of the answer is supported by a passage"
        why = (
            f"a near miss ({checked.near_miss})"
            if checked.near_miss
            else f"the judge did not take it as the answer (P(yes) {checked.retry_judge:.2f})"
            if checked.retry_judge is not None
            else "no sentence of it is supported by a passage"
        )
        return f"abstain: the model declined, and its second draft was refused: {why}"
    partly = " (partially supported)" if checked.partial else ""
    if checked.quoted_judge is not None:
        return (
            "answer: the draft failed verification; an evidence sentence quoted "
            f"(judge {checked.quoted_judge:.2f})"
        )
    if retried:
        return f"answer: asked again after the model declined{partly}"
    return f"answer{partly}"
