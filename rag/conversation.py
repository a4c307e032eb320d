"""Follow-up questions: condensed into a standalone question with the history, before retrieval.

"And which country plays the maritime role?" retrieves nothing useful on its own; rewritten
with the conversation it names the working group. The rewrite is one short LLM call on a
prompt file; the history shown is trimmed (last turns, markers removed, long turns cut) so
the call stays cheap on a CPU. If the model fails or returns something unusable, the
question is searched together with the previous user turn instead: degraded, never an error.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from rag.errors import GenerationError
from rag.generation import Generator, generate
from rag.prompting import render

_MARKER = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")
_MAX_TURNS = 4
_MAX_WORDS = 60
_MAX_CHARS = 500  # a "word" of a megabyte without spaces is still cut


def _short(text: str) -> str:
    words = _MARKER.sub("", text).split()
    cut = " ".join(words[:_MAX_WORDS])
    cut = cut[:_MAX_CHARS]
    return cut + (" …" if len(cut) < len(" ".join(words)) else "")


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


def format_history(history: list[Turn]) -> str:
    lines = []
    for turn in history[-_MAX_TURNS:]:
        lines.append(f"{'User' if turn.role == 'user' else 'Assistant'}: {_short(turn.content)}")
    return "\n".join(lines)


def condense_messages(history: list[Turn], question: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": render("condense_system")},
        {
            "role": "user",
            "content": render("condense_user", history=format_history(history), question=question),
        },
    ]


def _clean(raw: str) -> str:
    line = next((ln.strip() for ln in raw.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(rewritten( question)?|standalone question)\s*:\s*", "", line, flags=re.I)
    return line.strip().strip('"“”').strip()


def condense(
    generator: Generator,
    history: list[Turn],
    question: str,
    *,
    timeout_s: float,
    max_tokens: int = 60,
) -> tuple[str, str]:
    """The standalone question and how it was made ("none", "llm" or "concatenated")."""
    if not any(t.role == "user" for t in history):
        return question, "none"
    try:
        raw = generate(
            generator,
            condense_messages(history, question),
            max_tokens=max_tokens,
            timeout_s=timeout_s,
        )
        rewritten = _clean(raw)
    except GenerationError:
        rewritten = ""
    # A rewrite must still be a question of sensible length, not an answer or an echo of
    # the prompt; otherwise fall back to searching with the previous user turn.
    if 3 <= len(rewritten.split()) <= 3 * len(question.split()) + 40 and "\n" not in rewritten:
        return rewritten, "llm"
    previous = next(t.content for t in reversed(history) if t.role == "user")
    return f"{_short(previous).removesuffix(' …')} {question}", "concatenated"
