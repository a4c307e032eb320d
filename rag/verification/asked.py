"""What a wh-question asks for, and whether an answer gives it.

A near miss is a question whose topic the articles cover while the asked fact is absent ("Who
will command the reassurance force?" where the articles only say a force will be formed). The
model then answers with a true, verifiable sentence about the topic, which every other check
passes. This check asks a plainer thing: a "who" question wants a name the question does not
already hold, a "how many" question a number it does not hold, a "when" question a time. An
answer none of whose sentences gives that is not an answer, however well it is cited.

Questions whose answer has no such shape ("what did X say", "how did X respond", "why") have
no kind (``None``); of "what did X say / how did X respond" only whose words they are is
checked (``actor``): someone else's words on the topic are a near miss too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rag.verification import lexicon as lx
from rag.verification.analysis import TITLES, Text, aliases_of, analyse, stem
from rag.verification.roles import referents

Kind = Literal["name", "number", "time"]

# "Which <noun>" asks for a name when the noun names places or organisations. Not roles
# ("which minister resigned?" is answered "the defence minister" as often as by a name).
_ENTITY_NOUNS = """
    city cities country countries town towns region state states nation nations capital
    company companies firm firms manufacturer manufacturers shipyard bank banks agency outlet
    newspaper organisation organization party
""".split()
# "How much" asks a number only of money or measures ("how much support" asks no number).
_MEASURES = r"(money|cost|costs|spend|spent|pay|paid|funding|aid|worth|euros?|dollars?)"
# The first matching pattern decides, so the specific forms come before "what"/"which".
_KINDS: list[tuple[re.Pattern[str], Kind]] = [
    (re.compile(r"^\s*how\s+many\b", re.I), "number"),
    (re.compile(rf"^\s*how\s+much\b(?=.*\b{_MEASURES}\b)", re.I), "number"),
    (re.compile(r"^\s*(what|which)\s+(number|percentage|share|amount|sum)\b", re.I), "number"),
    (re.compile(r"^\s*when\b", re.I), "time"),
    (
        re.compile(r"^\s*(on|in|by)?\s*(what|which)\s+(date|day|month|year|week|time)\b", re.I),
        "time",
    ),
    (re.compile(r"^\s*(who|whom|whose)\b", re.I), "name"),
    (re.compile(r"^\s*where\b(?!.*\b(stand|stands|heading|leave|leaves)\b)", re.I), "name"),
    (re.compile(r"^\s*what\s+(is|was|are|were)\s+the\s+names?\b", re.I), "name"),
    (
        re.compile(
            r"^\s*(in|at|from|to|with|by)?\s*which\s+(?:[\w'’-]+\s+){0,2}?"
            rf"({'|'.join(_ENTITY_NOUNS)})\b",
            re.I,
        ),
        "name",
    ),
]
# Words that place an event in time without a number or a calendar name (compared as stems).
_TIME_WORDS = """
    today tomorrow yesterday tonight now soon later earlier next last recently already
    morning afternoon evening night overnight weekend day days week weeks month months year
    years decade hour hours minute noon midnight christmas easter
""".split()
# "after a ceasefire", "once a deal is signed", "within days": an event that dates another.
_TIME_PREPOSITIONS = frozenset("after before until once following within by since".split())
# Amounts written as words that the number reader leaves out on purpose ("one of", "a").
# Not "no" or "all": "no figure was given" answers nothing.
_AMOUNT_WORDS = frozenset(
    "one single none both half third quarter dozens hundreds thousands millions several".split()
)


@lru_cache(maxsize=1)
def _time_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in _TIME_WORDS)


def about(question: str, window: str) -> float:
    """Share of the question's content words that the window holds."""
    q = {w.stem for w in analyse(question).content}
    return len(q & {w.stem for w in analyse(window).words}) / len(q) if q else 0.0


# "How did Trump respond to ...?", "What did Marco Rubio reportedly tell senators ...?": the
# answer is what that person said or did; someone else's words on the topic are a near miss.
# Whole verbs ("post", not "postpone"), base form after "did", participle after "has".
_VERBS = (
    r"respond(?:ed)?|react(?:ed)?|repl(?:y|ied)|answer(?:ed)?|say|said|tell|told|announced?"
    r"|think|thought|claim(?:ed)?|write|written|post(?:ed)?|warn(?:ed)?|proposed?|demand(?:ed)?"
)
_ACTOR = re.compile(
    r"^\s*(?i:how|what)\s+(?i:did|does|do|has|have|had|will|would)\s+"
    r"(?P<who>(?:(?:[A-Z][\w'’.-]*|von|van|der|de|la|al|bin)\s+){1,5}?)(?:\w+ly\s+)?"
    rf"(?:{_VERBS})\b",
)


def last_question(question: str) -> str:
    """Of several questions (a follow-up joined to the turn before it) the last, which is the
    one asked, without an opening such as "And" or "According to the article,"."""
    asked = [q for q in re.split(r"(?<=\?)\s+", question.strip()) if q.strip()]
    return _OPENING.sub("", asked[-1] if asked else question.strip())


def actor(question: str) -> frozenset[str]:
    """Stems (with aliases) of the surname of the person a "how did X respond / what did X say"
    question is about (the last word of the name: "Donald Tusk" is not "Donald Trump");
    empty for any other question."""
    m = _ACTOR.match(last_question(question))
    if not m:
        return frozenset()
    words = [w for w in analyse(m.group("who")).words if w.text[:1].isupper()]
    words = [w for w in words if w.low not in TITLES and w.low != "the"]
    return frozenset(aliases_of(words[-1].stem)) if words else frozenset()


def _names(who: frozenset[str], text: Text) -> bool:
    return any(w.stem in who and w.text[:1].isupper() for w in text.words)


def names_actor(who: frozenset[str], text: str, before: Sequence[str] = ()) -> bool:
    """Does ``text`` name the asked person (capitalised), or say "he"/"she" where the
    sentences ``before`` it quote that person (``roles.referents``, as the verifier reads
    "he": never guessed from a bare name)?"""
    t = analyse(text)
    if any(w.stem in who and w.text[:1].isupper() for w in t.words):
        return True
    pronoun = any(w.low in ("he", "she") for w in t.words)
    return pronoun and bool(referents([analyse(b) for b in before]) & who)


@dataclass(frozen=True)
class Asks:
    """What an answer to the question must give: a name, number or time, if the question asks
    one, and the asked person's words, if it asks whose. (Not a share of the question's
    words: one sentence holds fewer of them than an answer's windows do; "… with close
    participation from Türkiye" answers "which country plays the maritime role in the
    working group?" with 0.25 of them.)"""

    kind: Kind | None
    names: set[str]
    who: frozenset[str] = frozenset()  # ``actor``: whose words or deeds are asked

    @classmethod
    def of(cls, question: str, evidence: Sequence[str]) -> Asks:
        kind = asked_kind(question)
        names = evidence_names([analyse(t) for t in evidence]) if kind else set()
        return cls(kind, names, actor(question))

    def could_answer(self, question: str, sentence: str, before: Sequence[str] = ()) -> bool:
        if self.who and not names_actor(self.who, sentence, before):
            return False
        return self.kind is None or gives(self.kind, sentence, question, self.names)


@dataclass(frozen=True)
class Cited:
    """A kept sentence of an answer, with a window it was verified on and the sentences of
    that passage before the window (for "he")."""

    claim: str
    window: str
    before: tuple[str, ...] = ()


def near_miss(question: str, cited: Sequence[Cited], asks: Asks, answer_about: float) -> str | None:
    """Why the verified answer is beside the point, or None: its windows together hold less
    than ``answer_about`` of the question's words, or none of its sentences gives what the
    question asks, or none is the asked person's (the claim or its window names them)."""
    share = about(question, " ".join(c.window for c in cited))
    if share < answer_about:
        return f"the cited sentences hold {share:.2f} of the question's words"
    if asks.kind and not any(gives(asks.kind, c.claim, question, asks.names) for c in cited):
        return f"no sentence gives the {asks.kind} the question asks"
    if asks.who and not any(
        names_actor(asks.who, c.claim) or names_actor(asks.who, c.window, c.before) for c in cited
    ):
        return "no cited sentence is the asked person's"
    return None


# Openings that come before the question word of a follow-up or a hedged question.
_OPENING = re.compile(
    r"^\s*(?:(?:and|but|so|also|then|ok|okay|well)\b[,\s]*|according to [^,]*,\s*)+", re.I
)


def asked_kind(question: str) -> Kind | None:
    """The shape of the answer a question asks for, when it has one. Of several questions
    (a follow-up joined to the turn before it), the last one asks."""
    last = last_question(question)
    for pattern, kind in _KINDS:
        if pattern.match(last):
            return kind
    return None


def gives(kind: Kind, answer: str, question: str, names: set[str]) -> bool:
    """Does ``answer`` hold what a ``kind`` question asks, beyond what the question says?
    ``names``: the evidence's names (``evidence_names``), which tell a name at the start of
    the answer ("Italy has...") from an ordinary word ("According to...")."""
    at, qt = analyse(answer), analyse(question)
    asked = qt.stems()
    if kind == "number":
        return bool(_new_numbers(at, qt)) or any(
            w.low in _AMOUNT_WORDS and w.stem not in asked for w in at.words
        )
    if kind == "time":
        return (
            bool(_new_numbers(at, qt))
            or any(
                w.stem not in asked
                and (
                    (w.low in lx.CALENDAR and w.text[:1].isupper())  # "March", not "may decide"
                    or w.stem in _time_stems()
                    or (
                        w.low in _TIME_PREPOSITIONS
                        and any(
                            x.content and x.stem not in asked for x in at.words[w.i + 1 : w.i + 4]
                        )
                    )
                )
                for w in at.words
            )
        )
    return bool(_new_names(at, qt, names))


def evidence_names(texts: list[Text]) -> set[str]:
    """Stems (with their aliases) of the words the evidence writes capitalised and never in
    lower case: "Italy" even when it only starts sentences, not "Officials" where the
    evidence also says "officials". (Only a sentence's first word needs this test.)"""
    lower = {w.low for t in texts for w in t.words if w.text[:1].islower()}
    names: set[str] = set()
    for t in texts:
        for w in t.words:
            if w.text[:1].isupper() and w.low not in lower and w.content:
                names |= aliases_of(w.stem)
    return names


def _new_numbers(at: Text, qt: Text) -> set[float]:
    return {n.value for n in at.numbers} - {n.value for n in qt.numbers}


def _new_names(at: Text, qt: Text, names: set[str]) -> list[str]:
    """Capitalised words of the answer that name someone or something the question does not
    (an alias of a question's name is the same name)."""
    asked: set[str] = set()
    for w in qt.words:
        asked |= aliases_of(w.stem)
    return [
        w.text
        for w in at.words
        if w.name
        and w.low not in lx.CALENDAR  # "Monday" answers "when", not "who"
        and (not w.initial or bool(aliases_of(w.stem) & names))
        and w.low not in TITLES
        and w.content
        and not (aliases_of(w.stem) & asked)
    ]
