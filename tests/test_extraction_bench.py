"""bench/extraction.py: the benchmark's metric on hand-counted cases, and the tool as `make bench`
runs it, on a two-page benchmark made here (one page read exactly, one with no article)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.extraction import page_scores, score, shingles
from tests.conftest import ROOT
from tests.test_html import HEADLINE, META_HEAD, PARAGRAPHS, news_page, no_article_page


def test_shingles_count_repeats_and_short_texts() -> None:
    assert shingles("a b c d a b c d") == {
        ("a", "b", "c", "d"): 2,
        ("b", "c", "d", "a"): 1,
        ("c", "d", "a", "b"): 1,
        ("d", "a", "b", "c"): 1,
    }
    assert shingles("only two") == {("only", "two"): 1}  # shorter than 4 tokens: one shingle
    assert shingles(" — ") == {}


def test_page_scores_by_hand() -> None:
    assert page_scores("a b c d e", "a b c d e") == (1.0, 1.0)
    assert page_scores("", "") == (1.0, 1.0)  # an exact match, even of nothing
    # true: abcd bcde cdef; predicted: abcd bcdx -> tp 1, fp 1, fn 2
    assert page_scores("a b c d e f", "a b c d x") == (0.5, 1 / 3)
    assert page_scores("a b c d e", "") == (None, 0.0)  # no prediction: recall 0, no precision
    assert page_scores("a b c d e", "...") == (None, 0.0)


def test_precision_averages_only_pages_with_a_prediction() -> None:
    truth = {"p1": "a b c d e f", "p2": "g h i j"}
    s = score(truth, {"p1": "a b c d x", "p2": ""})
    assert (s.precision, s.recall) == (0.5, (1 / 3 + 0) / 2)
    assert s.f1 == pytest.approx(2 * 0.5 * (1 / 6) / (0.5 + 1 / 6))


def test_the_tool_on_a_small_benchmark(tmp_path: Path) -> None:
    bench = tmp_path / "bench"
    (bench / "html").mkdir(parents=True)
    pages = {"ferry": news_page(META_HEAD), "index": no_article_page()}
    for page, html in pages.items():
        (bench / "html" / f"{page}.html.gz").write_bytes(gzip.compress(html.encode()))
    truth = {
        # The loader's text exactly: headline and paragraphs.
        "ferry": {"articleBody": "\n\n".join([HEADLINE, *PARAGRAPHS]), "url": "https://x/1"},
        "index": {
            "articleBody": "Words a person marked on a page with none.",
            "url": "https://x/2",
        },
    }
    (bench / "ground-truth.json").write_text(json.dumps(truth))
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\n<!-- bench:other -->\nkept\n<!-- /bench:other -->\n")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(ROOT / "bench/extraction.py"), str(bench), *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )

    done = run("--write", str(out), "--check-f1", "0.6")
    assert done.returncode == 0, done.stderr
    written = out.read_text()
    assert "kept" in written and "<!-- bench:extraction -->" in written
    # ferry: exact (precision 1, recall 1); index: skipped (recall 0, no precision).
    assert "| the loader as ingest uses it | 0.667 | 1.000 | 0.500 |" in written
    assert "(1 skipped; index.html: no article text found" in written
    assert "1 with a title from the page's metadata, 1 with a publication date" in written

    failed = run("--check-f1", "0.95")
    assert failed.returncode == 1
    assert "the loader's F1 0.667 is below 0.95" in failed.stderr
