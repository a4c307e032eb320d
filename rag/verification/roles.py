"""Who does what to whom, and who said it: the name doing the claim's verb does it in the
evidence; "A accused B" is not "B accused A"; "pressure on Russia" is not "pressure on the
coalition"; a claim's speaker is the evidence's speaker."""

from __future__ import annotations

from collections.abc import Sequence

from rag.verification.alignment import PREPOSITIONS, WindowCheck, is_name
from rag.verification.analysis import CAPITALS, TITLES, Text, Word, stem
from rag.verification.quantities import SLOT_OF


def _passive(words: Sequence[Word]) -> bool:
    lows = [w.low for w in words]
    return "by" in lows and any(x in lows for x in ("was", "were", "been", "being", "is", "are"))


def subjects(claim: Text, window: Text, check: WindowCheck, names: set[str]) -> None:
    """The name doing the claim's verb is the name doing it in the evidence: "China
    received" is not supported by "Russia received", even with China in the sentence."""
    cw, ww = claim.words, window.words
    if _passive(cw):
        return
    for n in cw:
        if not is_name(n, names) or n.i not in check.matched or n.low.endswith(("an", "ese")):
            continue
        verb = next((w for w in cw[n.i + 1 : n.i + 3] if w.content), None)
        if (
            verb is None
            or _noun_compound(cw, n, verb)
            or verb.name
            or verb.brk
            or verb.i not in check.matched
            or any(w.low in PREPOSITIONS for w in cw[n.i + 1 : verb.i])
        ):
            continue
        wv = check.matched[verb.i][0]
        left = ww[max(0, wv - 3) : wv]
        if wv >= 2 and ww[wv - 1].low in ("which", "who") and ww[wv - 2].name:
            left = [ww[wv - 2]]  # "Türkiye, which plays": Türkiye plays
        elif _passive(ww[max(0, wv - 3) : wv + 4]):
            continue
        subject = next((w for w in reversed(left) if w.name), None)
        if (
            subject is not None
            and left != [subject]
            and any(w.brk for w in ww[subject.i + 1 : wv + 1])
        ):
            continue  # a clause boundary between the name and the verb
        between = ww[subject.i + 1 : wv] if subject else []
        if (
            subject is None
            or subject.stem == n.stem
            or subject.i == check.matched[n.i][0]  # "Moscow" matched to "Russia"
            or any(w.content for w in between)
        ):
            continue
        if any(_same_place(w, n) for w in left) or subject.low.endswith(("an", "ese")):
            continue
        if subject.low in SLOT_OF:  # "on 3 May, envoys will meet": a date, not a subject
            continue
        msg = f"subject: the evidence has {subject.text} {ww[wv].text}, not {n.text}"
        check.flags.append(msg)
        check.contradicts.append(msg)
        return


def _same_place(a: Word, b: Word) -> bool:
    """The same name, or a capital standing for its country ("Paris" for France)."""
    return (
        a.stem == b.stem
        or stem(CAPITALS.get(a.low, "")) == b.stem
        or stem(CAPITALS.get(b.low, "")) == a.stem
    )


def _noun_compound(words: Sequence[Word], name: Word, head: Word) -> bool:
    """ "the Miami meeting": a name modifying an -ing noun is not the subject of a verb."""
    return head.low.endswith("ing") and name.i > 0 and words[name.i - 1].low in ("the", "a", "an")


def prepositions(claim: Text, window: Text, check: WindowCheck) -> None:
    """'X <prep> Y' in the claim against 'X <prep> Z' in the window, Y nowhere after it."""
    cw = claim.words
    for p in cw:
        if p.low not in PREPOSITIONS:
            continue
        head = next((w for w in reversed(cw[max(0, p.i - 2) : p.i]) if w.content), None)
        obj = next((w for w in cw[p.i + 1 : p.i + 4] if w.content), None)
        if head is None or obj is None or head.i not in check.matched or obj.i not in check.matched:
            continue
        h_stem = window.words[check.matched[head.i][0]].stem
        o_stem = window.words[check.matched[obj.i][0]].stem
        uses = [
            w.i
            for w in window.words
            if w.stem == h_stem and any(x.low == p.low for x in window.words[w.i + 1 : w.i + 3])
        ]
        if uses and not any(o_stem in _objects(window, u, p.low) for u in uses):
            msg = f"role: {head.text} {p.low} {obj.text!r} is not what the evidence says"
            check.flags.append(msg)
            check.contradicts.append(msg)
            return


def _objects(window: Text, head: int, prep: str) -> set[str]:
    """Stems of what ``prep`` after word ``head`` governs: the content words of its clause
    within four words ("on security guarantees for Ukraine", "by France and the UK")."""
    words = window.words
    at = next(x.i for x in words[head + 1 : head + 3] if x.low == prep)
    out: set[str] = set()
    for x in words[at + 1 : at + 9]:
        if x.brk and out:
            break
        if x.content:
            out.add(x.stem)
            if len(out) == 4:
                break
    return out


def order(claim: Text, window: Text, check: WindowCheck) -> None:
    """'A accused B' against 'B accused A': two names tight around one verb, reversed."""
    cw = claim.words
    if _passive(cw):
        return
    for v in cw:
        if not v.content or v.name or v.i not in check.matched:
            continue
        if v.i + 1 < len(cw) and cw[v.i + 1].low in PREPOSITIONS | {"between", "among"}:
            continue
        a = next((w for w in reversed(cw[max(0, v.i - 2) : v.i]) if w.name), None)
        if a is not None and _noun_compound(cw, a, v):
            continue
        b = next((w for w in cw[v.i + 1 : v.i + 3] if w.name), None)
        if a is None or b is None or a.i not in check.matched or b.i not in check.matched:
            continue
        # The names' occurrences nearest the verb: "between Mr Putin and Mr Zelenskyy ...
        # Mr Trump accused Mr Putin" has Putin on both sides of "accused" in the window.
        wv = check.matched[v.i][0]
        near = window.words[max(0, wv - 6) : wv + 7]
        wa = [w.i for w in near if w.stem == a.stem or w.i == check.matched[a.i][0]]
        wb = [w.i for w in near if w.stem == b.stem or w.i == check.matched[b.i][0]]
        swapped = (
            wa
            and wb
            and all(i > wv for i in wa)
            and all(i < wv for i in wb)
            and max(wa) - min(wb) <= 8
        )
        between = window.words[min(wb + wa, default=0) : max(wb + wa, default=0) + 1]
        if swapped and not any(w.low == "by" for w in between):
            msg = f"role: {a.text} and {b.text} swapped around {v.text!r}"
            check.flags.append(msg)
            check.contradicts.append(msg)
            return


_REPORTING = frozenset(
    stem(w)
    for w in "say said says told tell add added stated state stressed emphasized emphasised "
    "wrote write noted note insisted claimed warned argued explained announced spoke".split()
)


def speakers(text: Text) -> set[str]:
    """Names a statement is attributed to: 'X said', '..., said X.', 'according to X'."""
    out: set[str] = set()
    ws = text.words
    for w in ws:
        if w.low == "according" and w.i + 2 < len(ws) and ws[w.i + 1].low == "to":
            # "according to the French leader": a name before a title describes, not names
            after = [
                x
                for x in ws[w.i + 2 : w.i + 6]
                if x.name and not (x.i + 1 < len(ws) and ws[x.i + 1].low in TITLES)
            ]
            out |= {x.stem for x in after}
        elif w.stem in _REPORTING:
            # The run of names just before the verb, within its clause: "beside Mr Macron,
            # Ukrainian President Volodymyr Zelenskyy said" quotes Zelenskyy, not Macron.
            start = w.i
            while start > max(0, w.i - 5) and ws[start - 1].name:
                start -= 1
                if ws[start].brk:
                    break
            before = [x for x in ws[start : w.i] if x.name]
            if before and ws[w.i - 1].name:
                out |= {x.stem for x in before}
            elif w.i + 1 < len(ws) and ws[w.i + 1].name:
                end = w.i + 1
                while end + 1 < len(ws) and ws[end + 1].name and not ws[end + 1].brk:
                    end += 1
                if end + 1 == len(ws) or ws[end + 1].brk:
                    out |= {x.stem for x in ws[w.i + 1 : end + 1]}
    return out


# Offices that speak for a person: "Starmer said ..., Downing Street said" quotes Starmer.
_VOICES = frozenset(stem(w) for w in "downing street white house kremlin elysee".split())


def attribution(claim: Text, window: Text, check: WindowCheck) -> None:
    # Only where the claim's speaker is in the evidence, quoted as saying something else:
    # a speaker the evidence never names is the names check's business.
    said_by = speakers(claim) & {window.words[wi].stem for wi, _ in check.matched.values()}
    if not said_by:
        return
    in_window = speakers(window) - _VOICES
    if in_window and not said_by & in_window:
        check.flags.append(f"attribution: the evidence quotes {', '.join(sorted(in_window))}")


def referents(before: Sequence[Text]) -> frozenset[str]:
    """Who "he" or "she" is at the start of a window: the speaker of the nearest sentence
    before it that names one ("Macron said ... . According to him, ..."), looking past
    sentences that are themselves about "he" ("He expressed support."), at most two back.
    Nothing when that sentence quotes no one: a pronoun is not guessed from a bare name."""
    for text in reversed(before[-2:]):
        named = speakers(text) - _VOICES
        if named:
            return frozenset(named)
        if not any(w.low in ("he", "she") for w in text.words[:3]):
            return frozenset()
    return frozenset()


def speaker_names(text: Text) -> set[str]:
    """The words of the names ``text`` attributes a statement to, as written (lower-case):
    "Lund said ..." makes Lund a name even when no passage mentions Lund."""
    stems = speakers(text)
    return {w.low for w in text.words if w.name and w.stem in stems and w.low not in _GROUPS}


# Capitalised first words that say who spoke without naming anyone: "Officials said ...".
_GROUPS = frozenset(
    "officials leaders sources experts analysts diplomats ministers authorities observers "
    "critics residents witnesses people police they we".split()
)


def misquoted(claim: Text, sentence: Text) -> str | None:
    """Of a two-sentence window, the sentence that holds the claim quotes someone the claim
    does not name (''"…," added Zelenskyy. "The work will be finished in the US," Macron
    said.'' does not back "Zelenskyy said the work will be finished in the US")."""
    said_by = speakers(claim)
    quoted = speakers(sentence) - _VOICES
    if said_by and quoted and not said_by & quoted:
        return f"attribution: the sentence holding the claim quotes {', '.join(sorted(quoted))}"
    return None
