"""What a question asks for (``rag.verification.asked``) and the answer path's near-miss rule:
true, cited sentences that do not answer the question are not shown as its answer. Fictional
sentences, the real structural verifier, no judge."""

from __future__ import annotations

import pytest

from rag.types import Passage, Sentence
from rag.verification.analysis import analyse
from rag.verification.answers import verify_answer
from rag.verification.asked import (
    Asks,
    about,
    actor,
    asked_kind,
    evidence_names,
    gives,
    names_actor,
)
from rag.verification.verifier import ClaimVerifier


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who will chair the harbour board?", "name"),
        ("Whom did the mayor thank?", "name"),
        ("Where will the regatta be held?", "name"),
        ("Which Northport shipyard will build the ferries?", "name"),
        ("In which town did the talks begin?", "name"),
        ("What is the name of the new harbour master?", "name"),
        ("How many ferries will the council buy?", "number"),
        ("How much will the new pier cost?", "number"),
        ("When will the ferries enter service?", "time"),
        ("On what date was the pier opened?", "time"),
        ("What did the mayor say about the pier?", None),
        ("How did the council react?", None),
        ("Why was the regatta moved?", None),
        ("Did the council approve the pier?", None),
        ("Which of the two plans was chosen?", None),
    ],
)
def test_the_kind_of_answer_a_question_asks(question: str, kind: str | None) -> None:
    assert asked_kind(question) == kind


def test_a_name_answer_must_name_someone_the_question_does_not() -> None:
    q = "Who will chair the Northport harbour board?"
    assert gives("name", "Anna Weller will chair it.", q, set())
    assert not gives("name", "The Northport harbour board meets monthly.", q, set())
    # A capitalised first word is a name only if the evidence writes it so mid-sentence.
    names = evidence_names(
        [analyse("Officials expect Weller to chair it, say officials. Eastbay agrees.")]
    )
    assert not gives("name", "Officials said the board will meet.", q, names)
    assert gives("name", "Weller will chair it.", q, names)
    assert gives("name", "Eastbay will chair it.", q, names)  # only ever starts a sentence
    # An alias of a name the evidence has is that name ("Turkey" for "Türkiye").
    assert gives("name", "Turkey will chair it.", q, evidence_names([analyse("Ask Türkiye.")]))
    # A capitalised word the evidence never has is no name it knows.
    assert not gives("name", "Latte will chair it.", q, names)
    # A title names no one.
    assert not gives("name", "The board's new Chairman will be chosen in May.", q, set())


def test_a_number_answer_must_hold_a_number_the_question_does_not() -> None:
    q = "How much will the 12 ferries for Northport cost?"
    assert not gives("number", "Northport will buy 12 ferries.", q, set())
    assert gives("number", "They will cost 40 million euros.", q, set())
    assert gives("number", "They will cost forty million euros.", q, set())


def test_a_time_answer_must_place_the_event_in_time() -> None:
    q = "When will the ferries enter service?"
    assert gives("time", "They enter service in March.", q, set())
    assert gives("time", "They enter service next year.", q, set())
    assert gives("time", "They enter service in 2031.", q, set())
    assert not gives("time", "The ferries are built in Northport.", q, set())


def test_about_is_the_share_of_the_question_a_text_holds() -> None:
    q = "Who will chair the harbour board?"
    assert about(q, "Weller will chair the harbour board.") == 1.0
    assert about(q, "The regatta is held each summer.") == 0.0


def _passage(n: int, *texts: str) -> Passage:
    doc = f"90{n}_fiction"
    sentences = [
        Sentence(doc_id=doc, chunk_id=f"{doc}::v::0000", text=t, start=0, end=len(t), score=0.5)
        for t in texts
    ]
    return Passage(
        n=n, doc_id=doc, chunk_id=f"{doc}::v::0000", title="Harbour", published=None,
        sentences=sentences,
    )  # fmt: skip


@pytest.fixture(scope="module")
def verifier() -> ClaimVerifier:
    return ClaimVerifier(
        None, soft_match=0.8, min_coverage=0.5, judge_threshold=0.5, contradiction_coverage=0.6
    )


PASSAGES = [
    _passage(
        1,
        "Northport council approved a new harbour board on Monday.",
        "The board includes members from Eastbay, Westcliff and the port authority.",
    ),
    _passage(2, "The regatta will be held in Eastbay in August."),
]


def test_a_true_answer_that_is_not_what_was_asked_is_not_shown(verifier: ClaimVerifier) -> None:
    """Verified, cited, and names new names, yet the windows hold little of the question."""
    question = "Who will chair the new Northport harbour board?"
    draft = "The regatta will be held in Eastbay in August [2]."
    out = verify_answer(draft, PASSAGES, verifier, question, answer_about=0.3)
    assert out.citations == []
    assert out.near_miss == "the cited sentences hold 0.00 of the question's words"
    assert any("hold 0.00 of the question" in str(e.get("action")) for e in out.log)


def test_a_who_question_answered_without_a_new_name_is_not_answered(
    verifier: ClaimVerifier,
) -> None:
    question = "Who will chair the new Northport harbour board?"
    draft = "Northport council approved a new harbour board on Monday [1]."
    out = verify_answer(draft, PASSAGES, verifier, question, answer_about=0.3)
    assert out.citations == []
    assert out.near_miss == "no sentence gives the name the question asks"


def test_an_answer_that_gives_what_was_asked_is_kept(verifier: ClaimVerifier) -> None:
    question = "Which towns have members on the new Northport harbour board?"
    draft = "The board includes members from Eastbay and Westcliff [1]."
    out = verify_answer(draft, PASSAGES, verifier, question, answer_about=0.3)
    assert [c.doc_id for c in out.citations] == ["901_fiction"]
    assert "Eastbay" in out.text


def test_when_question_answered_with_a_day(verifier: ClaimVerifier) -> None:
    question = "When did Northport council approve the harbour board?"
    kept = verify_answer(
        "The council approved it on Monday [1].", PASSAGES, verifier, question, answer_about=0.3
    )
    assert kept.citations
    dropped = verify_answer(
        "Northport council approved a new harbour board [1].",
        PASSAGES,
        verifier,
        question,
        answer_about=0.3,
    )
    assert dropped.citations == []


def test_a_quote_offered_instead_of_a_failed_draft_need_only_give_the_asked_kind() -> None:
    """One sentence holds fewer of the question's words than an answer's windows: the share
    is not asked of it, only the name, number or time."""
    question = "Which country plays the maritime role in the new Northport harbour board?"
    sentence = "The board is led by Northport, with close participation from Eastbay."
    asks = Asks("name", evidence_names([analyse(sentence)]))
    assert about(question, sentence) < 0.3
    assert asks.could_answer(question, sentence)
    assert not asks.could_answer(question, "The board is led by Northport.")
    assert Asks(None, set()).could_answer(question, "Anything at all.")


class AcceptingJudge:
    """Says yes to everything: what is left to test is which sentences it is asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def probability(self, context: str, claim: str, *, cited: int | None = None) -> float:
        return 0.9

    def answers(self, context: str, question: str, sentence: str, *, cited: int) -> float:
        self.asked.append(sentence)
        return 0.9


def _judged(judge: AcceptingJudge) -> ClaimVerifier:
    return ClaimVerifier(
        judge, soft_match=0.8, min_coverage=0.5, judge_threshold=0.5, contradiction_coverage=0.6
    )


def test_a_near_miss_is_not_replaced_by_a_quote() -> None:
    judge = AcceptingJudge()
    question = "Who will chair the new Northport harbour board?"
    draft = "Northport council approved a new harbour board on Monday [1]."
    out = verify_answer(draft, PASSAGES, _judged(judge), question, rescue_threshold=0.5)
    assert out.citations == [] and out.near_miss
    assert judge.asked == []


def test_a_near_miss_beside_a_failed_sentence_may_be_rescued_by_the_asked_kind() -> None:
    """Part of the draft failed: the answer may have been there, so the evidence is asked,
    but only its sentences that give a name the question lacks."""
    judge = AcceptingJudge()
    question = "Which towns have members on the new Northport harbour board?"
    draft = "Northport approved the harbour board on Monday [1]. Lisbon has members on it [1]."
    out = verify_answer(draft, PASSAGES, _judged(judge), question, rescue_threshold=0.5)
    assert judge.asked == [
        "The board includes members from Eastbay, Westcliff and the port authority.",
        "The regatta will be held in Eastbay in August.",
    ]
    assert out.quoted and "Eastbay, Westcliff" in out.text


@pytest.mark.parametrize(
    ("question", "answer", "kind"),
    [
        ("How many ships were lost?", "One ship was lost.", "number"),
        ("How many ships were lost?", "None were lost.", "number"),
        ("How many ships were lost?", "Hundreds of ships were lost.", "number"),
        ("When will the ferries enter service?", "In the coming weeks.", "time"),
        ("When will the ferries enter service?", "Within days of the vote.", "time"),
        ("When will the ferries enter service?", "After a ceasefire is signed.", "time"),
    ],
)
def test_amounts_and_times_in_words_are_answers(question: str, answer: str, kind: str) -> None:
    assert asked_kind(question) == kind
    assert gives(kind, answer, question, set())  # type: ignore[arg-type]


def test_what_is_not_a_time_or_number() -> None:
    assert not gives("time", "The council may decide.", "When will it start?", set())
    assert not gives("number", "The ships sank.", "How many ships were lost?", set())


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who will lead the force? How many troops will it have?", "number"),
        ("And who will lead it?", "name"),
        ("According to the article, when will the pier open?", "time"),
        ("How much support does the plan have?", None),
        ("How much money will the council spend?", "number"),
        ("Which minister resigned?", None),
        ("Where does Eastbay stand on the pier?", None),
    ],
)
def test_follow_ups_openings_and_questions_without_a_shape(question: str, kind: str | None) -> None:
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    ("question", "who"),
    [
        ("How did Mayor Lund respond to the harbour plan?", {"lund"}),
        # The surname: "Anna Weller" is not answered by "Anna Lund".
        ("What did Anna Weller reportedly tell the council about the pier?", {"weller"}),
        ("What did Weller say about the ferries?", {"weller"}),
        ("What has Weller said about the ferries?", {"weller"}),
        ("And what did Ursula von der Leyen write?", {"leyen"}),
        ("What did The Northport Herald say about the pier?", {"herald"}),
        ("What did the council say about the ferries?", set()),  # no named person
        ("What did Weller conclude about the ferries?", set()),  # not a statement verb
        ("What did Weller postpone?", set()),  # "post" is a whole verb
        ("Who will chair the harbour board?", set()),
    ],
)
def test_whose_words_a_question_asks_for(question: str, who: set[str]) -> None:
    assert actor(question) == who


def test_a_sentence_is_the_asked_persons_by_name_or_by_he_after_the_name() -> None:
    who = actor("How did Mayor Lund respond to the harbour plan?")
    assert names_actor(who, "Lund called the plan reckless.")
    assert names_actor(who, "He called it reckless.", ["Lund spoke on Monday."])
    # Past a sentence about "he", two back; the speaker quoted before decides.
    assert names_actor(who, "He added it was costly.", ["Lund said so.", "He said it was rushed."])
    assert not names_actor(who, "He called it reckless.", ["Weller spoke on Monday."])
    assert not names_actor(who, "He agreed.", ["Lund met reporters.", "Weller said it was rushed."])
    assert not names_actor(who, "Weller called the plan reckless.")
    assert not names_actor(actor("How did Donald Tusk respond?"), "Donald Trump called it a win.")


REACTIONS = [
    _passage(
        1,
        "Weller published the harbour plan on Monday.",
        "Weller said the plan would bring 400 jobs to Northport.",
    ),
]


def test_someone_elses_words_do_not_answer_how_a_person_responded() -> None:
    """The near miss of the issue: the articles quote another person on the topic."""
    judge = AcceptingJudge()
    question = "How did Mayor Lund respond to Weller's harbour plan?"
    draft = "Weller said the plan would bring 400 jobs to Northport [1]."
    out = verify_answer(draft, REACTIONS, _judged(judge), question, rescue_threshold=0.5)
    assert out.citations == [] and out.near_miss == "no cited sentence is the asked person's"
    # Nor is one of Weller's sentences put to the judge as Lund's answer.
    assert judge.asked == []


def test_the_asked_persons_own_words_answer() -> None:
    question = "What did Weller say about the harbour plan?"
    draft = "Weller said the plan would bring 400 jobs to Northport [1]."
    out = verify_answer(draft, REACTIONS, _judged(AcceptingJudge()), question)
    assert out.citations and out.near_miss is None


def test_a_verified_claim_that_names_the_person_is_theirs() -> None:
    """The window says "He added ..." two sentences after the name; the claim names him."""
    passages = [
        _passage(
            1,
            "Lund spoke to reporters on Monday.",
            "He said the harbour plan was rushed.",
            "He added that the harbour plan would cost too much.",
        )
    ]
    question = "How did Mayor Lund respond to the harbour plan?"
    draft = "Lund added that the harbour plan would cost too much [1]."
    out = verify_answer(draft, passages, _judged(AcceptingJudge()), question)
    assert out.citations and out.near_miss is None
