"""Words of a claim or an evidence sentence, with what the checks need to know of each.

One pass per text: tokens in order, each with its Snowball stem (aliases and irregular forms
folded, via ``rag.text``'s analyser), whether it is a content word, a name, a negation or a
hedge; and the numbers the text states, digits or words, with the noun each one counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rag.dates import spell_dates
from rag.text import ALIASES as _ALIASES
from rag.text import CANONICAL as _CANONICAL
from rag.text import IRREGULAR, STOPWORDS
from rag.text import shared_stemmer as _stemmer
from rag.verification import lexicon as lx

# A city is not its country when checking a claim: "talks in Moscow" is not "talks in Russia".
_CITIES = frozenset({"london", "paris", "moscow", "washington", "kyiv"})
CANONICAL = {w: c for w, c in _CANONICAL.items() if w not in _CITIES}
# Demonyms and month abbreviations read as the name they stand for.
_FOLD = {
    "german": "germany",
    "italian": "italy",
    "french": "france",
    "chinese": "china",
    "polish": "poland",
    "japanese": "japan",
    "canadian": "canada",
    "finnish": "finland",
    "european": "europe",
    "belgian": "belgium",
    "jan": "january",
    "feb": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}
# Titles are capitalised but name no one.
TITLES = frozenset(
    "president prime minister secretary chancellor general director spokesman spokeswoman "
    "deputy mayor chief head envoy commission commissioner leader king queen mr mrs ms "
    "chairman chairwoman".split()
)
_ORDINAL_SUFFIX = frozenset({"st", "nd", "rd", "th"})
# Multi-word names folded to one token before analysis, so "United Kingdom" is one name.
_PHRASES = [
    (re.compile(r"\bUnited Kingdom\b"), "UK"),
    (re.compile(r"\bUnited States(?: of America)?\b"), "US"),
    (re.compile(r"\bU\.S\.(?:A\.)?"), "US"),
    (re.compile(r"\bU\.K\."), "UK"),
    (re.compile(r"\bEuropean Union\b"), "EU"),
    (re.compile(r"\bEuropean Commission\b"), "EU Commission"),
]

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-zÀ-ÿ]+(?:['’][A-Za-z]+)?")  # "1.1bn": "1.1", "bn"
# Function words that still matter to meaning are kept as content.
_KEEP = frozenset({"more", "most", "only", "first", "before", "after", "against", "out"})
_STOP = (STOPWORDS - _KEEP) | lx.NEGATION | lx.REPORTING_MODALS | {"s", "t"}


@dataclass(frozen=True)
class Word:
    text: str
    low: str
    stem: str
    i: int
    content: bool
    name: bool  # capitalised and not the first word of the text
    brk: bool = False  # a clause boundary (, ; : dash, quote, full stop) comes before it
    initial: bool = False  # first word of a sentence: capitalised whatever it is


@dataclass(frozen=True)
class Number:
    value: float
    i: int  # index of the number's last token
    counts: str | None  # stem of the noun the number counts, if one follows it
    start: int = -1  # index of its first token ("two" of "two dozen", "more" of "more than")
    bound: str | None = None  # lexicon.BOUNDS kind: "more than 20" is ("gt", 20)


@dataclass
class Text:
    raw: str
    words: list[Word]
    numbers: list[Number] = field(default_factory=list)

    @property
    def content(self) -> list[Word]:
        return [w for w in self.words if w.content]

    def stems(self) -> set[str]:
        return {w.stem for w in self.words}


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    low = word.lower().replace("’", "'")
    if low.endswith("'s"):
        low = low[:-2]
    low = CANONICAL.get(low, IRREGULAR.get(low, low))
    return str(_stemmer().stemWord(low))


def _is_number_word(low: str) -> bool:
    return low in lx.UNITS or low in lx.TENS or low in lx.SCALES


def analyse(text: str) -> Text:
    text = spell_dates(text)
    for pattern, short in _PHRASES:
        text = pattern.sub(short, text)
    raw_tokens = [(m.group(0), m.start()) for m in _TOKEN.finditer(text)]
    words: list[Word] = []
    for i, (tok, _) in enumerate(raw_tokens):
        low = tok.lower().replace("’", "'")
        if low.endswith(("'s", "’s")) and tok[:1].isupper():
            low = low[:-2]
        low = _FOLD.get(low, low)
        if low.endswith("n't"):
            low = "not"
        elif low == "us" and tok != "US":  # the pronoun, not the country
            low = "we"
        first = i == 0 or text[: raw_tokens[i][1]].rstrip().endswith((".", "!", "?", ":", "“", '"'))
        is_name = tok[:1].isupper() and not (first and low in _STOP) and low not in TITLES
        after_digit = i > 0 and raw_tokens[i - 1][0][-1:].isdigit() and low in _ORDINAL_SUFFIX
        content = (
            low not in _STOP
            and low not in lx.LIGHT
            and (len(low) > 1 or low.isdigit())
            and not _is_number_word(low)
            and not low[:1].isdigit()
            and not after_digit
        )
        gap = text[raw_tokens[i - 1][1] + len(raw_tokens[i - 1][0]) : raw_tokens[i][1]] if i else ""
        brk = bool(re.search(r"[,;:.!?()\"“”—–]|\s-\s", gap))
        words.append(Word(tok, low, stem(low), i, content, is_name, brk, first))
    numbers = _numbers(words)
    return Text(text, _bounds_as_numbers(words, numbers), numbers)


def _bounds_as_numbers(words: list[Word], numbers: list[Number]) -> list[Word]:
    """ "more than two dozen": the bound and "dozen" belong to the number, which the numbers
    check compares as a whole; they are not content words to find in the evidence."""
    part: set[int] = set()
    for n in numbers:
        part.update(k for k in range(n.start, n.i + 1) if words[k].low in lx.COUNT_WORDS)
        if n.bound:
            part.update(range(n.start, n.i + 1))
    return [replace(w, content=False) if w.i in part else w for w in words]


def _bound(words: list[Word], first: int, value: float) -> tuple[str | None, int]:
    """The bound before a number that starts at ``first`` and where it starts; none before a
    year ("under 2015 rules", "over 2024" are no amounts)."""
    if 1900 <= value <= 2100 and value == int(value):
        return None, first
    for phrase, kind in lx.BOUNDS.items():
        k = first - len(phrase)
        if k >= 0 and tuple(w.low for w in words[k:first]) == phrase:
            return kind, k
    return None, first


def _numbers(words: list[Word]) -> list[Number]:
    """Digits ("26", "1.1 billion") and number words ("twenty-six", "two dozen")."""
    out: list[Number] = []
    i = 0
    while i < len(words):
        low = words[i].low
        value: float | None = None
        j = i
        if low[:1].isdigit():
            value = float(low.replace(",", ""))
        elif low in lx.UNITS or low in lx.TENS:
            value = float(lx.UNITS.get(low, lx.TENS.get(low, 0)))
            if low in lx.TENS and j + 1 < len(words) and words[j + 1].low in lx.UNITS:
                j += 1
                value += lx.UNITS[words[j].low]
        elif low in ("a", "an") and j + 1 < len(words) and words[j + 1].low in lx.COUNT_WORDS:
            j += 1
            value = float(lx.COUNT_WORDS[words[j].low])
        if value is None:
            i += 1
            continue
        while j + 1 < len(words) and words[j + 1].low in lx.SCALES:
            j += 1
            value *= lx.SCALES[words[j].low]
        if j + 1 < len(words) and words[j + 1].low == "dozen":
            j += 1
            value *= 12
        if value == 1 and low in ("one", "a", "an"):  # "one of", "a meeting": not a count
            i = j + 1
            continue
        counts = None
        for k in range(j + 1, min(j + 4, len(words))):
            if words[k].content:
                counts = words[k].stem
                break
        bound, start = _bound(words, i, value)
        out.append(Number(value, j, counts, start, bound))
        i = j + 1
    return out


# A claim may name a country by its capital ("Moscow has rejected..."), but a place is literal
# after "in"/"at": "talks in Moscow" is not "talks in Geneva" with Russia mentioned.
CAPITALS = {
    "moscow": "russia",
    "kyiv": "ukraine",
    "london": "uk",
    "paris": "france",
    "washington": "us",
    "berlin": "germany",
    "rome": "italy",
    "brussels": "eu",
}


def name_vocabulary(texts: list[Text]) -> set[str]:
    """Words written capitalised inside a sentence somewhere in ``texts``: names, so a claim
    that starts with one ("Belgium has...") is held to it like any other name."""
    return {w.low for t in texts for w in t.words if w.name and not w.initial}


def aliases_of(s: str) -> set[str]:
    """Stems that name the same thing as stem ``s`` ("britain" for "uk")."""
    for group in _ALIASES:
        stems = {stem(w) for w in group if " " not in w}
        if s in stems:
            return stems
    return {s}
