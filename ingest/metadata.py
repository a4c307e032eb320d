"""Title, publication date and source, read from structured fields first and then the text.

Dates seen in real articles: "date 2025-11-25", "On: November 25, 2025 22:38",
"Updated: September 04, 2025, 4:25 PM", "1 December 2025". A labelled date (date, on,
published, posted, updated) wins over a bare date line at the top, which wins over a date in
the headline area; a date mentioned in the body is never taken as the publication date.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlparse

from rag.dates import DATE, parse_date

_LABELLED = re.compile(r"^(?P<label>date|on|published|posted|updated|last updated)\b\s*:?\s*", re.I)
_TIME = r"(?:,?\s*(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AP]\.?M\.?)?(?:\s*[A-Z]{2,4})?)?"
_BARE_DATE_LINE = re.compile(rf"^(?:\w+day,?\s+)?(?:{DATE.pattern}){_TIME}$", re.I)

_AGENCIES = {
    "AP": "Associated Press",
    "AFP": "Agence France-Presse",
    "Reuters": "Reuters",
    "UPI": "United Press International",
    "dpa": "dpa",
    "Xinhua": "Xinhua",
    "Ukrinform": "Ukrinform",
    "Bloomberg": "Bloomberg",
}
_DATELINE = re.compile(
    rf"^[A-Z][A-Za-z .,'’-]{{1,60}}\((?P<agency>{'|'.join(_AGENCIES)})\)\s*[–—-]\s*"
)
# An outlet named in attribution: a domain-like name (Censor.NET) or a hyphenated agency name
# (Interfax-Ukraine). Ordinary words ("according to him", "to officials") never match.
_ATTRIBUTED = re.compile(
    r"\b(?:according to|as reported by|reported by|reports)\s+"
    r"(?P<outlet>[A-Z][\w]*(?:\.[A-Za-z]{2,4})+)"
    r"|\b(?:as reported by|reported by)\s+(?P<agency>[A-Z][\w]+-[A-Z][\w]+)"
)
_CAPTION = re.compile(r"(\bPhoto:|\b(AFP|AP|Reuters|Getty Images|EPA|Shutterstock)\.?$)")
_TITLE_MAX_WORDS = 25
_HEAD_LINES = 3  # the headline area: where a page puts its title and date


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _is_body(line: str) -> bool:
    return len(line.split()) > _TITLE_MAX_WORDS


def find_published(text: str) -> dt.date | None:
    lines = _lines(text)
    labelled: dict[str, dt.date] = {}
    for i, line in enumerate(lines):
        m = _LABELLED.match(line)
        if not m or not DATE.match(rest := line[m.end() :]):
            continue
        # Near the top a label may lead a caption ("date 2025-11-25 Emmanuel Macron."); further
        # down only "Label: <date>" alone on its line counts, never "On 30 November, talks…".
        colon = ":" in line[: m.end()]
        # "On" without a colon starts prose ("On 30 November, talks…"), never a label.
        if (i < _HEAD_LINES and (colon or m["label"].lower() != "on")) or (
            colon and _BARE_DATE_LINE.match(rest)
        ):
            day = parse_date(rest[:60])
            if day:
                kind = "updated" if "updated" in m["label"].lower() else "published"
                labelled.setdefault(kind, day)
    if labelled:
        return labelled.get("published", labelled.get("updated"))
    head: list[str] = []
    for line in lines[:_HEAD_LINES]:
        if _is_body(line):
            break
        head.append(line)
    for line in head:
        if _BARE_DATE_LINE.match(line):
            return parse_date(line)
    for line in head:
        # A date in a headline counts; a date in a sentence is what the story is about.
        if not re.search(r"[.!?][\"”’]?$", line) and (day := parse_date(line)):
            return day
    return None


def find_source(text: str, url: str | None = None) -> str | None:
    lines = _lines(text)
    for line in lines[:3]:
        if m := _DATELINE.match(line):
            return _AGENCIES[m["agency"]]
    if m := _ATTRIBUTED.search(text):
        return m["outlet"] or m["agency"]
    if url:
        host = urlparse(url).hostname or ""
        return host.removeprefix("www.") or None
    return None


def _first_sentence(line: str, limit: int = 120) -> str:
    line = _DATELINE.sub("", line)
    m = re.search(r"[.!?][\"”’]?(\s|$)", line)
    sentence = line[: m.end()].strip() if m else line
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def find_title(text: str) -> str:
    """The headline: a short line before the first paragraph that is not a caption or date.
    Without one, the lead's first sentence."""
    lines = _lines(text)
    for line in lines:
        if _CAPTION.search(line):
            continue
        if _is_body(line):
            return _first_sentence(line)
        if (
            _LABELLED.match(line)
            or _BARE_DATE_LINE.match(line)
            or line.endswith(".")
            or len(line.split()) < 3
        ):
            continue
        return line
    return _first_sentence(lines[0]) if lines else ""
