"""Dates in text: the one month table, publication dates, and the times a question names.

Ingest reads an article's publication date with ``parse_date`` ("2025-11-25", "November 25,
2025", "1 December 2025"); retrieval and evidence prefer articles dated near a day or in a
month a question names (``date_hints``, parsed once per question).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))

# A full date with its year: ISO, "November 25, 2025" or "25 November 2025".
_FULL_ISO = r"(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
_MDY = rf"(?P<am>{_MONTH})\.?\s+(?P<ad>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<ay>\d{{4}})"
_DMY = rf"(?P<bd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<bm>{_MONTH})\.?,?\s+(?P<by>\d{{4}})"
DATE = re.compile(rf"\b(?:{_FULL_ISO}|{_MDY}|{_DMY})\b", re.I)


def parse_date(text: str) -> dt.date | None:
    """The first date in ``text`` (ISO, 'November 25, 2025' or '1 December 2025')."""
    text = text.strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    m = DATE.search(text)
    if not m:
        return None
    g = m.groupdict()
    try:
        if g["iy"]:
            return dt.date(int(g["iy"]), int(g["im"]), int(g["id"]))
        if g["ay"]:
            return dt.date(int(g["ay"]), MONTHS[g["am"].lower()], int(g["ad"]))
        return dt.date(int(g["by"]), MONTHS[g["bm"].lower()], int(g["bd"]))
    except ValueError:  # e.g. 2025-02-31
        return None


# --- times a question names ---------------------------------------------------------------

# A report is often dated the day after the day it names ("talks on Sunday, 30 November" in an
# article of 1 December), and time zones shift a day; wider windows reward more distractors.
DATE_SLACK_DAYS = 1

_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\b\.?(?:,?\s+(\d{{4}}))?", re.I
)
_MONTH_DAY = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I
)
_MONTH_ONLY = re.compile(
    rf"\b(?:in|during|since|of|early|late|mid)\s+({_MONTH})\b(?:\s+(\d{{4}}))?", re.I
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


@dataclass(frozen=True)
class DateHint:
    """A time the question names: a day, or a whole month when ``day`` is None."""

    month: int
    day: int | None = None
    year: int | None = None

    def matches(self, day: dt.date | None) -> bool:
        """A named month holds ``day``, or a named day lies within ``DATE_SLACK_DAYS`` of it
        (in the nearest year when the question names none)."""
        if day is None:
            return False
        if self.day is None:
            return day.month == self.month and self.year in (None, day.year)
        years = (day.year - 1, day.year, day.year + 1) if self.year is None else (self.year,)
        for year in years:
            try:
                named = dt.date(year, self.month, self.day)
            except ValueError:  # 30 February, or 29 February outside a leap year
                continue
            if abs((day - named).days) <= DATE_SLACK_DAYS:
                return True
        return False


def date_hints(question: str) -> list[DateHint]:
    """Every day and month the question names, in the order of the patterns."""
    hints = []
    for m in _ISO.finditer(question):
        hints.append(DateHint(int(m[2]), int(m[3]), int(m[1])))
    for m in _DAY_MONTH.finditer(question):
        hints.append(DateHint(MONTHS[m[2].lower()], int(m[1]), int(m[3]) if m[3] else None))
    for m in _MONTH_DAY.finditer(question):
        if int(m[2]) <= 31:
            hints.append(DateHint(MONTHS[m[1].lower()], int(m[2]), int(m[3]) if m[3] else None))
    for m in _MONTH_ONLY.finditer(question):
        hints.append(DateHint(MONTHS[m[1].lower()], None, int(m[2]) if m[2] else None))
    return [h for h in hints if h.day is None or 1 <= h.day <= 31]


# --- dates and times spelt one way, for comparing statements --------------------------------

# The first (full) name of each month in the table above; strftime would follow the locale.
_MONTH_NAMES = {i: name.capitalize() for name, i in reversed(list(MONTHS.items()))}
_CLOCK_12 = re.compile(r"\b(\d{1,2}):(\d{2})\s*([AaPp])\.?[Mm](\.?)(?![A-Za-z])")


def spell_dates(text: str) -> str:
    """Dates and times written one way, for comparing statements: "2025-11-14" as "14
    November 2025", "4:25 PM" as "16:25". Offsets change: for analysis, never for quoting."""

    def iso(m: re.Match[str]) -> str:
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:  # 2025-02-31
            return m[0]
        return f"{day.day} {_MONTH_NAMES[day.month]} {day.year}"

    def clock(m: re.Match[str]) -> str:
        hour, minute, half = int(m[1]), m[2], m[3].lower()
        if not 1 <= hour <= 12:
            return m[0]
        hour = hour % 12 + (12 if half == "p" else 0)
        # "at 4:25 p.m. Police said": the full stop may end the sentence too
        return f"{hour}:{minute}{m[4]}"

    return _CLOCK_12.sub(clock, _ISO.sub(iso, text))
