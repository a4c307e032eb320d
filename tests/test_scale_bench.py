"""bench/scale.py and its synthetic corpus.

The generator is checked directly (deterministic, news-shaped, readable by the loader); the
bench runs as a user runs it, a real process with the real ingest, models and Chroma, at two
small sizes, and its section must carry real numbers.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.synth import article, write_articles
from ingest.loaders import load_directory
from tests.conftest import DATA, ROOT


def test_synthetic_articles_are_seeded_and_news_shaped() -> None:
    assert article(7, 3) == article(7, 3)
    assert article(7, 3)["text"] != article(8, 3)["text"]
    assert article(7, 3)["text"] != article(7, 4)["text"]
    records = [article(7, i) for i in range(200)]
    for r in records:
        assert 400 <= len(r["text"].split()) <= 1000
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["published"])
        assert r["source"].endswith("(synthetic)") and ".invalid/" in r["url"]
    texts = " ".join(r["text"] for r in records)
    for phrase in ("security guarantees", "Coalition of the Willing", "Macron", "Zelenskyy"):
        assert phrase in texts
    assert re.search(r'"[^"]+," [^.]*\b(said|told|added|wrote)\b', texts)  # attributed quotes
    assert re.search(r"^[A-Z .]+ \((AP|AFP|Reuters|dpa|Ukrinform|Bloomberg)\) – ", texts, re.M)
    # Varied, not one template: few repeated sentences across 200 articles.
    sentences = re.split(r"(?<=[.!?\"])\s+", texts)
    assert len(set(sentences)) > 0.6 * len(sentences)


def test_synthetic_files_load_as_articles(tmp_path: Path) -> None:
    paths = write_articles(tmp_path, 7, 10, 7, per_file=3)
    assert [p.name for p in paths] == [
        "synth-7-0000010.jsonl",
        "synth-7-0000013.jsonl",
        "synth-7-0000016.jsonl",
    ]
    loaded = load_directory(tmp_path)
    assert not loaded.skipped
    assert [d.doc_id for d in loaded.documents][:2] == [
        "synth-7-0000010-a000010",
        "synth-7-0000010-a000011",
    ]
    assert len(loaded.documents) == 7
    assert all(d.published and d.title for d in loaded.documents)


@pytest.mark.slow
def test_sizes_must_rise() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/scale.py"), "--sizes", "600,300"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "rising order" in result.stderr


def _cells(section: str, label: str) -> list[str]:
    line = next(x for x in section.splitlines() if x.startswith(f"| {label} |"))
    return [c.strip() for c in line.strip("|").split("|")]


@pytest.mark.slow
def test_small_scale_run(tmp_path: Path) -> None:
    report = tmp_path / "BENCH.md"
    report.write_text("# Benchmarks\n\n<!-- bench:other -->\nkept\n<!-- /bench:other -->\n")
    numbers = tmp_path / "scale.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench/scale.py"),
            *("--sizes", "300,600", "--seed", "7", "--min-queries", "12", "--no-llm-memory"),
            *("--articles", str(DATA)),  # the bundled five, whatever data/ holds
            *("--write", str(report), "--json", str(numbers)),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-4000:]

    data = json.loads(numbers.read_text())
    rows = data["rows"]
    assert [r["target"] for r in rows] == [None, 300, 600]
    base, small, big = rows
    assert base["articles"] == len(list(DATA.glob("*.txt"))) == 5
    assert 5 < small["articles"] < big["articles"]
    for row in rows:
        assert row["real_present"], row["label"]  # the five real articles are in the store
        assert row["bm25_chunks"] == row["chunks"]  # BM25 holds exactly the store's chunks
        assert row["chroma_bytes"] > 0 and row["bm25_bytes"] > 0
        assert 300 < row["peak_rss_mb"] < 8000
        assert 0.0 <= row["recall"] <= 1.0
        assert 0.0 <= row["others_cpu"] <= 1.0
        for stage in ("embed", "dense", "bm25", "fused", "evidence"):
            lat = row["latency_ms"][stage]
            assert lat["n"] == 12 and 0 < lat["p50"] <= lat["p95"] < 60_000, stage
    for row in (small, big):
        assert abs(row["chunks"] - row["target"]) <= 0.15 * row["target"]
        assert row["written"] > 0 and row["ingest_s"] > 0
    assert base["recall"] == 1.0  # every dev quote is found among 26 chunks
    assert big["bm25_bytes"] > small["bm25_bytes"] > base["bm25_bytes"]
    update = data["bm25_update"]
    assert update["chunks"] == big["chunks"] and update["same_chunks"]
    assert update["ingest_updated"] == 1
    assert update["incremental_s"] > 0 and update["full_s"] > 0

    text = report.read_text()
    assert "<!-- bench:other -->\nkept" in text  # other sections are left alone
    section = text[text.index("<!-- bench:scale -->") : text.index("<!-- /bench:scale -->")]
    for label, row in (("5 real articles (baseline)", base), ("300 target", small)):
        cells = _cells(section, label)
        assert cells[2] == f"{row['chunks']:,}"
        assert cells[-1] == f"{row['recall']:.2f}"
        for cell in cells[6:11]:  # p50 / p95 per stage, in ms
            p50, p95 = (float(x) for x in cell.split(" / "))
            assert 0 < p50 <= p95
    assert _cells(section, "600 target")[2] == f"{big['chunks']:,}"
    for must in ("How cost grows: From", "Targets on 2 cores:", "BM25 after changing one"):
        assert must in section
    assert not re.search(r"\b(nan|inf)\b", section)
