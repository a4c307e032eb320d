"""After generation: parse [n] markers, verify each cited sentence, renumber by first use.

For each sentence of the model's answer:
* markers naming passages that were not shown are removed;
* each remaining cited passage is checked with the ``SupportChecker``;
* a sentence none of its citations support (or that cites nothing) is re-attributed to the
  shown passage that supports it best, if any does, and otherwise dropped;
so no sentence is ever shown with a citation that does not hold. Citations are then numbered
1, 2, … in order of first use, each with the exact quote and its span in the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.prompting import dateline
from rag.sentences import sentence_spans
from rag.support import SupportChecker
from rag.types import Citation, Passage

_MARKERS = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_LEADING = re.compile(r"([.!?…][\"”’)]*)\s*(\[\d+(?:\s*[,;]\s*\d+)*\])\s+(?=[a-z])")
_TRAILING = re.compile(r"([.!?…][\"”’)]*)((?:[ \t]*\[\d+(?:\s*[,;]\s*\d+)*\])+)")


@dataclass
class Claim:
    text: str  # without markers
    cited: list[int]  # passage numbers as the model wrote them


def parse_claims(answer: str) -> list[Claim]:
    """Sentences with their markers; a marker written after the full stop joins its sentence."""
    claims: list[Claim] = []
    # "It rose. [1] Then…" -> "It rose [1]. Then…": a marker belongs to the sentence it follows.
    # "… Geneva. [1] states that …": the marker opens a fragment on its own line.
    answer = _LEADING.sub(r"\1\n\2 ", answer.strip())
    answer = _TRAILING.sub(r"\2\1", answer)
    for s, e in sentence_spans(answer):
        piece = answer[s:e]
        cited = [int(n) for group in _MARKERS.findall(piece) for n in re.split(r"[,;]", group)]
        text = _MARKERS.sub("", piece).strip()
        if not re.search(r"\w", text):
            if claims:
                claims[-1].cited.extend(cited)
            elif cited:
                claims.append(Claim("", cited))  # the model only pointed at a passage
            continue
        claims.append(Claim(text, cited))
    return claims


@dataclass
class Verified:
    text: str
    citations: list[Citation]
    partial: bool
    log: list[dict[str, object]]


def _with_markers(text: str, numbers: list[int]) -> str:
    markers = "".join(f"[{n}]" for n in numbers)
    if text.endswith(("”", '"')):  # a verbatim quote: the marker goes after it
        return f"{text} {markers}"
    m = re.search(r"[.!?…]+[\"”’)]*$", text)
    if m:
        return f"{text[: m.start()]} {markers}{text[m.start() :]}"
    return f"{text} {markers}"


def verify(
    answer: str,
    passages: list[Passage],
    checker: SupportChecker,
    question: str,
    *,
    dated: bool = False,
) -> Verified:
    """``dated``: the prompt showed each passage's publication date, which may then back a
    sentence's date (never its quote)."""
    by_n = {p.n: p for p in passages}

    def context(p: Passage) -> str:
        return dateline(p.published) if dated else ""

    log: list[dict[str, object]] = []
    # (claim, [(passage n, (first, last) sentences quoted)])
    kept: list[tuple[str, list[tuple[int, tuple[int, int]]]]] = []
    dropped = 0
    for claim in parse_claims(answer):
        shown = list(dict.fromkeys(n for n in claim.cited if n in by_n))
        if not claim.text and shown:
            # Only a marker: answer with the cited passage's best sentence, quoted verbatim.
            p = by_n[shown[0]]
            top = max(range(len(p.sentences)), key=lambda i: p.sentences[i].score)
            quote = p.sentences[top].text
            kept.append((f"According to the article, “{quote}”", [(p.n, (top, top))]))
            log.append(
                {
                    "claim": "",
                    "cited": claim.cited,
                    "action": f"extractive: the model only cited passage {p.n}",
                }
            )
            continue
        if claim.text[:1].islower():
            log.append(
                {
                    "claim": claim.text,
                    "cited": claim.cited,
                    "action": "dropped: a sentence fragment",
                }
            )
            dropped += 1
            continue
        entry: dict[str, object] = {
            "claim": claim.text,
            "cited": claim.cited,
            "unseen": [n for n in claim.cited if n not in by_n],
        }
        holds = []
        for n in shown:
            sup = checker.check(
                claim.text, [s.text for s in by_n[n].sentences], question, context(by_n[n])
            )
            entry[f"passage_{n}"] = {"score": sup.score, "reasons": sup.reasons}
            if sup.supported:
                holds.append((n, (sup.first, sup.last)))
        if not holds:
            best = None
            for p in passages:
                if p.n in shown:
                    continue
                sup = checker.check(claim.text, [s.text for s in p.sentences], question, context(p))
                if sup.supported and (best is None or sup.score > best[2]):
                    best = (p.n, (sup.first, sup.last), sup.score)
            if best is not None:
                holds = [(best[0], best[1])]
                entry["action"] = f"re-attributed to passage {best[0]}"
            else:
                entry["action"] = "dropped: no shown passage supports it"
                dropped += 1
                log.append(entry)
                continue
        else:
            entry["action"] = (
                "kept" if len(holds) == len(shown) else "kept, failing citations removed"
            )
        kept.append((claim.text, holds))
        log.append(entry)

    order: dict[int, int] = {}
    quotes: dict[int, tuple[int, int]] = {}
    for _, holds in kept:
        for n, sentence in holds:
            if n not in order:
                order[n] = len(order) + 1
                quotes[n] = sentence
    text = " ".join(_with_markers(c, sorted(order[n] for n, _ in holds)) for c, holds in kept)
    citations = []
    for n, new in order.items():
        p = by_n[n]
        first, last = quotes[n]
        quote, start, end = p.span(first, last)
        s = p.sentences[first]
        citations.append(
            Citation(
                n=new,
                doc_id=p.doc_id,
                title=p.title,
                published=p.published,
                chunk_id=s.chunk_id,
                quote=quote,
                start=start,
                end=end,
            )
        )
    return Verified(text, citations, partial=dropped > 0 and bool(kept), log=log)
