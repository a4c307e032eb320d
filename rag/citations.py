"""After generation: parse [n] markers; ``rag.verification.answers`` verifies each sentence and
renumbers citations by first use.

Markers written after a full stop join the sentence they follow; a marker with no sentence
(the model only pointed at a passage) becomes a claim with empty text, which verifies nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.sentences import sentence_spans
from rag.types import Citation

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
    # The draft failed and the text is an evidence sentence, verbatim: the judge's P(yes)
    # that it answers the question (None: not quoted).
    quoted_judge: float | None = None
    # Verified sentences that do not answer the question (rag.verification.asked): why.
    near_miss: str | None = None
    # A second draft's P(yes) as the answer, from the judge (``verify_retry``).
    retry_judge: float | None = None
    # The shown passage's number behind each citation, in the citations' order.
    cited_passages: list[int] = field(default_factory=list)

    @property
    def quoted(self) -> bool:
        return self.quoted_judge is not None


def with_markers(text: str, numbers: list[int]) -> str:
    markers = "".join(f"[{n}]" for n in numbers)
    if text.endswith(("”", '"')):  # a verbatim quote: the marker goes after it
        return f"{text} {markers}"
    m = re.search(r"[.!?…]+[\"”’)]*$", text)
    if m:
        return f"{text[: m.start()]} {markers}{text[m.start() :]}"
    return f"{text} {markers}"
