"""Citation parsing, renumbering and verification with the real support checker (MiniLM)."""

from __future__ import annotations

import pytest

from rag.citations import parse_claims, verify
from rag.models.embedder import SentenceTransformerEmbedder
from rag.support import SupportChecker
from rag.types import Passage, Sentence

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


def test_citations_renumbered_in_order_of_first_use(checker: SupportChecker) -> None:
    passages = _passages([1, 2, 3])
    raw = (
        "26 of 35 countries committed to a reassurance force [3]. "
        "France and the United Kingdom lead the working group [2]."
    )
    out = verify(raw, passages, checker, "Who committed and who leads?")
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


def test_marker_to_unseen_passage_is_removed(checker: SupportChecker) -> None:
    out = verify(
        "France and the United Kingdom lead the working group [7].",
        _passages([2]),
        checker,
        "Who leads the working group?",
    )
    assert "[7]" not in out.text
    assert out.text.endswith("working group [1].")  # re-attributed to the passage that holds it
    assert out.log[0]["unseen"] == [7]


def test_wrong_passage_is_rejected_and_claim_dropped(checker: SupportChecker) -> None:
    out = verify(
        "France and the United Kingdom will lead the working group [1].",
        _passages([1]),
        checker,
        "Who leads the working group?",
    )
    assert out.citations == [] and out.text == ""
    assert out.log[0]["action"] == "dropped: no shown passage supports it"


def test_wrong_citation_is_reattributed_to_supporting_passage(checker: SupportChecker) -> None:
    out = verify(
        "France and the United Kingdom will lead the working group [1].",
        _passages([1, 2]),
        checker,
        "Who leads the working group?",
    )
    assert [c.doc_id for c in out.citations] == ["000_87e92a4300705097"]
    assert out.log[0]["action"] == "re-attributed to passage 2"


def test_invented_number_is_rejected(checker: SupportChecker) -> None:
    out = verify(
        "35 out of 35 participating countries committed to the reassurance force [1].",
        _passages([3]),
        checker,
        "How many countries committed?",
    )
    assert out.citations == []
    assert "numbers not in passage" in str(out.log[0]["passage_1"])


def test_partial_answer_is_marked(checker: SupportChecker) -> None:
    raw = (
        "26 out of 35 countries committed to the reassurance force [1]. "
        "Japan promised 40,000 soldiers for the force [1]."
    )
    out = verify(raw, _passages([3]), checker, "How many countries committed?")
    assert out.partial
    assert out.text == "26 out of 35 countries committed to the reassurance force [1]."


def test_support_scores_separate_right_and_wrong_passages(checker: SupportChecker) -> None:
    claim = "France and the United Kingdom will lead the working group."
    right = checker.check(claim, [TEXTS[2][1]], "Who leads the group?")
    wrong = checker.check(claim, [TEXTS[1][1]], "Who leads the group?")
    assert right.supported and not wrong.supported
    assert right.score > wrong.score + 0.2


def test_marker_only_answer_becomes_a_verbatim_quote(checker: SupportChecker) -> None:
    out = verify("[1]", _passages([3]), checker, "How many countries committed?")
    assert out.text == f"According to the article, “{TEXTS[3][1]}” [1]"
    assert out.citations[0].quote == TEXTS[3][1]
    assert out.log[0]["action"] == "extractive: the model only cited passage 1"


def test_fragments_and_meta_sentences_are_dropped(checker: SupportChecker) -> None:
    raw = (
        "Passages [1] and [2] support this answer. 26 out of 35 countries committed [1]. "
        '[1] states that "about 26 out of 35 participating countries" committed.'
    )
    out = verify(raw, _passages([3]), checker, "How many countries committed?")
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
    from rag.types import Passage, Sentence

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
