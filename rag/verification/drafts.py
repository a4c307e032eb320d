"""A drafted answer sentence read against its question, before any passage is consulted:
its leading "Yes,"/"No,", a lead-in copied from the question, a bare fragment, a sentence that
only restates the question, and which of Yes or No a verified statement gives."""

from __future__ import annotations

import re

from rag.verification import lexicon as lx
from rag.verification.analysis import analyse
from rag.verification.asked import last_question
from rag.verification.checks import negated

YES_NO = re.compile(r"^(yes|no)\b[,.:;!—–-]*\s*", re.I)
_POLAR_QUESTION = re.compile(
    r"^(is|are|was|were|do|does|did|has|have|had|will|would|can|could|should|shall|may|must)\b",
    re.I,
)


def without_yes_no(text: str) -> str:
    """The statement after a leading "Yes,"/"No,", which is the answer it gives, not a fact."""
    return text[m.end() :] if (m := YES_NO.match(text.lstrip())) else text.lstrip()


def is_polar(question: str) -> bool:
    """A yes/no question ("Did Italy rule out...?"), answered Yes or No first."""
    return bool(_POLAR_QUESTION.match(question.strip()))


_LEAD = re.compile(r"^([^,;:]{6,80}),\s+(?=\S)")
# Leads that narrow what follows rather than set the scene: a condition, a source.
_NARROWING = re.compile(r"^\s*(if|unless|assuming|provided|should|according|in case)\b", re.I)


def echoed_lead(text: str, question: str, evidence: str) -> int | None:
    """Where the answer starts after the lead-in the question opens with, copied word for
    word ("After the September Paris summit, Trump said ..." to "After the September Paris
    summit, what did Trump say ...?"): the question's premise, which the passage that gives
    the answer need not repeat. Only the asked question's own opening (a phrase it holds
    elsewhere may be about something else), only when a statement of four words or more
    follows, never a condition or a source ("If ...", "According to ..."), and only when
    the ``evidence`` (the shown passages with their datelines) holds the lead's numbers,
    weekdays, months and seasons ("In 2024, ..." is no premise to drop where the passages
    say 2023). Its names need not be there: they say which event the premise is, and the
    statement after it is verified in full."""
    m, q = _LEAD.match(text), _LEAD.match(last_question(question))
    if not m or not q or len(text[m.end() :].split()) < 4 or _NARROWING.match(m.group(1)):
        return None
    words = re.findall(r"\w+", m.group(1).lower())
    if len(words) < 2 or words != re.findall(r"\w+", q.group(1).lower()):
        return None
    lead, shown = analyse(m.group(1)), analyse(evidence)
    if {n.value for n in lead.numbers} - {n.value for n in shown.numbers}:
        return None
    dated = {w.low for w in shown.words if w.low in lx.CALENDAR}
    # "March", not "may decide" (as ``asked.gives`` reads them).
    named = {w.low for w in lead.words if w.low in lx.CALENDAR and w.text[:1].isupper()}
    if named - dated:
        return None
    return m.end()


def fragment(text: str) -> bool:
    """ "Thursday." or "France and the UK.": an answer that means something only beside the
    question it answers."""
    return len(re.findall(r"\w+", text)) <= 5


def restates(claim: str, question: str) -> bool:
    """True when the claim adds no content word and no number to the question: it asserts
    nothing that was asked."""
    ct, qt = analyse(claim), analyse(question)
    if {n.value for n in ct.numbers} - {n.value for n in qt.numbers}:
        return False
    c = {w.stem for w in ct.content}
    return bool(c) and c <= {w.stem for w in qt.words}


def polar_answer(question: str, statement: str) -> str:
    """ "Yes" when the verified statement asserts what the yes/no question asks, "No" when
    one of them negates it ("Has Italy agreed to send troops?" / "Italy has ruled out sending
    troops": No). Only negations of words both share count: an aside ("though it is not a
    member") decides nothing."""
    qt, st = analyse(question), analyse(statement)
    q_stems, s_stems = qt.stems(), st.stems()
    negated_q = any(qt.words[i].stem in s_stems for i in negated(qt))
    negated_s = any(st.words[i].stem in q_stems for i in negated(st))
    return "Yes" if negated_q == negated_s else "No"


def common_start(text: str) -> bool:
    """The sentence starts with an ordinary word, not a name, so "Yes, " may lower it."""
    first = analyse(text).words[:1]
    return bool(first) and first[0].low in _LOWERABLE


_LOWERABLE = frozenset("the a an it they he she this that there some most all".split())
