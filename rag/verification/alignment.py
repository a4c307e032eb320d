"""Alignment of a claim's words to an evidence window: every content word matched by stem,
alias, capital or near-synonym; names that the window lacks and antonyms in a word's place
are flagged. The other checks read what this matched (``WindowCheck.matched``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rag.verification import lexicon as lx
from rag.verification.analysis import CAPITALS, Text, Word, stem

# (claim words, window words) -> similarity matrix of their texts, for near-synonyms.
Similarity = Callable[[Sequence[str], Sequence[str]], Sequence[Sequence[float]]]

_ANTONYMS: dict[str, set[str]] = {}
for _a, _b in lx.ANTONYM_PAIRS:
    _ANTONYMS.setdefault(stem(_a), set()).add(stem(_b))
    _ANTONYMS.setdefault(stem(_b), set()).add(stem(_a))
PRONOUNS = frozenset("he him his she her".split())
PREPOSITIONS = frozenset("on against to from by with for over at in into of".split())


def antonyms(a: str, b: str) -> bool:
    return b in _ANTONYMS.get(a, ())


_SYNONYMS: dict[str, set[str]] = {}
for _group in lx.SYNONYMS:
    for _w in _group:
        _SYNONYMS.setdefault(_w, set()).update(_group)


def synonyms(a: str, b: str) -> bool:
    """Words of one near-synonym group (lexicon.SYNONYMS), compared as written."""
    return b in _SYNONYMS.get(a, ())


@dataclass
class WindowCheck:
    matched: dict[int, tuple[int, str]]  # claim word index -> (window word index, how)
    unmatched: list[str]  # the claim's words that are not (every other one is in matched)
    flags: list[str] = field(default_factory=list)  # why the window does not support the claim
    contradicts: list[str] = field(default_factory=list)  # flags that say the opposite

    @property
    def coverage(self) -> float:
        """Share of the claim's content words the window accounts for."""
        total = len(self.matched) + len(self.unmatched)
        return len(self.matched) / total if total else 1.0

    @property
    def vetoed(self) -> bool:
        return bool(self.flags)


def is_name(w: Word, names: set[str]) -> bool:
    return w.name and (not w.initial or w.low in names)


def align_words(
    claim: Text,
    window: Text,
    similar: Similarity,
    soft: float,
    names: set[str],
    given: frozenset[str] = frozenset(),
    referents: frozenset[str] = frozenset(),
    seen: frozenset[str] = frozenset(),
) -> WindowCheck:
    """Match every content word of the claim to a word of the window. ``given``: stems the
    claim borrows from the question that its cited passage holds outside the window ("the
    Paris summit" named two sentences earlier); they are accounted for there."""
    in_window = {w.stem for w in window.words}
    wanted = [w for w in claim.words if w.content and (w.stem in in_window or w.stem not in given)]
    by_stem: dict[str, int] = {}
    for w in window.words:
        by_stem.setdefault(w.stem, w.i)
    matched: dict[int, tuple[int, str]] = {}
    missing: list[Word] = []
    antonym_hits: list[str] = []
    for w in wanted:
        if w.stem in by_stem:
            matched[w.i] = (by_stem[w.stem], "exact")
        else:
            missing.append(w)
    candidates = [w for w in window.words if w.content and w.stem not in {c.stem for c in wanted}]
    if missing and candidates:
        sims = similar([m.low for m in missing], [c.low for c in candidates])
        for m, row in zip(missing, sims, strict=True):
            ranked = sorted(range(len(candidates)), key=lambda j: -row[j])
            for j in ranked[:3]:
                c = candidates[j]
                if antonyms(m.stem, c.stem):
                    antonym_hits.append(f"{m.text!r} against {c.text!r}")
                    break
                if row[j] >= soft and not (m.name or c.name) and not _is_number_like(m, c):
                    matched[m.i] = (c.i, "soft")
                    break
    # An antonym in the window for a claim word that is also unmatched contradicts it.
    for m in missing:
        if m.i in matched:
            continue
        for c in window.words:
            if antonyms(m.stem, c.stem):
                antonym_hits.append(f"{m.text!r} against {c.text!r}")
                break
    for w in wanted:
        if w.i in matched or w.low not in CAPITALS:
            continue
        place = w.i > 0 and claim.words[w.i - 1].low in ("in", "at", "to", "from")
        if not place and stem(CAPITALS[w.low]) in in_window:
            matched[w.i] = (by_stem[stem(CAPITALS[w.low])], "capital")
    # A name spelt another way ("Stephen Cornelius" for "Stefan Kornelius", "Zelenskiy"):
    # news transliterates names. One window name that sounds the same (a skeleton of four
    # consonants or more: not Mali/Milei, Ghana/Guinea) and is no other word of the claim
    # stands for it, unless the passages write the claim's spelling somewhere (then both
    # exist: Scholz is not Schulz). The verifier asks the judge about every such match.
    claim_stems = {w.stem for w in claim.words}
    for w in wanted:
        key = _sound(w.low)
        if w.i in matched or not w.name or len(key) < 4 or w.low in seen:
            continue
        alike = [
            x for x in window.words if x.name and x.stem not in claim_stems and _sound(x.low) == key
        ]
        if len({x.low for x in alike}) == 1:
            matched[w.i] = (alike[0].i, "spelling")
    # "According to him, ...": the name the window's pronoun stands for (roles.referents).
    pronoun = next((w.i for w in window.words if w.low in PRONOUNS), None)
    if pronoun is not None:
        for w in wanted:
            if w.i not in matched and w.name and w.stem in referents:
                matched[w.i] = (pronoun, "referent")
    check = WindowCheck(
        matched=matched,
        unmatched=[w.text for w in wanted if w.i not in matched],
    )

    def span_found(w: Word) -> bool:  # "Emmanuel Macron" is found where "Macron" is
        i, j = w.i, w.i
        while i > 0 and claim.words[i - 1].name and not claim.words[i].brk:
            i -= 1
        while j + 1 < len(claim.words) and claim.words[j + 1].name and not claim.words[j + 1].brk:
            j += 1
        # A first name spelt alike does not vouch for another surname ("Stefan Seibert").
        return any(k in matched and matched[k][1] != "spelling" for k in range(i, j + 1))

    missing_names = [
        w.text for w in wanted if is_name(w, names) and w.i not in matched and not span_found(w)
    ]
    if missing_names:
        check.flags.append(f"names not in evidence: {', '.join(missing_names)}")
    for hit in dict.fromkeys(antonym_hits):
        check.flags.append(f"antonym: {hit}")
        check.contradicts.append(f"antonym: {hit}")
    return check


def _sound(low: str) -> str:
    """A consonant skeleton of a name: Stefan/Stephen "stfn", Kornelius/Cornelius "krnls"."""
    s = unicodedata.normalize("NFKD", low).encode("ascii", "ignore").decode()
    for a, b in (("ph", "f"), ("ck", "k"), ("c", "k"), ("q", "k"), ("w", "v"), ("x", "ks")):
        s = s.replace(a, b)
    out = s[:1] + "".join(ch for ch in s[1:] if ch not in "aeiouyh")
    return "".join(ch for k, ch in enumerate(out) if not k or ch != out[k - 1])


def _is_number_like(a: Word, b: Word) -> bool:
    return a.low[:1].isdigit() or b.low[:1].isdigit()
