"""HTML to article text with trafilatura: the main content, and title, date and site name from
the page's metadata (meta tags, JSON-LD, <time>; dates through htmldate).

Why trafilatura and these settings: on 181 real news and blog pages with hand-marked bodies
(``bench/extraction.py``, BENCHMARKS.md) the hand-kept BeautifulSoup rules this replaced scored
F1 0.808, trafilatura's default 0.953, its body without readers' comments (not the article;
the default appends them) 0.960, and this loader, which puts the headline first, 0.952.
htmldate runs without its "extensive search": that search takes any date in the text, so the
date of the event a story reports ("sea trials are due on 3 March") became its publication
date; without it 179 of the 181 pages still get a date.

A page is refused with the reason as the message (``HtmlSkip``) when it is empty, too large to
read in bounded time, not HTML at all, or holds no sentence once the chrome is gone (a menu, a
list of links, a form): trafilatura's last fallback returns whatever text a page has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import trafilatura
from trafilatura.settings import Document

# The benchmark's largest page is 1.5 MB with 1,600 elements. trafilatura's time grows faster
# than linearly with elements (20 s at 100,000 small ones, 11 min at 670,000), so both are bounded.
MAX_CHARS = 10_000_000
MAX_ELEMENTS = 50_000
_DATES = {"extensive_search": False, "original_date": True}
# An article has at least one sentence end (Latin, CJK, Devanagari, Arabic); menus, link lists
# and forms have none.
_SENTENCE_END = re.compile(r"""[.!?…。！？।؟۔]["”’»)\]]*(?:\s|$)""")
# Between a headline and the site's name; a hyphen only after a space ("Fox-hunting" stays).
_SEPARATOR = r"\s*(?:[|:·•–—]|\s-)\s*"


class HtmlSkip(ValueError):
    """The page holds no article the loader can take; the message says why."""


@dataclass(frozen=True)
class HtmlArticle:
    text: str  # the headline, then the body's blocks, separated by blank lines
    title: str | None
    published: str | None  # ISO date (YYYY-MM-DD)
    source: str | None  # the site's name
    url: str | None  # the page's own URL when it names one (canonical, og:url)


def headline(title: str | None, site: str | None) -> str | None:
    """The page title without the site's name around it ("Story - Site", "Site | Story")."""
    title = " ".join((title or "").split())
    site = " ".join((site or "").split())
    if site and title.casefold() != site.casefold():
        name = re.escape(site)
        title = re.sub(rf"^{name}{_SEPARATOR}|{_SEPARATOR}{name}$", "", title, flags=re.I)
    return title or None


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _opens_with(text: str, title: str) -> bool:
    """Whether the body already starts with the headline, maybe written differently (case,
    quotes, dashes) or without the title's label ("Opinion | …")."""
    first, head = _words(text.split("\n", 1)[0]), _words(title)
    return first.startswith(head) or (len(first.split()) >= 3 and first in head)


def extract(html: str) -> HtmlArticle:
    """The article in ``html``; raises ``HtmlSkip`` naming why there is none."""
    if not html.strip():
        raise HtmlSkip("empty HTML page")
    if len(html) > MAX_CHARS:
        raise HtmlSkip(
            f"HTML page too large ({len(html) / 1e6:.1f} MB; the limit is {MAX_CHARS / 1e6:.0f} MB)"
        )
    tree = trafilatura.load_html(html)
    if tree is None:  # trafilatura refuses a one-element fragment ("<p>…</p>"); wrapped, it reads
        tree = trafilatura.load_html(f"<html><body>{html}</body></html>")
    if tree is None:
        raise HtmlSkip("not an HTML page (nothing could be parsed)")
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_ELEMENTS:
        raise HtmlSkip(
            f"HTML page too large ({elements:,} elements; the limit is {MAX_ELEMENTS:,})"
        )
    doc = trafilatura.bare_extraction(
        tree, include_comments=False, with_metadata=True, date_extraction_params=_DATES
    )
    body = (doc.text or "") if isinstance(doc, Document) else ""
    if not isinstance(doc, Document) or not _SENTENCE_END.search(body):
        raise HtmlSkip("no article text found (no sentence outside the page's menus and links)")
    title = headline(doc.title, doc.sitename)
    blocks = [" ".join(line.split()) for line in body.split("\n")]
    text = "\n\n".join(b for b in blocks if b)
    # The headline is part of the article, as in a text file: searched and quotable.
    if title and not _opens_with(text, title):
        text = f"{title}\n\n{text}"
    return HtmlArticle(text=text, title=title, published=doc.date, source=doc.sitename, url=doc.url)


def html_to_text(html: str) -> tuple[str, dict[str, str | None]]:
    """The loaders' form: (text, {"title", "published", "source", "url"})."""
    article = extract(html)
    meta = {
        "title": article.title,
        "published": article.published,
        "source": article.source,
        "url": article.url,
    }
    return article.text, meta
