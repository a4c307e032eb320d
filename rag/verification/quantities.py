"""Numbers and dates bound to what they count or date: "11 kilometres" is not backed by "9
kilometres long with 11 stops", nor "Wednesday" by "Tuesday"."""

from __future__ import annotations

from rag.verification import lexicon as lx
from rag.verification.alignment import WindowCheck
from rag.verification.analysis import Number, Text, Word
from rag.verification.bounds import fits as within

SLOT_OF = {w: k for k, group in enumerate(lx.SLOTS) for w in group}


def slots(claim: Text, window: Text, check: WindowCheck) -> None:
    """A day, month, unit or season of the claim the evidence fills with another."""
    have = {w.low for w in window.words}
    for w in claim.words:
        slot = SLOT_OF.get(w.low)
        if slot is None or w.low in have:
            continue
        rivals = [x.text for x in window.words if SLOT_OF.get(x.low) == slot]
        if rivals:
            msg = f"slot: {w.text!r} where the evidence says {rivals[0]!r}"
            check.flags.append(msg)
            check.contradicts.append(msg)
            return


def ordinals(claim: Text, window: Text, check: WindowCheck, given: frozenset[str]) -> None:
    """ "the second invasion", "a third round": an ordinal before a noun is a number; the
    evidence must say it (a bare "second" of time is left alone; one the question asked,
    ``given``, is the cited passage's to hold, as the question's other words are)."""
    words = claim.words
    for w in words:
        if w.low not in lx.ORDINALS or w.i in check.matched or w.stem in given:
            continue
        nxt = words[w.i + 1] if w.i + 1 < len(words) else None
        if nxt is None or nxt.brk or not nxt.content:
            continue
        msg = f"ordinal {w.text!r} not in evidence"
        check.flags.append(msg)
        rival = next((x.text for x in window.words if _ordinal_use(window, x)), None)
        if rival:
            check.contradicts.append(f"{msg} (it says {rival!r})")
        return


def _ordinal_use(text: Text, w: Word) -> bool:
    """ "the third round", not "a third of" (a fraction)."""
    if w.low not in lx.ORDINALS:
        return False
    nxt = text.words[w.i + 1].low if w.i + 1 < len(text.words) else ""
    return nxt != "of"


def numbers(claim: Text, window: Text, check: WindowCheck) -> None:
    used: set[int] = set()  # each number of the window backs one of the claim's
    for n in claim.numbers:
        same = [m for m in window.numbers if within(n, m) and m.i not in used]
        listed = [] if same else _listed(claim, n, window, check)
        if listed:
            _account_for_noun(claim, n, listed, check)
            continue
        if same:
            used.add(same[0].i)
        if not same:
            # A different number counting the same thing says the claim is wrong.
            rival = [m for m in window.numbers if n.counts and m.counts == n.counts]
            msg = f"number {n.value:g} not in evidence"
            check.flags.append(msg)
            if rival:
                check.contradicts.append(f"{msg} (it says {rival[0].value:g} {n.counts})")
            continue
        # Bound to the same words: what the number counts ("112 drones") sits by it in the
        # evidence too, and so does the word just before it ("intercepted 112"). Dates are
        # left to the slot check.
        near = claim.words[max(0, n.i - 2) : n.i + 3]
        if any(SLOT_OF.get(w.low) in (0, 1) for w in near):
            continue
        after = next(
            (
                w
                for w in claim.words[n.i + 1 : n.i + 4]
                if w.content and not w.brk and w.low not in SLOT_OF
            ),
            None,
        )
        before = claim.words[n.i - 1] if n.i > 0 and not claim.words[n.i].brk else None
        if before is not None and (not before.content or before.i not in check.matched):
            before = _year_event(claim, n, check)
        fits = []
        for m in same:
            ok = True
            if after is not None and after.i in check.matched:
                ok = any(
                    0 < o - m.i <= 5 or -3 <= o - m.i < 0 for o in _spots(window, check, after)
                )
            if n.counts:
                # "11 kilometres" against "9 kilometres long with 11 stops": what the claim's
                # number counts is counted by another number in the evidence, wherever the
                # window says it.
                places = [x.i for x in window.words if x.stem == n.counts]
                counted_by_other = any(
                    k.value != n.value and o - k.i == 1 for o in places for k in window.numbers
                )
                ok = ok and (
                    not counted_by_other
                    or any(0 < o - m.i <= 3 for o in places)
                    or _partitive(window, m, places)
                )
            if before is not None:
                ok = ok and any(0 < m.i - o <= 5 for o in _spots(window, check, before))
            fits.append(ok)
        tally = _tally(claim, n)
        if tally is not None:
            # "52 votes to 11": a tally's numbers are bound to each other, in order, not to
            # the words around them ("a 52 to 8 vote" is "a vote of 52 to 8").
            fits = [_tally(window, m) == tally for m in same]
            if not any(fits):
                msg = f"number {n.value:g}: the evidence has no tally {tally[0]:g} to {tally[1]:g}"
                check.flags.append(msg)
                check.contradicts.append(msg)
                continue
        if not any(fits):
            words = [w.text for w in (before, after) if w is not None]
            msg = f"number {n.value:g} is not bound to {', '.join(words)} in the evidence"
            check.flags.append(msg)
            check.contradicts.append(msg)


def _listed(claim: Text, n: Number, window: Text, check: WindowCheck) -> list[int]:
    """ "Three countries, France, the UK and Belgium, ...": the claim lists what it counts, so
    the number holds if the list does: exactly that many names (two or more), each found in
    the evidence, and no other number there counting the same noun. The list's first word of
    each name, or nothing."""
    if n.counts is None or n.value != int(n.value) or n.value < 2:
        return []
    if any(m.counts == n.counts for m in window.numbers):
        return []  # "three leaders, …" against "four leaders, …": the count is the evidence's
    listed: list[int] = []
    started, last = False, -2
    for w in claim.words[n.i + 1 : n.i + 16]:
        if not started:
            started = w.stem == n.counts
            continue
        if w.name:
            if last != w.i - 1 or w.brk:
                listed.append(w.i)  # a new name; a run of capitalised words is one
            last = w.i
        elif w.content:
            break
    if len(listed) != int(n.value):
        return []
    found = all(_name_found(claim, i, check) for i in listed)
    return listed if found else []


def _name_found(claim: Text, i: int, check: WindowCheck) -> bool:
    """Some word of the name starting at ``i`` ("Emmanuel Macron") was matched."""
    j = i
    while j < len(claim.words) and claim.words[j].name and (j == i or not claim.words[j].brk):
        if j in check.matched:
            return True
        j += 1
    return False


def _account_for_noun(claim: Text, n: Number, listed: list[int], check: WindowCheck) -> None:
    """The listed names stand for the noun they are counted as ("countries")."""
    noun = next((w for w in claim.words[n.i + 1 :] if w.stem == n.counts), None)
    target = next(
        (check.matched[k] for k in range(listed[0], len(claim.words)) if k in check.matched), None
    )
    if noun is None or target is None or noun.i in check.matched:
        return
    check.matched[noun.i] = (target[0], "listed")
    if noun.text in check.unmatched:
        check.unmatched.remove(noun.text)


def _tally(text: Text, n: Number) -> tuple[float, float] | None:
    """The score or tally ``n`` is part of, in order: "52 to 8", "52 votes to 8", "52 votes
    against 8" give (52, 8) for either number."""
    words = text.words
    for m in text.numbers:
        first, second = (m, n) if m.i < n.i else (n, m)
        k = second.start - 1
        if m is not n and 0 < k - first.i <= 2 and words[k].low in ("to", "against"):
            return first.value, second.value
    return None


def _partitive(window: Text, m: Number, places: list[int]) -> bool:
    """ "26 out of 35 countries", "26 of the 35 countries": the first number counts the noun
    of the second too."""
    ahead = [w.low for w in window.words[m.i + 1 : m.i + 4]]
    return bool(ahead) and ahead[0] in ("of", "out") and any(0 < o - m.i <= 5 for o in places)


def _spots(window: Text, check: WindowCheck, w: Word) -> list[int]:
    """Every place in the window of the word a claim word matched: it may occur twice."""
    target = window.words[check.matched[w.i][0]].stem
    return [x.i for x in window.words if x.stem == target] or [check.matched[w.i][0]]


def _year_event(claim: Text, n: Number, check: WindowCheck) -> Word | None:
    """A year dates the event just before it ("carry passengers in 2026"): that matched
    content word, within three words of its clause."""
    if not (1900 <= n.value <= 2100 and n.value == int(n.value)):
        return None
    for w in reversed(claim.words[max(0, n.i - 3) : n.i]):
        if claim.words[w.i + 1].brk:
            return None
        if w.content:
            return w if w.i in check.matched else None
    return None
