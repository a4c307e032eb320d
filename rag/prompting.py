"""The one function that renders prompt files (``rag/prompts/*.txt``, ``$name`` placeholders)."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
from collections.abc import Sequence
from functools import cache
from string import Template

from rag.dates import DateHint
from rag.types import Passage


@cache
def _template(name: str) -> Template:
    text = importlib.resources.files("rag.prompts").joinpath(f"{name}.txt").read_text("utf-8")
    return Template(text.strip())


def render(name: str, **values: str) -> str:
    """Render a prompt file; a missing value is an error, never a silent blank."""
    return _template(name).substitute(values)


_ASKS_TIME = re.compile(
    r"\b(when|dates?|dated|day|days|weekday|month|year|first|before|after|earlier|later|"
    r"since|until|order|sequence|recent|latest|ago)\b",
    re.I,
)


def asks_time(question: str, hints: Sequence[DateHint]) -> bool:
    """Whether the answer may need the articles' dates (``hints``: the times the question
    names): only then are they shown, because every token of the prompt costs ~13 ms to read
    on 2 cores."""
    return bool(_ASKS_TIME.search(question) or hints)


def dateline(published: dt.date | None) -> str:
    return f"Published {published:%A} {published.day} {published:%B %Y}." if published else ""


def format_passages(passages: list[Passage], dated: bool = False) -> str:
    def head(p: Passage) -> str:
        return f"({dateline(p.published)}) " if dated and p.published else ""

    return "\n".join(f"[{p.n}] {head(p)}{p.text}" for p in passages)


def answer_messages(
    question: str, passages: list[Passage], dated: bool = False
) -> list[dict[str, str]]:
    # The system prompt comes first and never changes, so llama.cpp reuses its cached prefix.
    return [
        {"role": "system", "content": render("answer_system")},
        {
            "role": "user",
            "content": render(
                "answer_user", passages=format_passages(passages, dated), question=question
            ),
        },
    ]


def retry_messages(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """The answer prompt once more, told that a passage may hold the answer, for a model that
    declined: the same system prompt and passages first, so only the added line is read."""
    *head, user = messages
    return [*head, {**user, "content": f"{user['content']}\n{render('answer_retry')}"}]
