"""Every sentence of a drafted answer through the claim verifier, before anything is shown.

For each sentence of the model's draft (``rag.citations.parse_claims``):
* a leading "Yes," / "No," is kept for a yes/no question and the rest is what gets verified;
  before any other question it answers nothing and is removed; so is a lead-in repeating
  the question's opening (``drafts.echoed_lead``);
* a sentence that only restates the question (no content word the question lacks) is not an
  answer: it is dropped, whatever it cites (unless the question is yes/no: then the asked
  statement, verified, is the answer, and the evidence decides the "Yes" or "No" before it);
* each cited passage that was shown is checked by the ``ClaimVerifier``; the question's words
  in the sentence, names aside, may be found anywhere in that passage, the rest in one
  sentence or two adjacent ones; the judge reads the passages exactly as the answer prompt
  showed them, so llama.cpp reuses that prompt; a bare fragment ("Thursday.") is checked
  structurally only, and must sit in a window that also holds most of the question's words;
* a sentence no citation supports is re-attributed to the shown passage that does, if one
  does, else dropped: no sentence is ever shown with a citation that failed.
* what survives must answer the question (``asked.py``): its cited windows together hold a
  share of the question's words (``answer_about``), and to a question asking a name (who,
  where, which city/company …), a number (how many) or a time (when, on what date) some
  sentence gives one the question lacks, and to "what did X say / how did X respond" some
  sentence is X's; else it is a near miss (true, cited, beside the point) and the question
  is refused (``Verified.near_miss`` says why).
If nothing survives verification, the draft was wrong or unverifiable, not necessarily the
evidence: the best evidence sentences that could answer are put to the judge as answers to
the question, and one it accepts is shown verbatim, flagged as a quote
(``Verified.quoted``), instead of refusing. A near miss is not rescued so, unless part of the
draft failed: the model read those passages and found nothing better. A second draft,
asked for after the model declined, is verified the same way and must also pass the judge
as the answer (``verify_retry``).
Citations are numbered by first use, each quoting the evidence window with its exact span.
"""

from __future__ import annotations

import re

from rag.citations import Verified, parse_claims, with_markers
from rag.prompting import dateline, format_passages
from rag.types import Citation, Passage
from rag.verification.asked import Asks, Cited, about, near_miss
from rag.verification.drafts import (
    YES_NO,
    common_start,
    echoed_lead,
    fragment,
    is_polar,
    polar_answer,
    restates,
)
from rag.verification.rescue import Kept, before, rescue, window
from rag.verification.types import Decision
from rag.verification.verifier import ClaimVerifier


def verify_answer(
    answer: str,
    passages: list[Passage],
    verifier: ClaimVerifier,
    question: str,
    *,
    dated: bool = False,
    rescue_threshold: float = 1.0,
    fragment_about: float = 0.5,
    answer_about: float = 0.0,
) -> Verified:
    """``rescue_threshold``: the judge's P(yes) an evidence sentence needs to be shown as the
    answer when the draft failed (1.0: never). ``fragment_about``: the share of the
    question's words a bare fragment's window must hold; ``answer_about``: the share the
    windows of the whole answer must hold together."""
    by_n = {p.n: p for p in passages}
    shown_text = format_passages(passages, dated)
    # A premise's month or weekday may be the articles' own date.
    dated_text = format_passages(passages, dated=True)
    polar = is_polar(question)
    log: list[dict[str, object]] = []
    kept: list[Kept] = []
    dropped = 0

    def check(text: str, p: Passage) -> Decision:
        context = dateline(p.published) if dated else ""
        sentences = [s.text for s in p.sentences]
        short = fragment(text)
        d = verifier.check(
            text,
            [sentences],
            judge_context=shown_text,
            cited=p.n,
            context=context,
            given=question,
            use_judge=not short,
        )
        if short and d.label == "supported":
            share = about(question, " ".join(sentences[d.first : d.last + 1]))
            if share < fragment_about:
                d.label = "not_found"
                d.reasons.append(f"fragment: its window holds {share:.2f} of the question")
        return d

    for claim in parse_claims(answer):
        shown = list(dict.fromkeys(n for n in claim.cited if n in by_n))
        entry: dict[str, object] = {
            "claim": claim.text,
            "cited": claim.cited,
            "unseen": [n for n in claim.cited if n not in by_n],
        }
        prefix = ""
        body = claim.text
        m = YES_NO.match(body)
        if m:
            if polar:
                prefix = m.group(0).strip().rstrip(",.:;") + ", "
            body = body[m.end() :]
            body = body[:1].upper() + body[1:]
        if (lead := echoed_lead(body, question, dated_text)) is not None:
            entry["lead"] = f"removed, copied from the question: {body[:lead]!r}"
            body = body[lead:].lstrip(" ,")
            body = body[:1].upper() + body[1:]
        if not body.strip() or (not claim.text and shown):
            entry["action"] = "dropped: no statement to verify"
            dropped += 1
            log.append(entry)
            continue
        if claim.text[:1].islower():
            entry["action"] = "dropped: a sentence fragment"
            dropped += 1
            log.append(entry)
            continue
        # To a yes/no question the asked statement itself is the answer, once verified.
        if not polar and restates(body, question):
            entry["action"] = "dropped: restates the question"
            dropped += 1
            log.append(entry)
            continue
        holds: list[tuple[int, tuple[int, int]]] = []
        for n in shown:
            d = check(body, by_n[n])
            entry[f"passage_{n}"] = d.model_dump(exclude={"claim"})
            if d.label == "supported":
                holds.append((n, (d.first, d.last)))
        if holds:
            entry["action"] = (
                "kept" if len(holds) == len(shown) else "kept, failing citations removed"
            )
        else:
            for p in passages:
                if p.n in shown:
                    continue
                d = check(body, p)
                entry[f"passage_{p.n}"] = d.model_dump(exclude={"claim"})
                if d.label == "supported":
                    holds = [(p.n, (d.first, d.last))]
                    entry["action"] = f"re-attributed to passage {p.n}"
                    break
        if not holds:
            entry["action"] = "dropped: no shown passage supports it"
            dropped += 1
            log.append(entry)
            continue
        if polar and not kept:
            # The evidence decides yes or no, not the draft's first word.
            word = polar_answer(question, body)
            if prefix and prefix.split(",")[0].lower() != word.lower():
                entry["yes_no"] = f"{prefix.split(',')[0]} corrected to {word}"
            prefix = f"{word}, "
            body = body[:1].lower() + body[1:] if common_start(body) else body
        kept.append(Kept(prefix + body, holds))
        log.append(entry)

    # A near miss: true, cited sentences near the topic that do not answer what was asked.
    # The model read these passages and wrote its best answer; when all of it verifies but
    # is not an answer, no evidence sentence is quoted in its place: the articles lack it.
    # (When part of the draft failed, the model may have written the answer there.)
    asks = Asks.of(question, [p.text for p in passages])
    near: str | None = None
    if kept:
        cited = [
            Cited(k.text, window(by_n[n], a, b), before(by_n[n], a))
            for k in kept
            for n, (a, b) in k.holds
        ]
        if near := near_miss(question, cited, asks, answer_about):
            log.append({"action": f"dropped all: {near}"})
    rescuable = not kept or (near is not None and dropped > 0)
    if near:
        kept = []
    quoted_judge = None
    if rescuable and answer.strip():
        rescued = rescue(passages, verifier, question, shown_text, rescue_threshold, log, asks)
        if rescued is not None:
            quoted_judge, kept = rescued[0], [rescued[1]]

    text, citations, cited_passages = _cited(kept, by_n)
    partial = dropped > 0 and bool(kept) and quoted_judge is None
    return Verified(
        text,
        citations,
        partial=partial,
        log=log,
        quoted_judge=quoted_judge,
        near_miss=near,
        cited_passages=cited_passages,
    )


def verify_retry(
    draft: str,
    passages: list[Passage],
    verifier: ClaimVerifier,
    question: str,
    *,
    dated: bool = False,
    threshold: float = 1.0,
    fragment_about: float = 0.5,
    answer_about: float = 0.0,
) -> Verified:
    """A second draft, written after the model declined: verified as any draft (no quote in
    its place), then kept only if the judge takes it as the answer (P(yes) >= ``threshold``).
    The model had found nothing, so a verified sentence on the topic is not enough ("The
    Paris summit was held in September 2025." to "In which month did Trump host Putin?")."""
    checked = verify_answer(
        draft,
        passages,
        verifier,
        question,
        dated=dated,
        fragment_about=fragment_about,
        answer_about=answer_about,
    )
    if not checked.citations:
        return checked
    first = checked.cited_passages[0]
    plain = re.sub(r"\s*\[\d+\]", "", checked.text)
    p_yes = verifier.answers(format_passages(passages, dated), question, plain, first)
    checked.log.append({"retry": plain, "passage": first, "judge": p_yes})
    if p_yes is None or p_yes < threshold:
        return Verified("", [], partial=False, log=checked.log, retry_judge=p_yes)
    checked.retry_judge = p_yes
    return checked


def _cited(kept: list[Kept], by_n: dict[int, Passage]) -> tuple[str, list[Citation], list[int]]:
    """The kept sentences with their markers, and the citations numbered by first use, each
    quoting its evidence window with the exact span."""
    order: dict[int, int] = {}
    quotes: dict[int, tuple[int, int]] = {}
    for k in kept:
        for n, (a, b) in k.holds:
            if n not in order:
                order[n] = len(order) + 1
                quotes[n] = (a, b)
            else:  # two sentences backed by one passage: its quote spans both windows
                quotes[n] = (min(quotes[n][0], a), max(quotes[n][1], b))
    text = " ".join(with_markers(k.text, sorted(order[n] for n, _ in k.holds)) for k in kept)
    return text, [by_n[n].cite(new, *quotes[n]) for n, new in order.items()], list(order)
