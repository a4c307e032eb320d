"""Does a passage support a sentence? A documented lexical + embedding test (no NLI model ships
as a PyPI package with weights here).

A claim is supported by a passage when all of these hold:

1. numbers: every number in the claim occurs in the passage (or the question) at least as
   often (this rejects "35 out of 35" against "26 out of 35");
2. names: every capitalized name in the claim that the question did not already contain occurs
   in the passage, allowing known aliases (UK/Britain, US/United States, Türkiye/Turkey);
3. score = 0.5 * coverage + 0.5 * cosine ≥ threshold, where coverage is the share of the claim's
   content terms (stemmed, stop words removed, question terms excluded) found in the passage and
   cosine is the best MiniLM similarity between the claim and one passage sentence.

The threshold is calibrated on the dev questions (see bench/calibrate.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.protocols import Embedder
from rag.text import mentioned, names, numbers, terms


@dataclass
class Support:
    supported: bool
    score: float
    coverage: float
    cosine: float
    best: int  # index of the passage sentence that supports the claim best
    # The smallest run of adjacent sentences around ``best`` holding every name and number
    # of the claim that the passage holds: the quote a reader is shown.
    first: int = 0
    last: int = 0
    reasons: list[str] = field(default_factory=list)


class SupportChecker:
    def __init__(self, embedder: Embedder, threshold: float) -> None:
        self.embedder = embedder
        self.threshold = threshold

    def check(
        self, claim: str, sentences: list[str], question: str = "", context: str = ""
    ) -> Support:
        """``context``: what the reader was shown beside the sentences (the article's date),
        which may back numbers, names and terms but is never the quoted evidence."""
        passage = " ".join([*sentences, context])
        reasons = []
        missing_numbers = numbers(claim) - numbers(passage) - numbers(question)
        if missing_numbers:
            reasons.append(f"numbers not in passage: {sorted(missing_numbers)}")
        q_names = names(question) | {n.lower() for n in re.findall(r"\w+", question)}
        missing_names = [n for n in names(claim) if n not in q_names and not mentioned(n, passage)]
        if missing_names:
            reasons.append(f"names not in passage: {missing_names}")
        q_terms = set(terms(question))
        claim_terms = [t for t in terms(claim) if t not in q_terms]
        passage_terms = set(terms(passage))
        coverage = (
            sum(t in passage_terms for t in claim_terms) / len(claim_terms) if claim_terms else 1.0
        )
        vectors = self.embedder.embed_documents([claim, *sentences])
        cosines = vectors[1:] @ vectors[0]
        # The quote shown is the one sentence that best carries the claim: its names and
        # numbers first (a reader checks those), then its terms and meaning.
        facts = [("name", n) for n in names(claim) if n not in q_names]
        facts += [("number", n) for n in numbers(claim) if n not in numbers(question)]

        def carries(sentence: str) -> float:
            low = sentence.lower()
            found = sum(
                # A name written out beats its alias ("France" over "Paris").
                (1.0 if v in low else 0.5 * mentioned(v, sentence))
                if kind == "name"
                else float(v in numbers(sentence))
                for kind, v in facts
            )
            return found / len(facts) if facts else 0.0

        per_sentence = [
            carries(s)
            + 0.5 * (sum(t in set(terms(s)) for t in claim_terms) / max(1, len(claim_terms)))
            + 0.5 * float(c)
            for s, c in zip(sentences, cosines, strict=True)
        ]
        best = int(np.argmax(per_sentence)) if per_sentence else 0
        first, last = best, best
        if facts and sentences:
            have = [
                {f for f in facts if (mentioned(f[1], s) if f[0] == "name" else f[1] in numbers(s))}
                for s in sentences
            ]
            wanted = set().union(*have)
            covered = set(have[best])
            while covered != wanted:  # widen toward whichever side adds more
                gain_before = len(have[first - 1] - covered) if first > 0 else -1
                gain_after = len(have[last + 1] - covered) if last + 1 < len(have) else -1
                if max(gain_before, gain_after) < 0:
                    break
                if gain_after >= gain_before:
                    last += 1
                    covered |= have[last]
                else:
                    first -= 1
                    covered |= have[first]
        cosine = float(np.max(cosines)) if len(cosines) else 0.0
        score = 0.5 * coverage + 0.5 * cosine
        if score < self.threshold:
            reasons.append(f"score {score:.2f} below {self.threshold:.2f}")
        return Support(
            supported=not reasons,
            score=round(score, 4),
            coverage=round(coverage, 4),
            cosine=round(cosine, 4),
            best=best,
            first=first,
            last=last,
            reasons=reasons,
        )
