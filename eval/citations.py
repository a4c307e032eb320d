"""Citation quality after ALCE (Gao et al., 2023), judged without an external LLM.

For each sentence of an answer, with the quotes its ``[n]`` markers point at:
* citation recall: the sentence cites something and its cited quotes together support it;
* citation precision: a citation counts when its sentence is supported and the citation is
  not irrelevant (ALCE: irrelevant = it does not support the sentence alone, and the other
  citations support it without it);
* cited documents within the gold documents.

Two judges: the product's own claim verifier on the quotes shown (its structural checks: every
content word accounted for, names, numbers and their binding, polarity, hedges, causes, roles;
not its LLM judge, which already passed each sentence in the answer path), and a stricter,
independent lexical one (no embeddings): every number and name of the sentence must appear,
and >= 80 % of its content terms not already in the question.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rag.citations import parse_claims
from rag.text import mentioned, names, numbers, terms
from rag.verification.drafts import without_yes_no

# The product's support test: (claim, evidence sentences, question, context) -> supported.
SupportCheck = Callable[[str, list[str], str, str], bool]


class Judge(Protocol):
    name: str

    def supports(
        self, claim: str, evidence: list[str], question: str, context: str = ""
    ) -> bool: ...


class ProductJudge:
    name = "product"

    def __init__(self, check: SupportCheck) -> None:
        self.check = check

    def supports(self, claim: str, evidence: list[str], question: str, context: str = "") -> bool:
        return bool(evidence) and self.check(claim, evidence, question, context)


class StrictLexicalJudge:
    name = "strict"

    def __init__(self, min_coverage: float = 0.8) -> None:
        self.min_coverage = min_coverage

    def supports(self, claim: str, evidence: list[str], question: str, context: str = "") -> bool:
        if not evidence:
            return False
        text = " ".join([*evidence, context])
        # A leading "Yes,"/"No," is the answer the statement after it gives, not a fact to find.
        claim = without_yes_no(claim)
        if numbers(claim) - numbers(text) - numbers(question):
            return False
        asked = names(question)
        if any(n not in asked and not mentioned(n, text) for n in names(claim)):
            return False
        q_terms = set(terms(question))
        claim_terms = [t for t in terms(claim) if t not in q_terms]
        if not claim_terms:
            return True
        have = set(terms(text))
        return sum(t in have for t in claim_terms) / len(claim_terms) >= self.min_coverage


@dataclass
class CitationScore:
    sentences: int
    supported: int
    citations: int
    correct: int

    @property
    def recall(self) -> float:
        return self.supported / self.sentences if self.sentences else 0.0

    @property
    def precision(self) -> float:
        return self.correct / self.citations if self.citations else 0.0


def score_citations(
    answer: str,
    quotes: dict[int, str],
    question: str,
    judge: Judge,
    dates: dict[int, str] | None = None,
) -> CitationScore:
    """``answer`` with ``[n]`` markers; ``quotes`` maps n to the quote the citation shows and
    ``dates`` to the publication date shown beside it (it may back a date, never a fact)."""
    dates = dates or {}

    def supports(claim: str, cited: list[int]) -> bool:
        context = " ".join(dict.fromkeys(dates.get(n, "") for n in cited))
        return judge.supports(claim, [quotes[n] for n in cited], question, context)

    score = CitationScore(0, 0, 0, 0)
    for claim in parse_claims(answer):
        if not claim.text:
            continue
        cited = [n for n in dict.fromkeys(claim.cited) if n in quotes]
        score.sentences += 1
        score.citations += len(cited)
        if not supports(claim.text, cited):
            continue
        score.supported += 1
        for n in cited:
            alone = supports(claim.text, [n])
            irrelevant = not alone and supports(claim.text, [m for m in cited if m != n])
            score.correct += int(not irrelevant)
    return score


def gold_doc_share(cited_docs: Sequence[str], gold_docs: Sequence[str]) -> float:
    """Share of cited documents that are among the gold documents (1.0 when none cited)."""
    if not cited_docs:
        return 1.0
    gold = set(gold_docs)
    return sum(d in gold for d in cited_docs) / len(cited_docs)
