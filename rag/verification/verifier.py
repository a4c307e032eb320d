"""``ClaimVerifier.check(claim, passages) -> Decision``: the one verification mechanism, used
by the answer path (each sentence against the passage it cites) and by ``verify`` (a user's
statement against the passages retrieval finds for it).

1. align: every window of one sentence or two adjacent sentences of every passage is checked
   structurally (``checks.py``); windows that account for the whole claim with no flag are
   candidates, best coverage then MiniLM cosine first;
2. judge: the packaged LLM is asked whether the passage states the claim (P(yes) from its
   next-token log-probabilities) for the best candidate; below the threshold it fails;
3. label: supported; else contradicted when the best-aligned window says the opposite
   (polarity, antonym, another number for the same thing, swapped roles); else not_found.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from rag.errors import GenerationError
from rag.verification.analysis import Text, analyse, name_vocabulary
from rag.verification.checks import WindowCheck, check_window, synonyms
from rag.verification.judge import Judge
from rag.verification.roles import misquoted, referents, speaker_names
from rag.verification.types import Decision
from rag.verification.unstated import unstated


@dataclass(frozen=True)
class _Window:
    passage: int
    first: int
    last: int
    text: str


class ClaimVerifier:
    def __init__(
        self,
        judge: Judge | None = None,
        *,
        soft_match: float,
        min_coverage: float,
        judge_threshold: float,
        contradiction_coverage: float,
    ) -> None:
        self.judge = judge
        self.soft_match = soft_match
        self.min_coverage = min_coverage
        self.judge_threshold = judge_threshold
        self.contradiction_coverage = contradiction_coverage
        self._texts: dict[str, Text] = {}

    @staticmethod
    def _similar(a: Sequence[str], b: Sequence[str]) -> list[list[float]]:
        return [[1.0 if synonyms(x, y) else 0.0 for y in b] for x in a]

    def _analyse(self, text: str) -> Text:
        if text not in self._texts:
            if len(self._texts) > 20_000:
                self._texts = {}
            self._texts[text] = analyse(text)
        return self._texts[text]

    def check(
        self,
        claim: str,
        passages: Sequence[Sequence[str]],
        *,
        judge_context: str | None = None,
        cited: int | None = None,
        context: str = "",
        given: str = "",
        use_judge: bool = True,
    ) -> Decision:
        """``passages``: each a list of sentences. ``judge_context``: the passages as the
        model was shown them (so the judge reuses the answer prompt's cached prefix); without
        it the judge reads the chosen passage alone. ``cited``: the passage number the claim
        cites, named to the judge. ``context``: what the reader saw beside the passage (its
        date line), which may account for a claim's words but is never quoted. ``given``: the
        question an answer sentence answers; the claim's words from it may be found anywhere
        in the passage, not only in the window. ``use_judge``: False where the judge's answer
        is measured to carry no signal (a bare fragment: P(yes) near 0.5)."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        ct = self._analyse(claim)
        if not ct.content:
            return Decision(claim=claim, label="not_found", reasons=["no content words"])
        why = unstated(ct)
        if why:
            return Decision(claim=claim, label="not_found", reasons=[why])
        windows = [
            _Window(p, i, j, " ".join(sents[i : j + 1]))
            for p, sents in enumerate(passages)
            for i in range(len(sents))
            for j in (i, i + 1)
            if j < len(sents)
        ]
        if not windows:
            return Decision(claim=claim, label="not_found", reasons=["no evidence"])
        analysed = [self._analyse(" ".join(p)) for p in passages]
        names = name_vocabulary(analysed) | speaker_names(ct)
        texts = [self._analyse(f"{w.text} {context}".strip()) for w in windows]
        asked_words = self._analyse(given).content if given else []
        asked = {x.stem for x in asked_words}
        # Names are never excused from the window: who does what is the window's to say
        # ("Trump responded ..." is not backed by von der Leyen's words and a Trump elsewhere).
        plain = {x.stem for x in asked_words if not x.name}
        held = [{x.stem for x in t.words} for t in analysed]
        seen = frozenset(x.low for t in analysed for x in t.words)
        checks = [
            check_window(
                ct,
                t,
                self._similar,
                self.soft_match,
                names,
                frozenset(plain & held[w.passage]),
                self._referents(passages[w.passage], w.first),
                seen,
            )
            for w, t in zip(windows, texts, strict=True)
        ]
        timings["align"] = _ms(t0)
        # Best: most of the claim accounted for; among equals an unvetoed, tighter window.
        # A vetoed window that accounts for more of the claim than any other decides.
        density = [
            len(c.matched) / max(1, len(t.content)) for c, t in zip(checks, texts, strict=False)
        ]
        # With a question, among equals the window that holds more of it: "Thursday" answers
        # the sentence about the announcement, not another that happens to say Thursday.
        topical = [len(asked & {x.stem for x in t.words}) for t in texts]
        order = sorted(
            range(len(windows)),
            key=lambda k: (
                round(checks[k].coverage, 3),
                not checks[k].vetoed,
                topical[k],
                density[k],
            ),
            reverse=True,
        )
        best = order[0]
        w, c = windows[best], checks[best]
        if w.first != w.last and not c.vetoed:
            self._pair_attribution(ct, windows, checks, texts, best)
        decision = Decision(
            claim=claim,
            label="not_found",
            passage=w.passage,
            first=w.first,
            last=w.last,
            coverage=round(c.coverage, 4),
            density=round(density[best], 4),
            windows=len(windows),
            reasons=_reasons(c),
            timings_ms=timings,
        )
        if c.vetoed:
            if c.contradicts and c.coverage >= self.contradiction_coverage:
                decision.label = "contradicted"
            timings["total"] = _ms(t0)
            decision.timings_ms = timings  # pydantic copied the dict when the model was built
            return decision
        # An answer's own words, those the question lacks, are what it asserts: they must be
        # covered as a claim's are, not carried by the question's words around them ("Trump
        # responded to the post by calling her" is not backed by a passage on the post).
        own = [x for x in ct.content if x.stem not in asked] if given else []
        own_coverage = sum(x.i in c.matched for x in own) / len(own) if own else 1.0
        judged = self.judge is not None and use_judge
        failed = True
        if c.coverage < self.min_coverage:
            decision.reasons.append(f"coverage {c.coverage:.2f} below {self.min_coverage:.2f}")
        elif own_coverage < self.min_coverage:
            decision.reasons.append(
                f"coverage of the answer's own words {own_coverage:.2f} below "
                f"{self.min_coverage:.2f}"
            )
        elif not judged and any(how == "spelling" for _, how in c.matched.values()):
            # A name matched by its sound alone (Kornelius/Cornelius) stands only if the
            # judge, reading both spellings, agrees.
            decision.reasons.append("spelling: a name spelt otherwise needs the judge")
        elif judged and self.judge is not None:
            t1 = time.perf_counter()
            # The window itself, as short as the judgement allows (every token is ~12 ms of
            # prompt reading on 2 cores); in the answer path the shown passages, cached.
            shown = judge_context or w.text
            try:
                p_yes = self.judge.probability(shown, claim, cited=cited)
            except GenerationError as exc:
                # No judgement is no support: the sentence is not shown as verified.
                p_yes = 0.0
                decision.reasons.append(f"judge: failed ({exc})")
            timings["judge"] = _ms(t1)
            decision.judge = round(p_yes, 4)
            failed = p_yes < self.judge_threshold
            if failed:
                decision.reasons.append(
                    f"judge: P(yes) {p_yes:.2f} below {self.judge_threshold:.2f}"
                )
        else:
            failed = False  # no judge asked for: the structural checks decide
        if not failed:
            decision.label = "supported"
        timings["total"] = _ms(t0)
        decision.timings_ms = timings  # pydantic copied the dict when the model was built
        return decision

    @staticmethod
    def _pair_attribution(
        ct: Text,
        windows: list[_Window],
        checks: list[WindowCheck],
        texts: list[Text],
        best: int,
    ) -> None:
        """A two-sentence window backs a claim's speaker only if the sentence that holds
        more of the claim quotes that speaker (or no one)."""
        w = windows[best]
        singles = [
            k
            for k, x in enumerate(windows)
            if x.passage == w.passage and x.first == x.last and x.first in (w.first, w.last)
        ]
        ranked = sorted(singles, key=lambda k: checks[k].coverage, reverse=True)
        if len(ranked) == 2 and checks[ranked[0]].coverage > checks[ranked[1]].coverage:
            flag = misquoted(ct, texts[ranked[0]])
            if flag:
                checks[best].flags.append(flag)
                checks[best].contradicts.append(flag)

    def _referents(self, sentences: Sequence[str], first: int) -> frozenset[str]:
        before = [self._analyse(x) for x in sentences[max(0, first - 2) : first]]
        return referents(before) if before else frozenset()

    def answers(self, judge_context: str, question: str, sentence: str, cited: int) -> float | None:
        """P(yes) from the judge that ``sentence`` of passage ``cited`` answers ``question``
        (None without a judge)."""
        if self.judge is None:
            return None
        try:
            return self.judge.answers(judge_context, question, sentence, cited=cited)
        except GenerationError:
            return None  # no judgement: nothing is quoted as the answer


def _reasons(c: WindowCheck) -> list[str]:
    out = list(c.flags)
    if c.unmatched:
        out.append(f"unmatched: {', '.join(c.unmatched)}")
    return out


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


def verify_support(
    verifier: ClaimVerifier, claim: str, evidence: list[str], question: str = "", context: str = ""
) -> bool:
    """Structurally, do these evidence sentences support the answer sentence ``claim`` to
    ``question``? The LLM judge is left out: it already passed
    each shown sentence, and eval re-checks quotes with this many times per answer."""
    decision = verifier.check(claim, [evidence], given=question, context=context, use_judge=False)
    return decision.label == "supported"
