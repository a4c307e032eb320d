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


def numbers(claim: Text, window: Text, check: WindowCheck) -> None:
    used: set[int] = set()  # each number of the window backs one of the claim's
    for n in claim.numbers:
        same = [m for m in window.numbers if abs(m.value - n.value) < 1e-9 and m.i not in used]
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
                ok = ok and (not counted_by_other or any(0 < o - m.i <= 3 for o in places))
            if before is not None:
                ok = ok and any(0 < m.i - o <= 5 for o in _spots(window, check, before))
            fits.append(ok)
        if not any(fits):
            words = [w.text for w in (before, after) if w is not None]
            msg = f"number {n.value:g} is not bound to {', '.join(words)} in the evidence"
            check.flags.append(msg)
            check.contradicts.append(msg)


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
