"""Structural checks of one claim against one evidence window (one or two adjacent sentences).

Each check names what it found, so the trace says why a claim failed:

* every content word of the claim is accounted for in the window: the same stem or alias, or
  a near synonym from the lexicon that is not an antonym (``alignment.py``);
* names and numbers: each occurs in the window, and a number counts the same thing there
  (``quantities.py``);
* polarity: a word the claim asserts is not negated in the window, and vice versa ("not
  ready", "rules out sending"); an antonym in its place ("accept" for "rejects") contradicts;
* hedges: the window's "willing to", "plans to", "may" before a word the claim states as fact;
* connectives: an asserted cause ("because", "so", "in response to") needs one in the window;
* roles: "pressure on Russia" is not "pressure on the coalition"; "A accused B" is not "B
  accused A"; the claim's speaker is the evidence's (``roles.py``).
"""

from __future__ import annotations

from rag.verification import lexicon as lx
from rag.verification.alignment import Similarity, WindowCheck, align_words, synonyms
from rag.verification.analysis import Text, Word, stem
from rag.verification.quantities import numbers, ordinals, slots
from rag.verification.roles import attribution, order, prepositions, subjects

__all__ = ["Similarity", "WindowCheck", "check_window", "cues", "negated", "synonyms"]

_NEG_VERBS = frozenset(stem(w) for w in lx.NEGATIVE_VERBS)
_DETERMINERS = frozenset("a an the this that its their his her our some any every each".split())
_AUXILIARIES = frozenset("is are was were be been being has have had get got".split())
_SKIP_IN_SCOPE = frozenset(
    "be been being is are was were have has had any a an the yet clearly also even still "
    "currently fully formally so too very really ever".split()
)


def cues(text: Text) -> list[Word]:
    return [
        w
        for w in text.words
        if w.low in lx.NEGATION
        or w.low == "without"
        or (w.stem in _NEG_VERBS and w.content and not _noun_use(text, w))
    ]


def _noun_use(text: Text, w: Word) -> bool:
    """A negative verb's word used as a noun ("11 stops", "a halt") negates nothing."""
    before = text.words[w.i - 1] if w.i else None
    return before is not None and (before.low[0].isdigit() or before.low in _DETERMINERS)


def negated(text: Text, skip: set[int] | None = None) -> set[int]:
    """Indices of content words governed by a negation: a negator or a negative verb governs
    the next two content words of its clause ("not ready for a ceasefire", "ruled out
    sending troops"); "no"/"without" govern the next one. Cues in ``skip`` are shared with
    the other text (matched to a word there) and govern nothing."""
    out: set[int] = set()
    words = text.words
    for w in cues(text):
        if skip and w.i in skip:
            continue
        reach = 1 if w.low in ("no", "without", "none") else 2
        taken = 0
        for nxt in words[w.i + 1 : w.i + 7]:
            if nxt.brk and taken:
                break
            if nxt.low in _SKIP_IN_SCOPE or not nxt.content or nxt.low == "out":
                continue
            out.add(nxt.i)
            taken += 1
            if taken == reach:
                break
    return out


def check_window(
    claim: Text,
    window: Text,
    similar: Similarity,
    soft: float,
    names: set[str] | None = None,
    given: frozenset[str] = frozenset(),
    referents: frozenset[str] = frozenset(),
    seen: frozenset[str] = frozenset(),
) -> WindowCheck:
    """``seen``: every word of the passages, lower case (a name written exactly somewhere
    there is not matched to another spelling)."""
    check = align_words(claim, window, similar, soft, names or set(), given, referents, seen)
    numbers(claim, window, check)
    ordinals(claim, window, check, given)
    _polarity(claim, window, check)
    _hedges(claim, window, check)
    _connectives(claim, window, check)
    prepositions(claim, window, check)
    order(claim, window, check)
    attribution(claim, window, check)
    slots(claim, window, check)
    subjects(claim, window, check, names or set())
    return check


def _polarity(claim: Text, window: Text, check: WindowCheck) -> None:
    # A negative verb matched on both sides ("objects to" / "opposed to") is shared meaning,
    # not a flip of what follows it.
    back = {wi: ci for ci, (wi, _) in check.matched.items()}
    shared_w = {w.i for w in cues(window) if w.i in back}
    shared_c = {ci for ci, (wi, _) in check.matched.items() if wi in shared_w}
    shared_c |= {w.i for w in cues(claim) if w.i in check.matched}
    shared_w |= {check.matched[i][0] for i in shared_c}
    neg_c, neg_w = negated(claim, shared_c), negated(window, shared_w)
    for ci, (wi, _) in check.matched.items():
        if (ci in neg_c) != (wi in neg_w):
            word = claim.words[ci].text
            side = "negated in the claim only" if ci in neg_c else "negated in the evidence"
            msg = f"polarity: {word!r} {side}"
            check.flags.append(msg)
            check.contradicts.append(msg)
            return


def _hedges(claim: Text, window: Text, check: WindowCheck) -> None:
    # By word, not stem: Snowball makes "willing" "will".
    if any(w.low in lx.HEDGES for w in claim.words):
        return
    targets = {wi for wi, _ in check.matched.values()}
    for w in window.words:
        if w.low not in lx.HEDGES or w.name or w.i in targets or _nominal_willing(window, w):
            continue
        ahead = [x.i for x in window.words[w.i + 1 : w.i + 5] if x.content]
        if any(i in targets for i in ahead[:2]):
            check.flags.append(f"hedged: the evidence says {w.text!r}")
            return


def _nominal_willing(text: Text, w: Word) -> bool:
    """ "the willing" names a group (an adjective used as a noun), it hedges nothing."""
    return w.low == "willing" and w.i > 0 and text.words[w.i - 1].low == "the"


def _connectives(claim: Text, window: Text, check: WindowCheck) -> None:
    """A cause the claim asserts ("because", "so that", "in response to") must be a cause the
    evidence states, in words of the same kind, between the same two facts: a "given" that
    explains Germany's reluctance in one sentence does not explain Italy's refusal in the next.
    "to" or "as" alone do not count."""
    causal = lx.CAUSAL - {"result", "order", "lead", "led", "reason", "response", "reaction"}
    at = _cue_at(claim, causal)
    if at is None:
        return
    cues_w = [
        i
        for i, w in enumerate(window.words)
        if w.low in causal or _given_as_cause(window, w) or _phrase_at(window, i)
    ]
    if not cues_w:
        check.flags.append("connective: the claim asserts a cause the evidence does not state")
        return
    left, right = _sides(claim, at, check)
    if not left or not right:
        return  # one side is all unmatched words: coverage and the judge decide
    seg = _segments(window)
    spots: dict[str, list[int]] = {}
    for x in window.words:
        spots.setdefault(x.stem, []).append(x.i)

    def held(side: list[int], reach: set[int]) -> bool:  # most of one fact is there
        spans = [{seg[i] for i in spots[window.words[check.matched[ci][0]].stem]} for ci in side]
        return sum(bool(s & reach) for s in spans) * 2 >= len(spans)

    for i in cues_w:
        # A sentence that opens by pointing back ("So ...", "This is because ...", "As a
        # result, ...") links its cause to the sentence before; "Because of the cost, X."
        # explains X, not what came before.
        first = window.words[_start(window, seg, i)].low
        back = first in _BACK and i - _start(window, seg, i) < 4
        reach = {seg[i], seg[i] - 1} if back else {seg[i]}
        if held(left, reach) and held(right, reach):
            return
    check.flags.append("connective: the evidence states no cause between these facts")


_BACK = frozenset("this that it so therefore thus hence consequently as".split())


def _cue_at(claim: Text, causal: frozenset[str]) -> int | None:
    for i, w in enumerate(claim.words):
        if w.low in causal or _phrase_at(claim, i):
            return i
    return None


def _phrase_at(text: Text, i: int) -> bool:
    lows = [w.low for w in text.words[i : i + 4]]
    return any(p.split() == lows[: len(p.split())] for p in lx.CAUSAL_PHRASES)


def _sides(claim: Text, at: int, check: WindowCheck) -> tuple[list[int], list[int]]:
    """The claim's matched content words on each side of its connective; "Because Y, X"
    splits at the clause boundary after the cue instead."""
    words = [w for w in claim.words if w.content and w.i in check.matched]
    left = [w.i for w in words if w.i < at]
    right = [w.i for w in words if w.i > at]
    if not left:
        end = next((w.i for w in claim.words[at + 1 :] if w.brk), None)
        if end is not None:
            left = [i for i in right if i >= end]
            right = [i for i in right if i < end]
    return left, right


def _segments(text: Text) -> list[int]:
    """Each word's sentence number (a new one at each sentence-initial word)."""
    out, n = [], 0
    for w in text.words:
        if w.initial and w.i:
            n += 1
        out.append(n)
    return out


def _start(text: Text, seg: list[int], i: int) -> int:
    return next(k for k in range(i + 1) if seg[k] == seg[i])


def _given_as_cause(text: Text, w: Word) -> bool:
    """ "sees challenges given troop commitments": "given" as a preposition states a reason;
    "was given a medal" does not."""
    if w.low != "given":
        return False
    return not w.i or text.words[w.i - 1].low not in _AUXILIARIES
