"""One cached prompt per system prompt (rag/generation/prefixes.py), with the real model: a
condense-like prompt between two answers no longer costs the answer its cached prefix, and
what the model says is what a fresh context says."""

from __future__ import annotations

import pytest

from rag.generation import generate
from rag.generation.llama import LlamaCppGenerator
from tests.model_fixtures import packaged_model

pytestmark = pytest.mark.slow

ANSWER_SYSTEM = (
    "You answer questions about harbour news from the passages given, in one sentence. "
    "Cite the passage you used as [n]. If the passages do not say, answer that they do not. " * 4
)
REWRITE_SYSTEM = "You rewrite the last question so that it stands alone. Do not answer it. " * 3
PASSAGE = "[1] The port of Vik reopened on Monday after a strike of nine days by the crane crews."


def ask(question: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": ANSWER_SYSTEM},
        {"role": "user", "content": f"Passages:\n{PASSAGE}\n\nQuestion: {question}"},
    ]


REWRITE = [
    {"role": "system", "content": REWRITE_SYSTEM},
    {"role": "user", "content": "User: When did Vik reopen?\nLast question: And why was it shut?"},
]


@pytest.fixture(scope="module")
def generators() -> dict[int, LlamaCppGenerator]:
    return {kept: LlamaCppGenerator(packaged_model(), kept_prompts=kept) for kept in (1, 2)}


def run(gen: LlamaCppGenerator) -> tuple[str, int]:
    """A chat's steps: an answer, a rewrite, the next answer; that answer's text and how many
    of its prompt tokens came from the cache."""
    generate(gen, ask("When did the port reopen?"), max_tokens=24, timeout_s=300)
    generate(gen, REWRITE, max_tokens=16, timeout_s=300)
    text = generate(gen, ask("How long was the strike?"), max_tokens=24, timeout_s=300)
    assert gen.last_timings is not None
    return text, gen.last_timings.cached_tokens


def test_the_answer_prefix_survives_a_rewrite_between_answers(
    generators: dict[int, LlamaCppGenerator],
) -> None:
    one_text, one_cached = run(generators[1])
    two_text, two_cached = run(generators[2])
    assert one_cached < 20  # the rewrite's prompt shares only the chat template's first tokens
    assert two_cached > 100  # the whole answer system prompt and more
    # What the restored context says is still read from the passage (the texts may differ by
    # a token: the cells were computed in other batches).
    for text in (one_text, two_text):
        assert any(x in text.lower() for x in ("nine", "9")), text


def test_a_judgement_after_a_switch_equals_a_fresh_one(
    generators: dict[int, LlamaCppGenerator],
) -> None:
    question = ask("Did the crane crews strike for nine days? Answer yes or no.")
    generate(generators[2], ask("When did the port reopen?"), max_tokens=8, timeout_s=300)
    generate(generators[2], REWRITE, max_tokens=8, timeout_s=300)  # parks the answer prompt
    switched = generators[2].yes_probability(question, timeout_s=300)
    fresh = LlamaCppGenerator(packaged_model(), kept_prompts=1).yes_probability(
        question, timeout_s=300
    )
    assert switched == pytest.approx(fresh, abs=0.02)
    assert switched > 0.5  # the passage says so: the restored state is the right one


class FakeContext:
    """What PromptShelf reads of a llama context: its token count."""

    def __init__(self) -> None:
        self.n_tokens = 0
        self.holds = ""


def msgs(system: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": "q"}]


@pytest.mark.parametrize(
    ("keep", "steps", "restored"),
    [
        (2, "ABA", ["A"]),  # the answer prompt's state comes back after the rewrite
        (2, "ABAB", ["A", "B"]),
        (2, "ABCA", []),  # two kept: A was parked out by B when C came
        (3, "ABCA", ["A"]),
        (1, "ABA", []),  # one kept: llama.cpp's own behaviour, nothing parked
    ],
)
def test_the_shelf_restores_the_state_last_parked_under_a_system_prompt(
    monkeypatch: pytest.MonkeyPatch, keep: int, steps: str, restored: list[str]
) -> None:
    from rag.generation import prefixes

    got: list[str] = []
    monkeypatch.setattr(prefixes, "_save", lambda llm: llm.holds)
    monkeypatch.setattr(prefixes, "_restore", lambda llm, parked: got.append(parked))
    shelf, llm = prefixes.PromptShelf(keep), FakeContext()
    for system in steps:
        shelf.switch(llm, msgs(system))
        llm.n_tokens, llm.holds = 10, system  # the prompt was read
    assert got == restored
