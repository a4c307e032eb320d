"""HTML to article text: the main content, without navigation, scripts or page chrome."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup
from bs4.element import NavigableString

# Elements that hold page chrome, never article text.
_DROP = (
    "script",
    "style",
    "noscript",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "template",
    "select",
)
# Elements whose boundaries are line breaks in the text.
_BLOCKS = (
    "address",
    "article",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
)
# Whole class/id tokens (split on - and _) that mark chrome, e.g. "share-buttons".
_CHROME = {
    "nav",
    "navbar",
    "menu",
    "breadcrumb",
    "breadcrumbs",
    "share",
    "social",
    "related",
    "cookie",
    "cookies",
    "banner",
    "newsletter",
    "subscribe",
    "sidebar",
    "comments",
    "advert",
    "advertisement",
    "ad",
    "ads",
    "promo",
}
_NEVER_DROP = ("html", "body", "main", "article")


def _meta(soup: Any, *keys: str) -> str | None:
    for key in keys:
        tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
        if tag is not None and tag.get("content", "").strip():
            return str(tag["content"]).strip()
    return None


def _is_chrome(tag: Any) -> bool:
    if tag.name in _NEVER_DROP or not tag.attrs:
        return False
    words = [*tag.get("class", []), tag.get("id", ""), tag.get("role", "")]
    tokens = {t for w in words for t in re.split(r"[-_\s]+", str(w).lower()) if t}
    return bool(tokens & _CHROME)


def html_to_text(html: str) -> tuple[str, dict[str, str | None]]:
    soup = BeautifulSoup(html, "lxml")
    h1 = soup.find("h1")
    title_tag = soup.find("title")
    meta = {
        "title": _meta(soup, "og:title", "twitter:title")
        or (h1.get_text(" ", strip=True) if h1 else None)
        or (title_tag.get_text(" ", strip=True) if title_tag else None),
        "published": _meta(soup, "article:published_time", "datePublished", "date", "pubdate"),
        "source": _meta(soup, "og:site_name", "application-name"),
        "url": _meta(soup, "og:url"),
    }
    for tag in soup(_DROP):
        tag.decompose()
    for tag in soup.find_all(_is_chrome):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    if meta["published"] is None:  # a <time> in the article, not in the page header
        time_tag = root.find("time", attrs={"datetime": True})
        meta["published"] = str(time_tag["datetime"]) if time_tag else None
    for br in root.find_all("br"):
        br.replace_with(NavigableString("\n"))
    for block in root.find_all(_BLOCKS):
        block.insert_before(NavigableString("\n\n"))
        block.insert_after(NavigableString("\n\n"))
    lines = [" ".join(line.split()) for line in root.get_text().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), meta
