"""Dates, titles and sources: the five real articles, the date forms they use, and overrides."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ingest.loaders import load_directory
from ingest.metadata import find_published, find_source, find_title, parse_date
from ingest.sync import build_article
from tests.conftest import DATA

# What each article says about itself. 004 (an AP wire) states no date anywhere, only
# "Thursday" and "earlier this month", so nothing may be guessed for it.
EXPECTED = {
    "000_87e92a4300705097": (dt.date(2025, 11, 25), "Interfax-Ukraine"),
    "001_43b0c0d1ec5d1bd6": (dt.date(2025, 11, 25), None),
    "002_d284d28d32ec8da7": (dt.date(2025, 12, 1), "Censor.NET"),
    "003_e66dc6db878f3d90": (dt.date(2025, 9, 4), None),
    "004_053fbe268d2d0c68": (None, "Associated Press"),
}


def _articles() -> dict[str, object]:
    return {raw.doc_id: build_article(raw) for raw in load_directory(DATA).documents}


def test_dates_and_sources_of_all_five_articles() -> None:
    articles = _articles()
    got = {k: (a.published, a.source) for k, a in articles.items()}  # type: ignore[attr-defined]
    assert got == EXPECTED


def test_titles_prefer_the_headline_over_captions_and_dates() -> None:
    articles = _articles()
    titles = {k: a.title for k, a in articles.items()}  # type: ignore[attr-defined]
    assert titles["003_e66dc6db878f3d90"] == (
        "France's Macron says US support for Ukraine security guarantees will be finalised in "
        "coming days"
    )
    assert titles["002_d284d28d32ec8da7"].startswith("We are working to ensure")
    # Without a headline, the lead's first sentence, dateline removed.
    assert titles["004_053fbe268d2d0c68"].startswith(
        "French President Emmanuel Macron said Thursday"
    )
    assert not titles["000_87e92a4300705097"].startswith("date 2025")
    assert all(0 < len(t) <= 121 for t in titles.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date 2025-11-25 Emmanuel Macron.", dt.date(2025, 11, 25)),
        ("On: November 25, 2025 22:38", dt.date(2025, 11, 25)),
        ("Updated: September 04, 2025, 4:25 PM", dt.date(2025, 9, 4)),
        ("negotiations in France on 1 December 2025", dt.date(2025, 12, 1)),
        ("Sept. 3rd, 2024", dt.date(2024, 9, 3)),
        ("2025-11-25T22:38:00Z", dt.date(2025, 11, 25)),
        ("2025-02-31", None),
        ("no date at all", None),
        ("On Sunday, 30 November, talks resume", None),
    ],
)
def test_parse_date_forms(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


def test_labelled_date_beats_page_date_and_body_dates() -> None:
    text = "November 26, 2025\n\nOn: November 25, 2025 22:38\n\n" + "Body words here. " * 10
    assert find_published(text) == dt.date(2025, 11, 25)
    body_only = "Headline\n\n" + "Talks were held on 3 March 2024 in a long paragraph of words " * 3
    assert find_published(body_only) is None


def test_source_needs_an_outlet_like_name() -> None:
    assert find_source("Lead.\n\nThe move was welcomed, according to him.") is None
    assert find_source("x", url="https://www.example.org/a") == "example.org"
    assert find_source("PARIS (AFP) — Leaders met.") == "Agence France-Presse"


def test_title_falls_back_to_first_sentence() -> None:
    text = (
        "Photo: someone. AFP\n\n"
        + "This is the lead sentence of the article. "
        + "More words " * 20
    )
    assert find_title(text) == "This is the lead sentence of the article."


def test_structured_metadata_wins(tmp_path: Path) -> None:
    # HTML pages' metadata: tests/test_html.py.
    (tmp_path / "b.jsonl").write_text(
        '{"id": "x1", "text": "Body of one.", "title": "One", "published": "March 3, 2024",'
        ' "url": "https://news.example.com/one"}\n'
    )
    articles = {raw.doc_id: build_article(raw) for raw in load_directory(tmp_path).documents}
    line = articles["b-x1"]
    assert line is not None
    assert (line.title, line.published, line.source, line.url) == (
        "One",
        dt.date(2024, 3, 3),
        "news.example.com",
        "https://news.example.com/one",
    )


def test_body_dates_are_not_publication_dates() -> None:
    prose = "Headline\n\nOn 30 November 2025, delegations met in Florida for talks.\n\nMore."
    assert find_published(prose) is None
    wire = "Short para one.\nShort para two.\nShort three.\nThey meet again on 3 March 2026."
    assert find_published(wire) is None
    assert find_published("Body. " * 40 + "\n\nPublished: 2 March 2024") == dt.date(2024, 3, 2)


def test_person_is_not_a_source() -> None:
    assert find_source("Lead. According to Jean-Noël Barrot, talks went well.") is None


def test_markdown_keeps_inline_symbols(tmp_path: Path) -> None:
    (tmp_path / "m.md").write_text("Compute 2*3*4 with my_var_name and *stress* here.")
    assert load_directory(tmp_path).documents[0].text == (
        "Compute 2*3*4 with my_var_name and stress here."
    )
