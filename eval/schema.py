"""The gold Q&A format: one JSON object per line, validated with an error that names the line.

    {"id": "q001", "question": "...", "answer": "reference answer",
     "must_contain": [["France", "French"], ["United Kingdom", "UK"]],
     "doc_ids": ["000_87e92a4300705097"], "quotes": ["led by France and the United Kingdom"],
     "type": "single", "answerable": true, "split": "dev",
     "history": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}

* ``must_contain``: groups of accepted variants; a correct answer holds one variant of every
  group (case-insensitive). Empty for unanswerable questions.
* ``doc_ids``: every article that supports the answer; ``quotes``: exact substrings of them.
* ``type``: single | multi | date | garbled | number | unanswerable (the one type with
  ``answerable: false``, which needs no answer, groups, documents or quotes).
* ``history``: optional earlier turns; ``question`` is then a follow-up that needs them.
* ``must_not_contain``: strings no answer may hold (what an injected instruction asks for, or
  words of the system prompt); adversarial cases use it, and the articles they need live in
  ``eval/data/articles/`` (ingested beside the corpus by ``make eval``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rag.conversation import Turn
from rag.errors import RagError

CaseType = Literal["single", "multi", "date", "garbled", "number", "unanswerable"]


class GoldFormatError(RagError):
    """A gold file that cannot be used; the message names the file and line."""


class GoldCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    question: str = Field(min_length=3)
    answer: str = ""
    must_contain: list[list[str]] = Field(default_factory=list)
    doc_ids: list[str] = Field(default_factory=list)
    quotes: list[str] = Field(default_factory=list)
    type: CaseType
    answerable: bool
    split: Literal["dev", "test"]
    history: list[Turn] = Field(default_factory=list)
    must_not_contain: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> GoldCase:
        if self.answerable == (self.type == "unanswerable"):
            raise ValueError('"answerable" must be false exactly when "type" is "unanswerable"')
        if self.answerable:
            missing = [
                k for k in ("answer", "must_contain", "doc_ids", "quotes") if not getattr(self, k)
            ]
            if missing:
                raise ValueError(f"an answerable case needs {', '.join(missing)}")
        elif self.must_contain or self.doc_ids or self.quotes:
            raise ValueError("an unanswerable case has no must_contain, doc_ids or quotes")
        if not all(v.strip() for v in self.must_not_contain):
            raise ValueError("must_not_contain holds only non-empty strings")
        if any(not group or not all(v.strip() for v in group) for group in self.must_contain):
            raise ValueError("must_contain groups must be non-empty lists of non-empty strings")
        return self


def parse_gold(text: str, source: str = "<gold>") -> list[GoldCase]:
    cases: list[GoldCase] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{source}:{lineno}"
        try:
            case = GoldCase.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise GoldFormatError(f"{where}: invalid JSON ({exc.msg}).") from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in exc.errors()
            )
            raise GoldFormatError(f"{where}: {problems}.") from None
        if case.id in seen:
            raise GoldFormatError(f"{where}: id {case.id!r} already used on line {seen[case.id]}.")
        seen[case.id] = lineno
        cases.append(case)
    if not cases:
        raise GoldFormatError(f"{source}: no cases.")
    return cases


def load_gold(path: Path) -> list[GoldCase]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFormatError(f"Cannot read the gold file {path}: {exc}.") from None
    return parse_gold(text, str(path))


def check_quotes(cases: list[GoldCase], articles: dict[str, str]) -> list[str]:
    """Problems with quotes against the article texts (raw files): each quote must be an exact
    substring of one of its case's documents, and every document must exist."""
    problems = []
    for case in cases:
        for doc in case.doc_ids:
            if doc not in articles:
                problems.append(f"{case.id}: unknown document {doc!r}")
        for quote in case.quotes:
            if not any(quote in articles.get(doc, "") for doc in case.doc_ids):
                problems.append(f"{case.id}: quote not found in its documents: {quote[:60]!r}")
    return problems
