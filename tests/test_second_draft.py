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

from rag.errors import GenerationError
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
    evidence = "The Northport vote was held on Monday. Anna Weller will chair the harbour board."
    at = echoed_lead(draft, QUESTION, evidence)
    assert (draft[at:] if at is not None else None) == rest


@pytest.mark.parametrize(
    ("question", "draft", "evidence"),
    [
        # The year narrows the answer, and the passages hold another one.
        (
            "In 2024, how many ferries did Northport buy?",
            "In 2024, Northport bought 40 ferries.",
            "Northport bought 40 ferries in 2023.",
        ),
        # A weekday of the premise that neither the passages nor their dates hold.
        (
            "After the vote on Friday, who will chair the harbour board?",
            "After the vote on Friday, Anna Weller will chair the harbour board.",
            "After the vote on Monday, Anna Weller will chair the harbour board.",
        ),
        # A condition and a source are part of the claim, not a premise.
        (
            "If the council rejects the plan, what will Weller do?",
            "If the council rejects the plan, Weller will resign from the board.",
            "Weller will resign from the board if the council rejects the plan.",
        ),
        (
            "According to the council, how many ferries did Northport buy?",
            "According to the council, Northport bought 40 ferries.",
            "Northport bought 40 ferries, the shipyard said.",
        ),
    ],
)
def test_a_lead_that_narrows_the_answer_stays_to_be_verified(
    question: str, draft: str, evidence: str
) -> None:
    assert echoed_lead(draft, question, evidence) is None


def test_the_lead_of_the_asked_question_of_a_follow_up() -> None:
    question = "Who chairs the board? And after the Northport vote, who will chair it?"
    draft = "After the Northport vote, Anna Weller will chair the harbour board."
    evidence = "After the Northport vote, Anna Weller will chair the harbour board."
    at = echoed_lead(draft, question, evidence)
    assert at is not None and draft[at:] == "Anna Weller will chair the harbour board."


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
    _passage(
        1,
        "The regatta will be held in Eastbay in August.",
        "The Northport vote on Monday was close.",
    ),
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
    assert answer.trace.decision == (
        "abstain: the model declined, and its second draft was refused: "
        "the judge did not take it as the answer (P(yes) 0.60)"
    )


@pytest.mark.parametrize(
    ("second", "decision"),
    [
        ("NOT IN ARTICLES", "abstain: the model found no answer in the passages, asked twice"),
        ("", "abstain: the model found no answer in the passages, asked twice"),
        (
            "According to him, the next few days will allow us to precisely determine the "
            "contribution of each party [1].",
            "abstain: the model declined, and its second draft was refused: "
            "a near miss (no sentence gives the name the question asks)",
        ),
    ],
)
def test_a_second_decline_an_empty_or_a_near_miss_draft_is_refused_and_says_so(
    service: Service, second: str, decision: str
) -> None:
    generator = ScriptedGenerator(["NOT IN ARTICLES", second])
    answer = with_generator(service, generator).answer(WHO)
    assert answer.abstained and answer.trace.decision == decision
    assert len(generator.prompts) == 2 and "retry_completion" in answer.trace.tokens


class FailingSecondDraft(ScriptedGenerator):
    def __init__(self) -> None:
        super().__init__([])
        self.timeouts: list[float] = []

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        self.prompts.append(messages)
        self.timeouts.append(timeout_s)
        if len(self.prompts) > 1:
            raise GenerationError("The LLM did not finish in time.")
        yield "NOT IN ARTICLES"


def test_a_second_draft_that_fails_gives_the_quotes_within_one_deadline(service: Service) -> None:
    generator = FailingSecondDraft()
    answer = with_generator(service, generator).answer(WHO)
    assert answer.fallback and answer.citations, answer.trace.decision
    assert answer.trace.decision == "fallback: second draft: The LLM did not finish in time."
    # The second draft gets what is left of the first one's deadline, not a new one.
    first, second = generator.timeouts
    assert 0 < second < first
