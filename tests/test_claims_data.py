"""The claim-verification benchmark's data (eval/data/claims.jsonl) is well-formed and hard.

Each line is one labelled claim about an article: its evidence must be an exact span of that
article (so a verifier's citation can be checked against it), and no claim may be copied from
an article (the benchmark measures paraphrase and near-miss handling, not string lookup).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eval.claims import NEGATIVE_CLASSES, SUPPORTED_CLASSES
from tests.conftest import DATA, ROOT

CLAIMS = ROOT / "eval/data/claims.jsonl"
# Written later by someone who had not seen the verifier, measured once: never tuned on.
HOLDOUT = ROOT / "eval/data/claims_holdout.jsonl"
# Claims written to pass the structural checks, so that the judge decides: its calibration.
JUDGE_DEV = ROOT / "eval/data/claims_judge_dev.jsonl"
SPLITS = {CLAIMS: {"dev", "test"}, HOLDOUT: {"holdout"}, JUDGE_DEV: {"dev"}}
ARTICLE_DIRS = (DATA, ROOT / "eval/data/articles")
KEYS = {"id", "split", "claim", "label", "class", "doc_id", "evidence", "note"}
# Classes whose claims the articles cannot settle either way: never "contradicted".
ALWAYS_NOT_FOUND = {"plausible_unstated", "restated_question"}
MIN_SUPPORTED_PER_CLASS = 12
MIN_NEGATIVE_PER_CLASS = 10
MIN_CLAIMS = 200


def load_claims(path: Path) -> list[dict[str, Any]]:
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if line.strip():
            row = json.loads(line)
            assert isinstance(row, dict), f"line {lineno} is not an object"
            rows.append(row)
    return rows


def normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@pytest.fixture(
    scope="module", params=[CLAIMS, HOLDOUT, JUDGE_DEV], ids=["claims", "holdout", "judge_dev"]
)
def benchmark(request: pytest.FixtureRequest) -> tuple[Path, list[dict[str, Any]]]:
    return request.param, load_claims(request.param)


@pytest.fixture(scope="module")
def claims(benchmark: tuple[Path, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return benchmark[1]


@pytest.fixture(scope="module")
def articles() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for d in ARTICLE_DIRS for p in d.glob("*.txt")}


def test_rows_have_the_schema(benchmark: tuple[Path, list[dict[str, Any]]]) -> None:
    path, claims = benchmark
    bad_keys = [r.get("id") for r in claims if set(r) != KEYS]
    assert bad_keys == []
    ids = [r["id"] for r in claims]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert all(re.fullmatch(r"c\d{3,}", i) for i in ids)
    assert {r["split"] for r in claims} == SPLITS[path]
    classes = {r["class"] for r in claims}
    assert classes <= SUPPORTED_CLASSES | NEGATIVE_CLASSES
    assert path == JUDGE_DEV or classes == SUPPORTED_CLASSES | NEGATIVE_CLASSES
    for r in claims:
        assert isinstance(r["claim"], str) and len(r["claim"]) >= 10, r["id"]
        assert isinstance(r["note"], str) and r["note"].strip(), r["id"]
    texts = [normalized(r["claim"]) for r in claims]
    assert [t for t, n in Counter(texts).items() if n > 1] == []


def test_labels_agree_with_classes_and_evidence(claims: list[dict[str, Any]]) -> None:
    wrong = []
    for r in claims:
        label, cls = r["label"], r["class"]
        if cls in SUPPORTED_CLASSES:
            ok = label == "supported"
        elif cls in ALWAYS_NOT_FOUND:
            ok = label == "not_found"
        else:
            ok = label in ("contradicted", "not_found")
        # Evidence is given exactly when the article settles the claim.
        ok = ok and ((r["evidence"] is None) == (label == "not_found"))
        if not ok:
            wrong.append(r["id"])
    assert wrong == []


def test_evidence_is_an_exact_span_of_its_article(
    claims: list[dict[str, Any]], articles: dict[str, str]
) -> None:
    unknown = [r["id"] for r in claims if r["doc_id"] is not None and r["doc_id"] not in articles]
    assert unknown == []
    settled = [r for r in claims if r["label"] != "not_found"]
    assert all(r["doc_id"] is not None for r in settled)
    missing = [r["id"] for r in settled if r["evidence"] not in articles[r["doc_id"]]]
    assert missing == []
    # Every article is covered, including the adversarial one.
    assert {r["doc_id"] for r in claims} >= set(articles)


def test_no_claim_is_copied_from_an_article(
    claims: list[dict[str, Any]], articles: dict[str, str]
) -> None:
    texts = [normalized(t) for t in articles.values()]
    copied = [r["id"] for r in claims if any(normalized(r["claim"]) in t for t in texts)]
    assert copied == []


def test_class_counts_balance_and_splits() -> None:
    claims = load_claims(CLAIMS)
    assert len(claims) >= MIN_CLAIMS
    per_class = Counter(r["class"] for r in claims)
    short = {
        c: n
        for c, n in per_class.items()
        if n < (MIN_SUPPORTED_PER_CLASS if c in SUPPORTED_CLASSES else MIN_NEGATIVE_PER_CLASS)
    }
    assert short == {}
    supported = sum(r["label"] == "supported" for r in claims) / len(claims)
    assert 0.4 <= supported <= 0.6
    # Stratified: every class has cases in both splits, and neither split dominates a class.
    for cls, n in per_class.items():
        dev = sum(r["class"] == cls and r["split"] == "dev" for r in claims)
        assert 0 < dev < n and abs(2 * dev - n) <= 2, cls
    dev_share = sum(r["split"] == "dev" for r in claims) / len(claims)
    assert 0.4 <= dev_share <= 0.6


def test_the_holdout_is_new_and_covers_every_class() -> None:
    main, holdout = load_claims(CLAIMS) + load_claims(JUDGE_DEV), load_claims(HOLDOUT)
    assert not {r["id"] for r in main} & {r["id"] for r in holdout}
    assert not {normalized(r["claim"]) for r in main} & {normalized(r["claim"]) for r in holdout}
    per_class = Counter(r["class"] for r in holdout)
    assert set(per_class) == SUPPORTED_CLASSES | NEGATIVE_CLASSES
    assert min(per_class.values()) >= 5
    assert 0.45 <= sum(r["label"] == "supported" for r in holdout) / len(holdout) <= 0.55
