"""Claims that report that something was said without saying what: "Trump announced where
Driscoll will meet", "Macron gave the date on which the group would finish", "the cost of the
trams was approved". Such a claim restates a question; words from a passage on the topic
cover it, yet the passage need not hold the answer it leaves out. It is not supported:
verification needs a claim that states its content (the answer path counts no such sentence
as an answer either)."""

from __future__ import annotations

from rag.verification.alignment import PREPOSITIONS
from rag.verification.analysis import Text, stem
from rag.verification.lexicon import NEGATION

# Verbs that report a content the claim may leave out (wider than the speaker verbs of
# roles.py: "gave the date", "listed the stops" report content without a speaker).
_REPORTS = frozenset(
    stem(w)
    for w in "say said says announce announced reveal revealed disclose disclosed confirm "
    "confirmed name named list listed give gave specify specified report reported explain "
    "explained discuss discussed approve approved set".split()
)
_QUESTION_WORDS = frozenset("which where when who whom what whether how".split())
_PREPOSITIONS = PREPOSITIONS | {"about", "under"}
# Nouns that stand for a value the claim does not give ("the cost", "the date").
_SLOTS = frozenset(
    stem(w)
    for w in "cost costs amount size number date time place location venue outcome result "
    "commander identity name names details figure price sum".split()
)


def unstated(claim: Text) -> str | None:
    """Why ``claim`` states no content of what it reports, or None when it does."""
    words = claim.words
    # "did not reveal which countries ...": saying it was not said is a statement.
    verbs = [
        w.i
        for w in words
        if w.stem in _REPORTS and not any(x.low in NEGATION for x in words[max(0, w.i - 2) : w.i])
    ]
    for v in verbs:
        for w in words[v + 1 : v + 7]:
            if w.brk:
                break
            if w.low in _QUESTION_WORDS and words[w.i - 1].low not in _PREPOSITIONS:
                return f"unstated: the claim says {words[v].text!r} {w.low} …, not what"
    if claim.numbers:
        return None
    for v in verbs:
        # The subject ("the cost of ... was approved") or object ("gave the date") of the
        # reporting verb is a value left unnamed.
        if _passive(claim, v):
            start = max((w.i for w in words[:v] if w.brk), default=0)
            span = words[start:v]
        else:
            span = words[v + 1 : v + 4]
        head = next((w for w in span if w.stem in _SLOTS), None)
        if head is not None and not any(w.name for w in span[span.index(head) + 1 :][:1]):
            return f"unstated: the claim names the {head.low}, not what it is"
    return None


def _passive(claim: Text, v: int) -> bool:
    return v > 0 and claim.words[v - 1].low in ("was", "were", "is", "are", "been", "be")
