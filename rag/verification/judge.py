"""The packaged LLM as an entailment judge: P(yes) that the passage states the claim.

Asked in the answer prompt's own format (same system prompt, the passages first) so that in the
answer path llama.cpp reuses the prompt it has just read and a judgement costs the claim's
tens of tokens, not the passages' hundreds. The probability comes from the next-token
log-probabilities of "yes" against "no" (one forward pass, nothing generated).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from rag.prompting import render


@runtime_checkable
class YesNoModel(Protocol):
    """A generator that can say how likely its next word is "yes" rather than "no"."""

    def yes_probability(self, messages: list[dict[str, str]], *, timeout_s: float) -> float: ...


class Judge(Protocol):
    def probability(self, context: str, claim: str, *, cited: int | None = None) -> float: ...

    def answers(self, context: str, question: str, sentence: str, *, cited: int) -> float: ...


class LLMJudge:
    def __init__(self, model: YesNoModel, *, timeout_s: float) -> None:
        self.model = model
        self.timeout_s = timeout_s

    def messages(self, context: str, claim: str, cited: int | None) -> list[dict[str, str]]:
        where = f"passage [{cited}]" if cited else "the passages"
        return [
            {"role": "system", "content": render("answer_system")},
            {
                "role": "user",
                "content": render("judge_user", passages=context, claim=claim, where=where),
            },
        ]

    def probability(self, context: str, claim: str, *, cited: int | None = None) -> float:
        return self.model.yes_probability(
            self.messages(context, claim, cited), timeout_s=self.timeout_s
        )

    def answers(self, context: str, question: str, sentence: str, *, cited: int) -> float:
        """P(yes) that ``sentence`` of passage ``cited`` answers ``question`` by itself."""
        messages = [
            {"role": "system", "content": render("answer_system")},
            {
                "role": "user",
                "content": render(
                    "judge_answers_user",
                    passages=context,
                    question=question,
                    sentence=sentence,
                    cited=str(cited),
                ),
            },
        ]
        return self.model.yes_probability(messages, timeout_s=self.timeout_s)
