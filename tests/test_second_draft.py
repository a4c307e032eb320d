"""Two second chances an answer gets before it is refused, and what still refuses it:

* a lead-in the draft copied from the question ("After the Northport vote, ...") is the
  question's premise: it is removed and the rest verified (``echoed_lead``);
* when the model declines a question that asks a name, number or time, it is asked once more;
  that draft is verified like any other and must also pass the judge as an answer
  (``verify_retry``, and the pipeline with a scripted generator over the real retrieval).

Fictional sentences and a judge with fixed answers for the rules; the bundled corpus, MiniLM,
Chroma and BM25 for the pipeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rag.generation import GeneratorStatus
from rag.types import Passage, Sentence
from rag.verification.answers import verify_answer, verify_retry
from rag.verification.drafts import echoed_lead
from rag.verification.verifier import ClaimVerifier
from service.core import Service
from tests.api_fixtures import with_generator

QUESTION = "After the Northport vote on Monday, who will chair the harbour board?"


@pytest.mark.parametrize(
    ("draft", "rest"),
    [
        (
            "After the Northport vote on Monday, Anna Weller will chair the harbour board.",
            "Anna Weller will chair the harbour board.",
        ),
        # Not the question's words: the answer's own time or place, which must be verified.
        ("After the vote on Tuesday, Anna Weller will chair the harbour board.", None),
        ("On Monday, Anna Weller will chair the harbour board.", None),
        # What follows the lead is no statement.
        ("After the Northport vote on Monday, Weller.", None),
    ],
)
def test_a_lead_copied_from_the_question_is_its_premise(draft: str, rest: str | None) -> None:
    at = echoed_lead(draft, QUESTION)
    assert (draft[at:] if at is not None else None) == rest


def _passage(n: int, *texts: str) -> Passage:
    doc = f"91{n}_fiction"
    sentences = [
        Sentence(doc_id=doc, chunk_id=f"{doc}::v::0000", text=t, start=0, end=len(t), score=0.5)
        for t in texts
    ]
    return Passage(
        n=n, doc_id=doc, chunk_id=f"{doc}::v::0000", title="Harbour", published=None,
        sentences=sentences,
    )  # fmt: skip


PASSAGES = [
    _passage(1, "The regatta will be held in Eastbay in August."),
    _passage(2, "Anna Weller will chair the harbour board, the council said."),
]


class FixedJudge:
    """Structural checks decide; asked whether a draft answers, it says ``p_answers``."""

    def __init__(self, p_answers: float) -> None:
        self.p_answers = p_answers
        self.asked: list[tuple[str, int]] = []

    def probability(self, context: str, claim: str, *, cited: int | None = None) -> float:
        return 0.9

    def answers(self, context: str, question: str, sentence: str, *, cited: int) -> float:
        self.asked.append((sentence, cited))
        return self.p_answers


def _verifier(judge: FixedJudge) -> ClaimVerifier:
    return ClaimVerifier(
        judge, soft_match=0.8, min_coverage=0.5, judge_threshold=0.5, contradiction_coverage=0.6
    )


def test_the_answer_after_a_copied_lead_is_verified_and_shown_without_it() -> None:
    draft = "After the Northport vote on Monday, Anna Weller will chair the harbour board [2]."
    out = verify_answer(draft, PASSAGES, _verifier(FixedJudge(0.9)), QUESTION)
    assert out.text == "Anna Weller will chair the harbour board [1]."
    assert out.cited_passages == [2] and out.citations[0].doc_id == "912_fiction"
    assert "copied from the question" in str(out.log[0]["lead"])


def test_a_lead_of_the_drafts_own_is_still_verified() -> None:
    """ "On Tuesday" is the draft's claim, not the question's: no passage holds it."""
    draft = "On Tuesday, Anna Weller will chair the harbour board [2]."
    out = verify_answer(draft, PASSAGES, _verifier(FixedJudge(0.9)), QUESTION)
    assert out.citations == []


def test_a_second_draft_is_kept_only_when_the_judge_takes_it_as_the_answer() -> None:
    draft = "Anna Weller will chair the harbour board [2]."
    judge = FixedJudge(0.9)
    kept = verify_retry(draft, PASSAGES, _verifier(judge), QUESTION, threshold=0.7)
    assert kept.text == "Anna Weller will chair the harbour board [1]."
    # The judge was asked about the draft without its marker, naming the shown passage.
    assert judge.asked == [("Anna Weller will chair the harbour board.", 2)]
    refused = verify_retry(draft, PASSAGES, _verifier(FixedJudge(0.6)), QUESTION, threshold=0.7)
    assert refused.citations == [] and refused.text == ""
    assert refused.log[-1]["judge"] == 0.6


def test_a_second_draft_that_fails_verification_never_reaches_the_judge() -> None:
    judge = FixedJudge(0.99)
    out = verify_retry(
        "Paul Brand will chair the harbour board [2].", PASSAGES, _verifier(judge), QUESTION,
        threshold=0.7,
    )  # fmt: skip
    assert out.citations == [] and judge.asked == []


class ScriptedGenerator:
    """Each ``stream`` call yields the next scripted draft; ``yes_probability`` is fixed, so
    the judge accepts every claim and every answer with ``p_yes``."""

    def __init__(self, drafts: list[str], p_yes: float = 0.9) -> None:
        self.drafts = drafts
        self.p_yes = p_yes
        self.prompts: list[list[dict[str, str]]] = []

    @property
    def name(self) -> str:
        return "scripted"

    def status(self) -> GeneratorStatus:
        return GeneratorStatus(up=True, detail="scripted")

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        self.prompts.append(messages)
        yield self.drafts[len(self.prompts) - 1]

    def yes_probability(self, messages: list[dict[str, str]], *, timeout_s: float) -> float:
        return self.p_yes


WHO = "Which countries will lead the working group on security guarantees announced on 25 November?"
RETRIED = "France and the United Kingdom will lead the working group [1]."


def test_a_declined_name_question_is_asked_again_and_the_verified_draft_shown(
    service: Service,
) -> None:
    generator = ScriptedGenerator(["NOT IN ARTICLES", RETRIED])
    answer = with_generator(service, generator).answer(WHO)
    assert not answer.abstained, answer.trace.decision
    assert answer.trace.decision == "answer: asked again after the model declined"
    assert answer.trace.retry_answer == RETRIED and "France" in answer.answer
    assert answer.citations and "France" in answer.citations[0].quote
    # The second prompt is the first with one line added: the cached prefix is reused.
    first, second = generator.prompts
    assert second[0] == first[0]
    assert second[1]["content"].startswith(first[1]["content"])
    assert "may state the answer" in second[1]["content"]


def test_a_second_draft_the_judge_does_not_take_as_the_answer_is_refused(
    service: Service,
) -> None:
    generator = ScriptedGenerator(["NOT IN ARTICLES", RETRIED], p_yes=0.6)
    answer = with_generator(service, generator).answer(WHO)
    assert answer.abstained and answer.citations == []
    assert answer.trace.decision.endswith("found no answer in the passages, asked twice")


def test_a_declined_question_without_a_name_number_or_time_is_not_asked_again(
    service: Service,
) -> None:
    generator = ScriptedGenerator(["NOT IN ARTICLES", RETRIED])
    answer = with_generator(service, generator).answer(
        "What did Macron say about the working group on security guarantees?"
    )
    assert answer.abstained and len(generator.prompts) == 1
    assert answer.trace.retry_answer == ""
