"""Boilerplate removal on the five real articles, and that no article sentence is ever lost."""

from __future__ import annotations

import re

import pytest

from ingest.cleaning import clean_text
from tests.conftest import DATA

ARTICLES = sorted(DATA.glob("*.txt"))


def _cleaned(stem: str) -> str:
    return clean_text((DATA / f"{stem}.txt").read_text()).text


def _prose_lines(raw: str) -> list[str]:
    """Every line of the raw article that reads as a sentence: six words or more and closing
    punctuation (link titles and headings have none)."""
    out = []
    for line in raw.splitlines():
        line = " ".join(re.sub(r"^[\s•]+", "", line).split())
        if len(line.split()) >= 6 and re.search(r"""[.!?:"”’]$""", line):
            out.append(line)
    return out


def test_the_five_articles_are_bundled() -> None:
    assert [p.stem for p in ARTICLES] == [
        "000_87e92a4300705097",
        "001_43b0c0d1ec5d1bd6",
        "002_d284d28d32ec8da7",
        "003_e66dc6db878f3d90",
        "004_053fbe268d2d0c68",
    ]


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.stem)
def test_no_article_sentence_is_dropped(path: object) -> None:
    raw = path.read_text()  # type: ignore[attr-defined]
    cleaned = clean_text(raw).text
    prose = _prose_lines(raw)
    assert len(prose) >= 8
    for line in prose:
        assert line in cleaned, line


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.stem)
def test_every_raw_line_is_kept_or_accounted_for(path: object) -> None:
    result = clean_text(path.read_text())  # type: ignore[attr-defined]
    kept = set(result.text.splitlines())
    removed = {r.line for r in result.removed}
    for line in path.read_text().splitlines():  # type: ignore[attr-defined]
        line = " ".join(line.split())
        if line:
            assert line in kept or line in removed or line.lstrip("• ") in kept, line


def test_subheadings_are_kept() -> None:
    text = _cleaned("000_87e92a4300705097")
    assert "\nSecurity guarantees for Ukraine\n" in text
    assert "\nPressure on Russia\n" in text


def test_visitor_counter_removed() -> None:
    text = _cleaned("002_d284d28d32ec8da7")
    assert "visitors online" not in text
    assert text.startswith("We are working to ensure")


def test_advertisement_and_read_more_list_removed() -> None:
    text = _cleaned("000_87e92a4300705097")
    assert "Advertisement" not in text
    assert "Read more" not in text
    assert "Carries laser weapons" not in text
    assert "Russian landing ship under attack" not in text
    assert text.endswith("Macron added that Ukraine must continue to receive support.")


def test_bullet_glyphs_stripped_but_items_kept() -> None:
    text = _cleaned("002_d284d28d32ec8da7")
    assert "•" not in text
    assert "\nOn Sunday, 30 November, representatives of the United States and Ukraine" in text


def test_repeated_caption_kept_once_and_language_menu_dropped() -> None:
    raw = (DATA / "003_e66dc6db878f3d90.txt").read_text()
    caption = "France's President Emmanuel Macron greets Ukraine's President Volodymyr Zelenskyy"
    assert raw.count(caption) == 4
    text = _cleaned("003_e66dc6db878f3d90")
    assert text.count(caption) == 1
    assert text.count("White House special envoy Steve Witkoff, left, shakes hands") == 1
    assert "English" not in text.splitlines()
    assert "Arabic" not in text.splitlines()


def test_trailing_site_tag_and_image_name_removed() -> None:
    text = _cleaned("001_43b0c0d1ec5d1bd6")
    assert "sites3" not in text
    assert "emmanuel-macron-164.jpg" not in text
    assert text.endswith("the 28-point plan did not come from the American pen.")


def test_separator_removed_but_credit_line_kept() -> None:
    text = _cleaned("004_053fbe268d2d0c68")
    assert "___" not in text
    assert "Petrekin reported from London." in text


def test_removals_are_recorded_with_their_rule() -> None:
    removed = clean_text((DATA / "000_87e92a4300705097.txt").read_text()).removed
    assert [(r.rule, r.line) for r in removed][:2] == [
        ("advertisement", "Advertisement"),
        ("read-more list", "Read more:"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Related talks were held in Geneva on Sunday.",
        "Advertisement agencies said the campaign was over.",
        "10 visitors were expected to arrive on Monday, officials said.",
        "Read more about the plan in the annex, the ministry said.",
    ],
)
def test_prose_that_resembles_boilerplate_is_kept(line: str) -> None:
    assert (
        clean_text(f"Title line here\n\n{line}\n\nClosing sentence of the story.").text.count(line)
        == 1
    )


def test_read_more_list_stops_at_prose() -> None:
    raw = (
        "Lead sentence of the story.\n\nRead more:\nSome headline\nAnother headline\n\n"
        "The story goes on here."
    )
    assert clean_text(raw).text == "Lead sentence of the story.\n\nThe story goes on here."


@pytest.mark.parametrize(
    "line",
    [
        "12 people reading newspapers in the park were questioned by police on Monday.",
        "Zelensky listed three demands:",
    ],
)
def test_lines_that_only_resemble_boilerplate_survive(line: str) -> None:
    raw = f"Lead sentence of the story.\n\nRead more:\nSome headline\n\n{line}\n\nMore text."
    assert line in clean_text(raw).text
    assert line in clean_text(f"Lead sentence of the story.\n\n{line}").text


def test_a_final_number_is_not_a_site_tag() -> None:
    assert clean_text("The war ended in\n\n1945").text.endswith("1945")
