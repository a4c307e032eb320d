"""The text analyser: words, stems, stop words, aliases, numbers and names, in one place.

Three analyses, each kept exactly as it was measured (changing one moves the scores):

* ``tokenize``: BM25's, bm25s's tokenizer (words of two or more letters, Lucene's 33 stop
  words or NLTK's function words, Snowball stems). The index and the re-rank use it.
* ``terms``: a claim's content terms for the support test and the evidence overlap (words
  with apostrophes, a wider stop list, irregular verbs and aliases folded, Snowball stems).
* ``normalize``: SQuAD's answer normalization with Unicode folding, for eval's answer checks.

``words`` (lower-case runs of word characters) is what near-duplicate tests compare.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rag.types import StopList

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Lower-case runs of word characters: what near-duplicate tests compare."""
    return _WORD.findall(text.lower())


def new_stemmer() -> Any:
    """English Snowball (PyStemmer), the stemmer of every analysis here."""
    import Stemmer

    return Stemmer.Stemmer("english")


# --- BM25 ----------------------------------------------------------------------------------

# Contraction fragments in NLTK's list that are also words a question may hinge on
# ("Who won?", "Don Bacon", "Jack Ma"): kept.
_NOT_STOPWORDS = frozenset({"won", "don", "ma"})


@functools.cache
def _nltk_stopwords() -> tuple[str, ...]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return tuple(w for w in STOPWORDS_EN_PLUS if w not in _NOT_STOPWORDS)


def tokenize(texts: Sequence[str], stopwords: StopList = "lucene") -> list[list[str]]:
    """bm25s's tokenizer: lower case, English stop words removed, Snowball stems. Stop words:
    "lucene" (33, bm25s's "en": documents and queries) or "nltk" (bm25s's "en_plus", 176
    of its 179 words: queries only; see ``BM25Params``)."""
    import bm25s

    if not texts:
        return []
    out = bm25s.tokenize(
        list(texts),
        stopwords=list(_nltk_stopwords()) if stopwords == "nltk" else "en",
        stemmer=new_stemmer(),
        return_ids=False,
        show_progress=False,
    )
    return [list(tokens) for tokens in out]


# --- claims: content terms, numbers, names -------------------------------------------------

STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at by for with from as is are was were be been being
    it its this that these those he she they them his her their we our you your i me my not
    no do does did has have had will would shall should can could may might must than then
    there here what which who whom whose when where why how all any both each more most
    other some such only own same so too very also just about into over after before under
    again further once said says say according while during up out off
    """.split()
)

ALIASES = [
    {"uk", "united kingdom", "britain", "british", "london"},
    {"us", "u.s", "united states", "america", "american", "washington"},
    {"türkiye", "turkey", "turkish"},
    {"russia", "russian", "moscow", "kremlin"},
    {"ukraine", "ukrainian", "kyiv"},
    {"france", "french", "paris"},
    {"zelensky", "zelenskyy"},
]
# One spelling per single-word alias, so "Turkey" covers "Türkiye" in term coverage too.
CANONICAL = {w: sorted(g)[0] for g in ALIASES for w in g if " " not in w}
# Irregular forms the Snowball stemmer leaves apart.
IRREGULAR = {
    "led": "lead",
    "met": "meet",
    "said": "say",
    "held": "hold",
    "told": "tell",
    "took": "take",
    "gave": "give",
    "went": "go",
    "began": "begin",
    "won": "win",
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-ZÀ-Ý][\w'’-]+(?:\s+[A-ZÀ-Ý][\w'’-]+)*)")


@functools.lru_cache(maxsize=1)
def shared_stemmer() -> Any:
    """One stemmer for the claim analyses (BM25's tokenizer makes its own per call)."""
    return new_stemmer()


def terms(text: str) -> list[str]:
    """Content terms: stop words and single letters out, aliases and irregular forms folded,
    stemmed."""
    found = [
        CANONICAL.get(w, IRREGULAR.get(w, w))
        for w in re.findall(r"[\w'’]+", text.lower())
        if w not in STOPWORDS and len(w) > 1
    ]
    return list(shared_stemmer().stemWords(found))


def numbers(text: str) -> Counter[str]:
    return Counter(n.replace(",", "") for n in _NUMBER.findall(text))


def names(text: str) -> set[str]:
    """Capitalized runs not opening a sentence, lower-cased."""
    return {m.group(1).lower() for m in _NAME.finditer(text)}


def mentioned(name: str, text: str) -> bool:
    """``name`` (lower case) is in ``text``, as written, by an alias, or word by word."""
    low = text.lower()
    if name in low:
        return True
    for group in ALIASES:
        if name in group:
            return any(re.search(rf"\b{re.escape(a)}\b", low) for a in group)
    # "Emmanuel Macron" is supported by "Macron": every word found counts.
    return all(part in low for part in name.split())


# --- answers -------------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize(text: str) -> str:
    """SQuAD's normalization: lower case, no punctuation, no articles, single spaces; plus
    Unicode folding so "Türkiye" and "Turkiye" or curly and straight quotes compare equal."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = "".join(" " if ch in string.punctuation or ch in "“”‘’–—" else ch for ch in text)
    return " ".join(_ARTICLES.sub(" ", text).split())
