"""When the whole draft fails verification: the evidence sentence the judge takes as the
answer, quoted verbatim, instead of a refusal. Only sentences that could answer (``Asks``: the
name, number or time asked, the asked person's words) are put to the judge, the best
``RESCUE_CANDIDATES`` by evidence score."""

from __future__ import annotations

from dataclasses import dataclass

from rag.types import Passage
from rag.verification.asked import Asks
from rag.verification.drafts import is_polar, polar_answer
from rag.verification.verifier import ClaimVerifier

# Evidence sentences put to the judge when the whole draft failed.
RESCUE_CANDIDATES = 3


@dataclass
class Kept:
    """A sentence to show and the windows that back it."""

    text: str
    holds: list[tuple[int, tuple[int, int]]]  # (passage n, (first, last) sentence)


def window(p: Passage, first: int, last: int) -> str:
    """Sentences ``first`` to ``last`` of the passage, as one text."""
    return " ".join(s.text for s in p.sentences[first : last + 1])


def before(p: Passage, first: int) -> tuple[str, ...]:
    """The passage's two sentences before sentence ``first``: who "he" is."""
    return tuple(s.text for s in p.sentences[max(first - 2, 0) : first])


def rescue(
    passages: list[Passage],
    verifier: ClaimVerifier,
    question: str,
    shown_text: str,
    threshold: float,
    log: list[dict[str, object]],
    asks: Asks,
) -> tuple[float, Kept] | None:
    """The best evidence sentence the judge accepts as the answer, quoted verbatim, with the
    judge's P(yes). Only sentences that could answer (``asks``) are put to the judge."""
    if threshold >= 1.0:
        return None
    ranked = sorted(
        (
            (p, i)
            for p in passages
            for i in range(len(p.sentences))
            if asks.could_answer(question, p.sentences[i].text, before(p, i))
        ),
        key=lambda pi: -pi[0].sentences[pi[1]].score,
    )[:RESCUE_CANDIDATES]
    best: tuple[float, Passage, int] | None = None
    for p, i in ranked:
        sentence = p.sentences[i].text
        p_yes = verifier.answers(shown_text, question, sentence, p.n)
        log.append({"rescue": sentence, "passage": p.n, "judge": p_yes})
        if p_yes is not None and p_yes >= threshold and (best is None or p_yes > best[0]):
            best = (p_yes, p, i)
    if best is None:
        return None
    p_yes, p, i = best
    log.append({"action": f"quoted passage {p.n}, sentence {i}"})
    # The sentence alone, as the article has it: ``quoted`` tells the reader it is a quote;
    # to a yes/no question, after the Yes or No the sentence decides.
    sentence = p.sentences[i].text
    polar = f"{polar_answer(question, sentence)}: " if is_polar(question) else ""
    return p_yes, Kept(f"{polar}“{sentence}”", [(p.n, (i, i))])
