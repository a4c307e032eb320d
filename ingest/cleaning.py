"""Remove web-page boilerplate from article text, line by line, without touching sentences.

Every rule removes a whole line (or a bullet glyph) that matches a narrow pattern seen on real
news pages; a line that reads as prose is never removed unless it repeats the line before it.
Each removal is recorded with its rule, so tests and ``--explain`` style debugging can see why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_VISITORS = re.compile(
    r"^\d[\d,.\s]*\s+(visitors?|users?|readers?|people)\s+(online|reading)(\s+now)?$", re.I
)
_ADVERT = re.compile(
    r"^(advertisement|advertising|sponsored( content)?|ad|scroll to continue)$", re.I
)
_IMAGE_FILE = re.compile(r"^\S+\.(jpe?g|png|gif|webp|svg|avif)$", re.I)
_READ_MORE = re.compile(
    r"^(read more|read also|also read|see also|related|related (news|articles|stories)|"
    r"more on this( topic)?|recommended)\b\s*[:.]?",
    re.I,
)
_BULLET = re.compile(r"^[•·●▪◦‣∙■□►▶◆◇]\s*")
# e.g. "sites3": a lone lower-case token with a letter (a final "1945" is kept)
_SITE_TAG = re.compile(r"^(?=[a-z0-9_-]*[a-z])[a-z0-9_-]{2,24}$")
_SENTENCE_END = re.compile(r"""[.!?…]["”’)\]]*$""")


@dataclass(frozen=True)
class Removal:
    rule: str
    line: str


@dataclass
class Cleaned:
    text: str
    removed: list[Removal] = field(default_factory=list)


def _words(line: str) -> int:
    return len(line.split())


def _is_headline(line: str) -> bool:
    """A link title in a 'Read more' list: short, without closing punctuation or a colon
    (a line ending in ':' introduces article text)."""
    return 0 < _words(line) <= 20 and not _SENTENCE_END.search(line) and not line.endswith(":")


def clean_text(text: str) -> Cleaned:
    removed: list[Removal] = []
    kept: list[str] = []
    in_link_list = False
    last = ""  # last kept non-blank line, normalized, to catch repeated captions
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(raw.replace("\u00a0", " ").split())
        if not line:
            kept.append("")
            continue
        if in_link_list:
            if _is_headline(line):
                removed.append(Removal("read-more list", line))
                continue
            in_link_list = False
        rule = None
        if _VISITORS.match(line):
            rule = "visitor counter"
        elif _ADVERT.match(line):
            rule = "advertisement"
        elif _IMAGE_FILE.match(line):
            rule = "image file name"
        elif not any(ch.isalnum() for ch in line):
            rule = "separator"
        elif (more := _READ_MORE.match(line)) and (
            not line[more.end() :].strip() or _is_headline(line[more.end() :].strip())
        ):
            rule = "read-more list"
            in_link_list = True
        if rule:
            removed.append(Removal(rule, line))
            continue
        bullet = _BULLET.match(line)
        if bullet:
            item = line[bullet.end() :]
            if _words(item) <= 3 and not re.search(r"[.!?:]", item):
                removed.append(Removal("navigation bullet", line))  # e.g. a language menu
                continue
            removed.append(Removal("bullet glyph", bullet.group().strip()))
            line = item
        if line.casefold() == last:
            removed.append(Removal("repeated line", line))
            continue
        last = line.casefold()
        kept.append(line)
    while kept and (not kept[-1] or _SITE_TAG.match(kept[-1])):
        if kept[-1]:
            removed.append(Removal("trailing site tag", kept[-1]))
        kept.pop()
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return Cleaned(out, removed)
