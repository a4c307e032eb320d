"""The gold file's schema (errors name the line), the shipped gold set, and the gate's logic."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.gate import BaselineMismatch, compare
from eval.schema import GoldFormatError, check_quotes, load_gold, parse_gold
from tests.conftest import DATA, ROOT

GOOD = {
    "id": "q1",
    "question": "Who leads the group?",
    "answer": "France.",
    "must_contain": [["France"]],
    "doc_ids": ["d"],
    "quotes": ["led by France"],
    "type": "single",
    "answerable": True,
    "split": "dev",
}


def lines(*rows: dict[str, object]) -> str:
    return "\n".join(json.dumps(r) for r in rows) + "\n"


def test_valid_cases_parse_with_history() -> None:
    follow = {**GOOD, "id": "q2", "history": [{"role": "user", "content": "Hi"}]}
    unanswerable = {
        "id": "q3",
        "question": "What is the population?",
        "type": "unanswerable",
        "answerable": False,
        "split": "test",
    }
    cases = parse_gold(lines(GOOD, follow, unanswerable))
    assert [c.id for c in cases] == ["q1", "q2", "q3"]
    assert cases[1].history[0].content == "Hi"


@pytest.mark.parametrize(
    ("line3", "message"),
    [
        ("{not json", "g.jsonl:3: invalid JSON"),
        (json.dumps({**GOOD, "id": "q9", "type": "opinion"}), "g.jsonl:3: type: Input should be"),
        (json.dumps({**GOOD, "id": "q9", "split": "train"}), "g.jsonl:3: split:"),
        (json.dumps({**GOOD, "id": "q9", "quotes": []}), "answerable case needs quotes"),
        (json.dumps({**GOOD, "id": "q9", "answerable": False}), '"answerable" must be false'),
        (json.dumps({**GOOD, "id": "q9", "must_contain": [[]]}), "must_contain groups"),
        (json.dumps({**GOOD, "id": "q9", "extra": 1}), "g.jsonl:3: extra: Extra inputs"),
        (json.dumps(GOOD), "g.jsonl:3: id 'q1' already used on line 1"),
        (
            json.dumps({**GOOD, "id": "q9", "history": [{"role": "bot", "content": "x"}]}),
            "g.jsonl:3: history.0.role",
        ),
    ],
)
def test_a_malformed_line_is_named(line3: str, message: str) -> None:
    text = lines(GOOD) + "\n" + line3 + "\n"  # line 2 is blank: skipped, still counted
    with pytest.raises(GoldFormatError) as err:
        parse_gold(text, "g.jsonl")
    assert message in str(err.value)


def test_missing_or_empty_gold_files(tmp_path: Path) -> None:
    with pytest.raises(GoldFormatError, match="Cannot read the gold file"):
        load_gold(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(GoldFormatError, match="no cases"):
        load_gold(tmp_path / "empty.jsonl")


def test_shipped_gold_set_is_valid_and_covers_what_issue_4_asks() -> None:
    cases = load_gold(ROOT / "eval/data/gold.jsonl")
    folders = (DATA, ROOT / "eval/data/articles")  # the corpus, and adversarial extras
    articles = {p.stem: p.read_text(encoding="utf-8") for d in folders for p in d.glob("*.txt")}
    assert check_quotes(cases, articles) == []
    types = Counter(c.type for c in cases)
    assert len(cases) >= 60
    assert types["unanswerable"] >= 12
    assert all(types[t] >= 5 for t in ("single", "multi", "date", "garbled", "number"))
    assert sum(bool(c.history) for c in cases) >= 4
    assert {c.split for c in cases} == {"dev", "test"}
    for c in cases:  # the reference answer itself passes its must-contain check
        if c.answerable:
            low = c.answer.lower()
            assert all(any(v.lower() in low for v in g) for g in c.must_contain), c.id


def summary(ids: list[str], **metrics: float) -> dict[str, object]:
    return {"run": {"case_ids": ids, "errors": 0}, "metrics": metrics}


def test_gate_flags_only_moves_beyond_tolerance_in_the_wrong_direction() -> None:
    base = summary(["a", "b"], must_contain=0.80, false_abstention=0.10, citation_recall_strict=0.9)
    same_ish = summary(
        ["a", "b"], must_contain=0.72, false_abstention=0.18, citation_recall_strict=1.0
    )
    assert not any(c.regressed for c in compare(same_ish, base, 0.10))
    worse = summary(
        ["a", "b"], must_contain=0.60, false_abstention=0.25, citation_recall_strict=0.9
    )
    regressed = {c.metric for c in compare(worse, base, 0.10) if c.regressed}
    assert regressed == {"must_contain", "false_abstention"}
    with pytest.raises(BaselineMismatch, match="only in this run: \\['c'\\]"):
        compare(summary(["a", "c"], must_contain=0.8), base)
