"""HTML articles through the real loader (trafilatura, htmldate): the article without the page
around it, title and date from the page's metadata, and bad pages skipped with their reason
without touching what the store already holds."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ingest import html as html_mod
from ingest.html import headline
from ingest.loaders import load_directory
from ingest.sync import build_article
from rag.models.embedder import SentenceTransformerEmbedder
from service.settings import Settings

SITE = "The Harbour Times"
HEADLINE = "Ferry service to the islands resumes after two years"
PARAGRAPHS = [
    "The ferry between Port Ellis and the outer islands carried its first passengers on "
    "Tuesday morning, two years after the old vessel was withdrawn for safety reasons.",
    "The new boat, the Marianne, seats 240 people and can carry 30 cars. It was built in "
    "Gdansk and cost the regional council 18 million euros.",
    "Islanders had relied on a small private launch and on a weekly supply barge since the "
    "service stopped, and several shops on Inish More had closed for good.",
    "The council said crossings would run four times a day in winter and six times a day "
    "from April. Tickets go on sale at the harbour office and online.",
    "A second vessel is planned for 2027, and the first sea trials are due on 3 March 2026, "
    "the harbour master said.",
]
NAV = (
    "<header><a class='logo' href='/'>The Harbour Times</a><nav><ul>"
    + "".join(
        f"<li><a href='/{s.lower()}'>{s}</a></li>"
        for s in ("News", "World", "Business", "Sport", "Culture", "Opinion", "Weather")
    )
    + "</ul></nav></header>"
)
SHARE = (
    "<div class='share-buttons'><a href='#'>Share on Facebook</a> <a href='#'>Share on X</a></div>"
)
RELATED = (
    "<aside class='related'><h3>Related stories</h3><ul>"
    "<li><a href='/a'>Harbour dredging to start in spring</a></li>"
    "<li><a href='/b'>Island school gets new roof</a></li>"
    "<li><a href='/c'>Storm closes coast road for a day</a></li></ul></aside>"
)
COMMENTS = (
    "<section id='comments' class='comments'><h3>3 comments</h3>"
    "<div class='comment'><p class='comment-author'>reader42</p>"
    "<p>Always late, that ferry. I will believe it when I see it.</p></div>"
    "<div class='comment'><p class='comment-author'>islandgirl</p>"
    "<p>Finally! My grandmother can visit again.</p></div></section>"
)
FOOTER = (
    "<footer><p>© 2025 The Harbour Times. All rights reserved.</p>"
    "<a href='/privacy'>Privacy policy</a> <a href='/contact'>Contact us</a></footer>"
)
CHROME = [
    "Business",
    "Weather",
    "Share on",
    "Related stories",
    "dredging",
    "reader42",
    "believe it",
    "grandmother",
    "All rights reserved",
    "Privacy policy",
]


def news_page(head: str, body_extra: str = "", block: str = "p") -> str:
    paragraphs = "".join(f"<{block}>{p}</{block}>" for p in PARAGRAPHS)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>{head}</head><body>{NAV}"
        f"<main><article><h1>{HEADLINE}</h1>{body_extra}{paragraphs}{SHARE}</article>"
        f"{RELATED}{COMMENTS}</main>{FOOTER}</body></html>"
    )


META_HEAD = (
    f"<title>{HEADLINE} - {SITE}</title>"
    f"<meta property='og:title' content='{HEADLINE} - {SITE}'>"
    f"<meta property='og:site_name' content='{SITE}'>"
    "<meta property='article:published_time' content='2025-11-25T08:30:00+01:00'>"
    "<link rel='canonical' href='https://harbourtimes.example/news/ferry-resumes'>"
)


def load_one(folder: Path, name: str, html: str):  # type: ignore[no-untyped-def]
    (folder / name).write_text(html, encoding="utf-8")
    result = load_directory(folder / name)
    assert not result.skipped, result.skipped
    (raw,) = result.documents
    return raw


@pytest.mark.parametrize("block", ["p", "div"])
def test_news_page_is_its_article_without_the_page_around_it(tmp_path: Path, block: str) -> None:
    raw = load_one(tmp_path, "ferry.html", news_page(META_HEAD, block=block))
    article = build_article(raw)
    assert article is not None
    # The headline, then each paragraph, as the text to chunk; nothing of the page around it.
    assert article.text == "\n\n".join([HEADLINE, *PARAGRAPHS])
    assert not [c for c in CHROME if c in raw.text]


def test_title_date_source_and_url_from_meta_tags(tmp_path: Path) -> None:
    article = build_article(load_one(tmp_path, "ferry.html", news_page(META_HEAD)))
    assert article is not None
    assert (article.title, article.published, article.source, article.url) == (
        HEADLINE,  # the site's name taken off the page title
        dt.date(2025, 11, 25),  # not the sea trials' date in the last paragraph
        SITE,
        "https://harbourtimes.example/news/ferry-resumes",
    )


def test_title_and_date_from_json_ld(tmp_path: Path) -> None:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": HEADLINE,
        "datePublished": "2025-10-02T14:00:00Z",
        "dateModified": "2025-10-09T09:00:00Z",
        "publisher": {"@type": "Organization", "name": SITE},
    }
    head = (
        f"<title>{SITE} | Islands</title>"
        f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    )
    raw = load_one(tmp_path, "ld.html", news_page(head))
    assert (raw.title, raw.published, raw.source) == (HEADLINE, "2025-10-02", SITE)
    article = build_article(raw)
    assert article is not None and article.published == dt.date(2025, 10, 2)


def test_time_element_dates_the_page_and_body_dates_never_do(tmp_path: Path) -> None:
    dated = news_page(
        f"<title>{HEADLINE}</title>",
        body_extra="<p class='byline'>By Ann Lee, <time datetime='2025-06-14'>14 June</time></p>",
    )
    assert load_one(tmp_path, "dated.html", dated).published == "2025-06-14"
    # No date in the markup: the sea trials' date in the text is not the publication date.
    undated = load_one(tmp_path, "undated.html", news_page(f"<title>{HEADLINE}</title>"))
    assert undated.published is None
    article = build_article(undated)
    assert article is not None and article.published is None


def test_headline_loses_the_site_name_only() -> None:
    assert headline("Ferry resumes - The Harbour Times", SITE) == "Ferry resumes"
    assert headline("The Harbour Times | Ferry resumes", SITE) == "Ferry resumes"
    assert headline("THE HARBOUR TIMES: Ferry resumes", SITE) == "Ferry resumes"
    assert headline("Fox-hunting ban upheld", "Fox") == "Fox-hunting ban upheld"
    assert headline("Opinion | Ferry resumes", SITE) == "Opinion | Ferry resumes"
    assert headline(SITE, SITE) == SITE  # a page titled only with the site's name keeps it
    assert headline("  ", SITE) is None


def test_body_that_opens_with_its_headline_does_not_repeat_it(tmp_path: Path) -> None:
    # The page title carries a label and other quotes than the headline on the page.
    head = f"<title>Opinion | {HEADLINE.upper()}</title>"
    raw = load_one(tmp_path, "op.html", news_page(head))
    assert raw.text.split("\n\n")[:2] == [HEADLINE, PARAGRAPHS[0]]


def test_a_saved_fragment_reads_like_a_page(tmp_path: Path) -> None:
    raw = load_one(tmp_path, "clip.html", f"<p>{PARAGRAPHS[0]}</p>")
    assert raw.text == PARAGRAPHS[0]


def no_article_page() -> str:
    links = "".join(
        f"<li><a href='/story/{i}'>Headline number {i} about the harbour and the weather</a></li>"
        for i in range(25)
    )
    return (
        f"<html><head><title>{SITE} - Home</title></head><body>{NAV}"
        f"<main><h2>Top stories</h2><ul>{links}</ul></main>{FOOTER}</body></html>"
    )


def bad_pages() -> dict[str, tuple[bytes, str]]:
    many = "<html><body>" + "<i>x</i>" * (html_mod.MAX_ELEMENTS + 1) + "</body></html>"
    huge = "<html><body><p>" + "word " * (html_mod.MAX_CHARS // 5) + "</p></body></html>"
    return {
        "empty.html": (b"", "empty HTML page"),
        "blank.htm": (b" \n\t\n", "empty HTML page"),
        "binary.html": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file (contains NUL bytes)"),
        "latin1.html": ("<p>café</p>".encode("latin-1"), "not UTF-8 text"),
        "index.html": (no_article_page().encode(), "no article text found"),
        "form.html": (
            b"<html><body><form><label>Email</label><input name='e'>"
            b"<label>Password</label><input type='password'><button>Sign in</button>"
            b"</form></body></html>",
            "no article text found",
        ),
        "many.html": (  # <html>, <body> and the <i>s
            many.encode(),
            f"HTML page too large ({html_mod.MAX_ELEMENTS + 3:,} elements; "
            f"the limit is {html_mod.MAX_ELEMENTS:,})",
        ),
        "huge.html": (huge.encode(), "HTML page too large (10.0 MB; the limit is 10 MB)"),
    }


def test_bad_pages_are_skipped_with_their_reason(tmp_path: Path) -> None:
    pages = bad_pages()
    for name, (data, _) in pages.items():
        (tmp_path / name).write_bytes(data)
    result = load_directory(tmp_path)
    assert result.documents == []
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons.keys() == pages.keys()
    for name, (_, reason) in pages.items():
        assert reasons[name].startswith(reason), (name, reasons[name])
    # A file that exists but cannot be read protects its stored article from --prune.
    assert {Path(n).stem for n in pages} <= result.protected_ids


@pytest.mark.slow
def test_a_bad_page_loses_nothing_already_stored(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    from tests.test_ingest_sync import run, snapshot

    page = settings.data_dir / "ferry.html"
    page.write_text(news_page(META_HEAD), encoding="utf-8")
    first = run(settings, embedder)
    assert (first.added, first.skipped) == (6, [])
    before = snapshot(settings)
    assert before["docs"]["ferry"][0].startswith(HEADLINE)

    for data, reason in (
        (b"", "empty HTML page"),
        (no_article_page().encode(), "no article text found"),
        (bad_pages()["many.html"][0], "HTML page too large"),
    ):
        page.write_bytes(data)
        report = run(settings, embedder, prune=True)
        assert [(s.path, s.reason[: len(reason)]) for s in report.skipped] == [
            ("ferry.html", reason)
        ]
        assert (report.unchanged, report.pruned) == (5, 0)
        assert snapshot(settings) == before
