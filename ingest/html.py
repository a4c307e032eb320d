"""HTML to article text: the main content's blocks, without navigation, scripts or chrome."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup

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
_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "figcaption", "td")
_CHROME_HINTS = (
    "nav",
    "menu",
    "breadcrumb",
    "share",
    "social",
    "related",
    "cookie",
    "banner",
    "newsletter",
    "subscribe",
    "sidebar",
    "comments",
    "advert",
    "promo",
)


def _meta(soup: Any, *keys: str) -> str | None:
    for key in keys:
        tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
        if tag is not None and tag.get("content", "").strip():
            return str(tag["content"]).strip()
    return None


def _is_chrome(tag: Any) -> bool:
    if tag.attrs is None:
        return False
    marks = " ".join([*tag.get("class", []), tag.get("id", ""), tag.get("role", "")]).lower()
    return any(hint in marks for hint in _CHROME_HINTS)


def html_to_text(html: str) -> tuple[str, dict[str, str | None]]:
    soup = BeautifulSoup(html, "lxml")
    time_tag = soup.find("time", attrs={"datetime": True})
    h1 = soup.find("h1")
    title_tag = soup.find("title")
    meta = {
        "title": _meta(soup, "og:title", "twitter:title")
        or (h1.get_text(" ", strip=True) if h1 else None)
        or (title_tag.get_text(" ", strip=True) if title_tag else None),
        "published": _meta(soup, "article:published_time", "datePublished", "date", "pubdate")
        or (str(time_tag["datetime"]) if time_tag else None),
        "source": _meta(soup, "og:site_name", "application-name"),
        "url": _meta(soup, "og:url"),
    }
    for tag in soup(_DROP):
        tag.decompose()
    for tag in soup.find_all(_is_chrome):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    lines: list[str] = []
    for block in root.find_all(_BLOCKS):
        if block.find(_BLOCKS):  # an outer block: its inner blocks are emitted on their own
            continue
        text = " ".join(block.get_text(" ", strip=True).split())
        if text:
            lines.append(text)
    if not lines:  # no block markup at all: fall back to the plain text
        lines = [line.strip() for line in root.get_text("\n").splitlines() if line.strip()]
    return "\n\n".join(lines), meta
