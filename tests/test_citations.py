"""Citation parsing, renumbering and the answer path's verification (``verify_answer`` with the
real claim verifier's structural checks; the LLM judge is tested with the real model elsewhere),
and the MiniLM support checker that eval's citation judge uses."""

from __future__ import annotations

import pytest

from rag.citations import parse_claims
from rag.errors import GenerationError
from rag.models.embedder import SentenceTransformerEmbedder
from rag.support import SupportChecker
from rag.types import Passage, Sentence
from rag.verification.answers import verify_answer
from rag.verification.judge import Judge
from rag.verification.verifier import ClaimVerifier

pytestmark = pytest.mark.slow

TEXTS = {
    1: (
        "001_43b0c0d1ec5d1bd6",
        "Trump stressed that Russia received 1.1 billion euros of fuel "
        "sales from the EU in a year.",
    ),
    2: (
        "000_87e92a4300705097",
        '"We have decided to create a working group tomorrow, led by '
        'France and the United Kingdom, with close participation from Türkiye," Macron explained.',
    ),
    3: (
        "003_e66dc6db878f3d90",
        "About 26 out of 35 participating countries in a summit in Paris "
        "committed to taking part in a reassurance force for Ukraine.",
    ),
}


def _passages(numbers: list[int]) -> list[Passage]:
    out = []
    for i, n in enumerate(numbers, start=1):
        doc, text = TEXTS[n]
        s = Sentence(
            doc_id=doc,
            chunk_id=f"{doc}::v::0000",
            text=text,
            start=100 * n,
            end=100 * n + len(text),
            score=0.5,
        )
        out.append(
            Passage(
                n=i, doc_id=doc, chunk_id=s.chunk_id, title=f"T{n}", published=None, sentences=[s]
            )
        )
    return out


def _verifier(judge: Judge | None = None) -> ClaimVerifier:
    return ClaimVerifier(
        judge, soft_match=0.8, min_coverage=0.5, judge_threshold=0.5, contradiction_coverage=0.6
    )


@pytest.fixture(scope="module")
def verifier() -> ClaimVerifier:
    return _verifier()


@pytest.fixture(scope="module")
def checker(embedder: SentenceTransformerEmbedder) -> SupportChecker:
    return SupportChecker(embedder, threshold=0.55)


def test_parse_claims_attaches_trailing_markers() -> None:
    claims = parse_claims("France leads it. [1] Türkiye takes part [2][3]. Nothing cited here.")
    assert [(c.text, c.cited) for c in claims] == [
        ("France leads it.", [1]),
        ("Türkiye takes part.", [2, 3]),
        ("Nothing cited here.", []),
    ]
    assert parse_claims("A fact [1, 2].")[0].cited == [1, 2]


def test_citations_renumbered_in_order_of_first_use(verifier: ClaimVerifier) -> None:
    passages = _passages([1, 2, 3])
    raw = (
        "26 of 35 countries committed to a reassurance force [3]. "
        "France and the United Kingdom lead the working group [2]."
    )
    out = verify_answer(raw, passages, verifier, "Who committed and who leads?")
    assert out.text == (
        "26 of 35 countries committed to a reassurance force [1]. "
        "France and the United Kingdom lead the working group [2]."
    )
    assert [(c.n, c.doc_id) for c in out.citations] == [
        (1, "003_e66dc6db878f3d90"),
        (2, "000_87e92a4300705097"),
    ]
    assert out.citations[1].quote == TEXTS[2][1]
    assert (out.citations[1].start, out.citations[1].end) == (200, 200 + len(TEXTS[2][1]))
    assert not out.partial


def test_marker_to_unseen_passage_is_removed(verifier: ClaimVerifier) -> None:
    out = verify_answer(
        "France and the United Kingdom lead the working group [7].",
        _passages([2]),
        verifier,
        "Who leads the working group?",
    )
    assert "[7]" not in out.text
    assert out.text.endswith("working group [1].")  # re-attributed to the passage that holds it
    assert out.log[0]["unseen"] == [7]


def test_wrong_passage_is_rejected_and_claim_dropped(verifier: ClaimVerifier) -> None:
    out = verify_answer(
        "France and the United Kingdom will lead the working group [1].",
        _passages([1]),
        verifier,
        "Who leads the working group?",
    )
    assert out.citations == [] and out.text == ""
    assert out.log[0]["action"] == "dropped: no shown passage supports it"


def test_wrong_citation_is_reattributed_to_supporting_passage(verifier: ClaimVerifier) -> None:
    out = verify_answer(
        "France and the United Kingdom will lead the working group [1].",
        _passages([1, 2]),
        verifier,
        "Who leads the working group?",
    )
    assert [c.doc_id for c in out.citations] == ["000_87e92a4300705097"]
    assert out.log[0]["action"] == "re-attributed to passage 2"


def test_invented_number_is_rejected(verifier: ClaimVerifier) -> None:
    out = verify_answer(
        "35 out of 35 participating countries committed to the reassurance force [1].",
        _passages([3]),
        verifier,
        "How many countries committed?",
    )
    assert out.citations == []
    assert "number 35 not in evidence" in str(out.log[0]["passage_1"])


def test_partial_answer_is_marked(verifier: ClaimVerifier) -> None:
    raw = (
        "26 out of 35 countries committed to the reassurance force [1]. "
        "Japan promised 40,000 soldiers for the force [1]."
    )
    out = verify_answer(raw, _passages([3]), verifier, "How many countries committed?")
    assert out.partial
    assert out.text == "26 out of 35 countries committed to the reassurance force [1]."


def test_support_scores_separate_right_and_wrong_passages(checker: SupportChecker) -> None:
    claim = "France and the United Kingdom will lead the working group."
    right = checker.check(claim, [TEXTS[2][1]], "Who leads the group?")
    wrong = checker.check(claim, [TEXTS[1][1]], "Who leads the group?")
    assert right.supported and not wrong.supported
    assert right.score > wrong.score + 0.2


class _AnswerJudge:
    """Says yes (0.9) only to the sentence holding ``words``: a stand-in for the LLM judge,
    which the real-model tests exercise."""

    def __init__(self, words: str) -> None:
        self.words = words

    def probability(self, context: str, claim: str, *, cited: int | None = None) -> float:
        return 0.1

    def answers(self, context: str, question: str, sentence: str, *, cited: int) -> float:
        return 0.9 if self.words in sentence else 0.2


def _judged(words: str) -> ClaimVerifier:
    return _verifier(_AnswerJudge(words))


def test_a_failed_draft_is_answered_by_the_evidence_sentence_the_judge_accepts() -> None:
    question = "How many countries committed?"
    # The draft restates the question: dropped; the judge accepts passage 2's sentence.
    draft = "Countries committed [1]."
    out = verify_answer(
        draft, _passages([2, 3]), _judged("26 out of 35"), question, rescue_threshold=0.8
    )
    assert out.quoted and not out.partial
    assert out.text == f"“{TEXTS[3][1]}” [1]"
    assert out.citations[0].quote == TEXTS[3][1] and out.citations[0].doc_id == TEXTS[3][0]
    assert out.log[0]["action"] == "dropped: restates the question"
    # Below the threshold, or with no judge, nothing is shown: the pipeline abstains.
    judged = _judged("26 out of 35")
    assert not verify_answer(draft, _passages([3]), judged, question, rescue_threshold=0.95).text
    assert not verify_answer("[1]", _passages([3]), _verifier(), question).citations


def test_a_bare_fragment_is_checked_in_the_window_about_the_question(
    verifier: ClaimVerifier,
) -> None:
    question = "On which day did Macron announce that 26 countries had pledged a force?"
    announced = "Macron said Thursday that 26 allies have pledged to deploy a reassurance force."
    other = "Russia launched 112 drones overnight on Thursday."
    s = [
        Sentence(doc_id="d", chunk_id="c", text=t, start=i * 100, end=i * 100 + len(t), score=0)
        for i, t in enumerate([other, announced])
    ]
    p = [Passage(n=1, doc_id="d", chunk_id="c", title="T", published=None, sentences=s)]
    out = verify_answer("Thursday [1].", p, verifier, question)
    assert out.citations[0].quote == announced
    # A fragment whose only window is about something else is not an answer.
    alone = [Passage(n=1, doc_id="d", chunk_id="c", title="T", published=None, sentences=s[:1])]
    assert not verify_answer("Thursday [1].", alone, verifier, question).citations


def test_yes_before_a_question_that_is_not_yes_no_is_removed(verifier: ClaimVerifier) -> None:
    out = verify_answer(
        "Yes, 26 out of 35 countries committed [1].",
        _passages([3]),
        verifier,
        "How many countries committed?",
    )
    assert out.text == "26 out of 35 countries committed [1]."


def test_fragments_and_meta_sentences_are_dropped(verifier: ClaimVerifier) -> None:
    raw = (
        "Passages [1] and [2] support this answer. 26 out of 35 countries committed [1]. "
        '[1] states that "about 26 out of 35 participating countries" committed.'
    )
    out = verify_answer(raw, _passages([3]), verifier, "How many countries committed?")
    assert out.text == "26 out of 35 countries committed [1]."
    assert out.partial


def test_aliases_count_as_the_same_name(checker: SupportChecker) -> None:
    claim = "Turkey plays a key role in the maritime dimension."
    passage = (
        "The group is led by France and the United Kingdom, with close participation from "
        "Türkiye, which plays a key role in the maritime dimension."
    )
    assert checker.check(claim, [passage], "Which country plays a key maritime role?").supported


def test_a_quote_over_adjacent_sentences_is_the_exact_article_text() -> None:
    article = "Paris and London lead it.\n\nThe group is led by France and Britain. Later, more."
    spans = [(0, 25), (27, 66), (67, 79)]
    sentences = [
        Sentence(doc_id="d", chunk_id="c", text=article[a:b], start=a, end=b, score=0.0)
        for a, b in spans
    ]
    p = Passage(n=1, doc_id="d", chunk_id="c", title="t", published=None,
                sentences=sentences, gaps=["\n\n", " "])  # fmt: skip
    assert p.span(0, 1) == (article[0:66], 0, 66)
    assert p.span(1, 2) == (article[27:79], 27, 79)
    assert p.span(2, 2) == ("Later, more.", 67, 79)


class _FailingJudge:
    def probability(self, context: str, claim: str, *, cited: int | None = None) -> float:
        raise GenerationError("the LLM server answered 500")

    def answers(self, context: str, question: str, sentence: str, *, cited: int) -> float:
        raise GenerationError("the LLM server answered 500")


def test_a_judge_that_fails_leaves_the_sentence_unverified_not_the_answer_broken() -> None:
    failing = _verifier(_FailingJudge())
    out = verify_answer(
        "26 out of 35 participating countries committed [1].",
        _passages([3]),
        failing,
        "How many countries committed?",
        rescue_threshold=0.7,
    )
    assert not out.citations and not out.text  # the pipeline abstains
    entry = out.log[0]["passage_1"]
    assert isinstance(entry, dict) and any("judge: failed" in r for r in entry["reasons"])


def _one(text: str) -> list[Passage]:
    s = Sentence(doc_id="d", chunk_id="c", text=text, start=0, end=len(text), score=0.5)
    return [Passage(n=1, doc_id="d", chunk_id="c", title="T", published=None, sentences=[s])]


def test_the_evidence_decides_yes_or_no(verifier: ClaimVerifier) -> None:
    p = _one("Norway has ruled out sending ships to the strait.")
    asked = "Has Norway agreed to send ships to the strait?"
    out = verify_answer(
        "Yes, Norway has ruled out sending ships to the strait [1].", p, verifier, asked
    )
    assert out.text == "No, Norway has ruled out sending ships to the strait [1]."
    assert out.log[0]["yes_no"] == "Yes corrected to No"
    # A draft without the word gets it; a negated question agrees with a negated statement.
    ruled = "Did Norway rule out sending ships to the strait?"
    out = verify_answer("Norway has ruled out sending ships to the strait [1].", p, verifier, ruled)
    assert out.text == "Yes, Norway has ruled out sending ships to the strait [1]."


def test_an_answers_own_words_must_be_in_the_evidence(verifier: ClaimVerifier) -> None:
    p = _one("Mayor Berg spoke about the ferry plan on Monday.")
    asked = "How did Mayor Berg respond to the ferry plan?"
    invented = verify_answer(
        "Berg responded to the ferry plan by cancelling it [1].", p, verifier, asked
    )
    assert not invented.citations, invented.log
    assert "answer's own words" in str(invented.log)
    stated = verify_answer("Berg spoke about the ferry plan on Monday [1].", p, verifier, asked)
    assert stated.citations


def test_two_sentences_backed_by_one_passage_share_a_quote_of_both(
    verifier: ClaimVerifier,
) -> None:
    texts = ["Norway has ruled out sending ships.", "Denmark offered two frigates."]
    s = [
        Sentence(doc_id="d", chunk_id="c", text=t, start=i * 40, end=i * 40 + len(t), score=0.5)
        for i, t in enumerate(texts)
    ]
    p = [Passage(n=1, doc_id="d", chunk_id="c", title="T", published=None, sentences=s)]
    draft = "Norway has ruled out sending ships [1]. Denmark offered two frigates [1]."
    out = verify_answer(draft, p, verifier, "What did Norway and Denmark offer?")
    assert len(out.citations) == 1
    assert texts[0] in out.citations[0].quote and texts[1] in out.citations[0].quote
