"""The one function that renders prompt files (``rag/prompts/*.txt``, ``$name`` placeholders)."""

from __future__ import annotations

import importlib.resources
from functools import cache
from string import Template

from rag.types import Passage


@cache
def _template(name: str) -> Template:
    text = importlib.resources.files("rag.prompts").joinpath(f"{name}.txt").read_text("utf-8")
    return Template(text.strip())


def render(name: str, **values: str) -> str:
    """Render a prompt file; a missing value is an error, never a silent blank."""
    return _template(name).substitute(values)


def format_passages(passages: list[Passage]) -> str:
    return "\n".join(f"[{p.n}] {p.text}" for p in passages)


def answer_messages(question: str, passages: list[Passage]) -> list[dict[str, str]]:
    # The system prompt comes first and never changes, so llama.cpp reuses its cached prefix.
    return [
        {"role": "system", "content": render("answer_system")},
        {
            "role": "user",
            "content": render("answer_user", passages=format_passages(passages), question=question),
        },
    ]
