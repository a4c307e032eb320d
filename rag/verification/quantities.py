"""Numbers and dates bound to what they count or date: "11 kilometres" is not backed by "9
kilometres long with 11 stops", nor "Wednesday" by "Tuesday"."""

from __future__ import annotations

from rag.verification import lexicon as lx
from rag.verification.alignment import WindowCheck
from rag.verification.analysis import Number, Text, Word

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


def _bound(claim: Text, n: Number) -> str | None:
    """The bound the claim puts on number ``n`` ("more than 20", "nearly 30"), if any."""
    first = n.i
    while first > 0 and claim.words[first - 1].low in lx.UNITS | lx.TENS.keys() | {"dozen"}:
        first -= 1  # "more than two dozen": the bound is before "two"
    before = tuple(w.low for w in claim.words[max(0, first - 2) : first])
    for words, kind in lx.BOUNDS.items():
        if before[-len(words) :] == words:
            return kind
    return None


def _within(kind: str | None, claimed: float, stated: float) -> bool:
    if kind == "gt":
        return stated > claimed
    if kind == "lt":
        return stated < claimed
    if abs(claimed - stated) < 1e-9:
        return True
    if kind == "ge":
        return stated > claimed
    if kind == "le":
        return stated < claimed
    if kind == "near_below":
        return 0.9 * claimed <= stated < claimed
    if kind == "about":
        return abs(stated - claimed) <= 0.1 * claimed
    return False


def ordinals(claim: Text, window: Text, check: WindowCheck) -> None:
    """ "the second invasion", "a third round": an ordinal before a noun is a number; the
    evidence must say it (a bare "second" of time is left alone)."""
    words = claim.words
    for w in words:
        if w.low not in lx.ORDINALS or w.i in check.matched:
            continue
        nxt = words[w.i + 1] if w.i + 1 < len(words) else None
        if nxt is None or nxt.brk or not nxt.content:
            continue
        msg = f"ordinal {w.text!r} not in evidence"
        check.flags.append(msg)
        rival = next((x.text for x in window.words if x.low in lx.ORDINALS), None)
        if rival:
            check.contradicts.append(f"{msg} (it says {rival!r})")
        return


def numbers(claim: Text, window: Text, check: WindowCheck) -> None:
    used: set[int] = set()  # each number of the window backs one of the claim's
    for n in claim.numbers:
        kind = _bound(claim, n)
        same = [m for m in window.numbers if _within(kind, n.value, m.value) and m.i not in used]
        if not same and _counted_in_claim(claim, n, check):
            _account_for_noun(claim, n, check)
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
        partner = _score_partner(claim, n)
        if partner is not None:
            # "52 votes to 11": the second number of a score is bound to the first.
            fits = [
                ok and _score_partner(window, m) == partner
                for ok, m in zip(fits, same, strict=True)
            ]
            if not any(fits):
                msg = f"number {n.value:g} is not the other side of {partner:g} in the evidence"
                check.flags.append(msg)
                check.contradicts.append(msg)
                continue
        if not any(fits):
            words = [w.text for w in (before, after) if w is not None]
            msg = f"number {n.value:g} is not bound to {', '.join(words)} in the evidence"
            check.flags.append(msg)
            check.contradicts.append(msg)


def _counted_in_claim(claim: Text, n: Number, check: WindowCheck) -> bool:
    """ "Three countries, France, the UK and Belgium, ...": the claim lists what it counts, so
    the number holds if the list does: exactly that many names, each found in the evidence."""
    if n.counts is None or n.value != int(n.value):
        return False
    listed: list[int] = []
    started = False
    for w in claim.words[n.i + 1 : n.i + 16]:
        if w.stem == n.counts and not started:
            started = True
            continue
        if not started:
            continue
        if w.name:
            if listed and listed[-1] == w.i - 1 and not w.brk:
                listed[-1] = w.i  # one name of several words
            else:
                listed.append(w.i)
        elif w.content:
            break
    return len(listed) == int(n.value) and all(i in check.matched for i in listed)


def _account_for_noun(claim: Text, n: Number, check: WindowCheck) -> None:
    """The listed names stand for the noun they are counted as ("countries")."""
    noun = next(w for w in claim.words[n.i + 1 :] if w.stem == n.counts)
    if noun.i in check.matched:
        return
    first = next(w for w in claim.words[noun.i + 1 :] if w.name)
    check.matched[noun.i] = (check.matched[first.i][0], "listed")
    if noun.text in check.unmatched:
        check.unmatched.remove(noun.text)
    check.coverage = len(check.matched) / (len(check.matched) + len(check.unmatched))


def _score_partner(text: Text, n: Number) -> float | None:
    """The first number of a score or tally that ends with ``n``: "52 to 8", "52 votes to 8",
    "52 votes against 8"."""
    words = text.words
    k = n.i - 1
    if k < 1 or words[k].low not in ("to", "against"):
        return None
    for m in text.numbers:
        if m.i < k and k - m.i <= 2:
            return m.value
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
