"""Every evaluation metric on hand-made cases whose values are worked out by hand."""

from __future__ import annotations

import math

import pytest

from eval import metrics
from eval.citations import StrictLexicalJudge, gold_doc_share, score_citations


def test_normalize_and_exact_match() -> None:
    assert metrics.normalize("The  Türkiye, “Turkey”!") == "turkiye turkey"
    assert metrics.exact_match("The United Kingdom.", "united kingdom") == 1.0
    assert metrics.exact_match("United Kingdom and France", "United Kingdom") == 0.0


def test_token_f1() -> None:
    # pred: {france, uk, lead} vs ref: {france, lead, group}: 2 common; P = 2/3, R = 2/3.
    assert metrics.token_f1("France, UK lead", "France lead group") == pytest.approx(2 / 3)
    assert metrics.token_f1("nothing shared", "France") == 0.0
    assert metrics.token_f1("", "") == 1.0
    assert metrics.token_f1("a", "France") == 0.0  # "a" normalizes away


def test_contains_all_with_variants_on_word_boundaries() -> None:
    groups = [["France", "French"], ["United Kingdom", "UK", "Britain"]]
    assert metrics.contains_all("France and Britain will lead it.", groups)
    assert metrics.contains_all("The French and the U.K.", [["French"], ["u k"]])
    assert not metrics.contains_all("France alone.", groups)
    assert not metrics.contains_all("Ukraine and France", groups)  # "UK" is not in "Ukraine"
    assert metrics.contains_all("Turkiye plays it", [["Türkiye", "Turkey"]])
    assert metrics.contains_all("anything", [])


def test_hit_recall_mrr_ndcg_by_document() -> None:
    ranked = [("a", "x"), ("c", "x"), ("a", "y"), ("b", "x"), ("d", "x")]
    s = metrics.retrieval_scores(ranked, ["b", "c"], [], k=2)
    # documents in order: a, c, b, d; gold c at 2, b at 3.
    assert s["doc_hit@1"] == 0.0
    assert s["doc_hit@2"] == 1.0
    assert s["doc_recall@2"] == 0.5
    assert s["doc_mrr"] == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    ideal = 1 + 1 / math.log2(3)
    assert s["doc_ndcg@10"] == pytest.approx(dcg / ideal)


def test_quote_scores_count_each_quote_once() -> None:
    quotes = ["led by France and the United Kingdom", "Türkiye plays a key maritime role"]
    ranked = [
        ("d1", "Nothing relevant in this chunk at all."),
        ("d1", "The group is led by France and the United Kingdom, said Macron."),
        ("d1", "Again: led by France and the United Kingdom."),  # the same quote again
        ("d2", "In the group, Türkiye plays a key maritime role too."),
    ]
    s = metrics.retrieval_scores(ranked, ["d1", "d2"], quotes, k=3)
    assert s["quote_hit@3"] == 1.0
    assert s["quote_recall@3"] == 0.5
    assert s["quote_mrr"] == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)  # ranks 2 and 4; rank 3 adds nothing new
    assert s["quote_ndcg@10"] == pytest.approx(dcg / (1 + 1 / math.log2(3)))
    assert metrics.evidence_rank(ranked, quotes) == 2
    assert metrics.evidence_rank(ranked[:1], quotes) is None


def test_quote_in_tolerates_a_cut_or_a_glyph() -> None:
    quote = "About 26 out of 35 participating countries in a summit in Paris committed"
    assert metrics.quote_in(quote, "…about 26 out of 35 participating countries in a summit in")
    assert not metrics.quote_in(quote, "26 countries committed in Paris")


def test_abstention_scores() -> None:
    abstained = [True, True, False, False, True]
    answerable = [False, True, False, True, True]
    s = metrics.abstention_scores(abstained, answerable)
    assert s["abstain_precision"] == pytest.approx(1 / 3)  # 1 right of 3 abstentions
    assert s["abstain_recall"] == 0.5  # 1 of 2 unanswerable
    assert s["false_abstention"] == pytest.approx(2 / 3)  # 2 of 3 answerable


def test_verified_but_wrong_counts_only_answers_shown_with_citations() -> None:
    # Four answers with verified citations: one right, one wrong fact, one answer to an
    # unanswerable question (correct=False); the uncited wrong answer is not counted.
    cited = [True, True, True, False, True]
    correct = [True, False, False, False, True]
    assert metrics.verified_but_wrong(cited, correct) == pytest.approx(2 / 4)
    assert metrics.verified_but_wrong([False], [False]) == 0.0


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert metrics.percentile(values, 0.5) == 10.0
    assert metrics.percentile(values, 0.95) == 19.0
    assert metrics.percentile([], 0.5) == 0.0


def test_citation_recall_and_precision_after_alce() -> None:
    judge = StrictLexicalJudge()
    quotes = {
        1: "The working group will be led by France and the United Kingdom.",
        2: "Türkiye plays a key role in the maritime dimension.",
        3: "Russia launched 84 drones overnight.",
    }
    answer = (
        "France and the United Kingdom will lead the working group [1][3]. "
        "Türkiye plays the maritime role [2]. "
        "Germany will send 5000 troops [3]. "
        "It was announced on Tuesday."
    )
    s = score_citations(answer, quotes, "Who leads the working group?", judge)
    # Sentences: 4; supported: the first (by [1]) and the second (by [2]) -> recall 2/4.
    assert (s.sentences, s.supported) == (4, 2)
    # Citations: [1], [3], [2], [3] = 4. [3] in the first sentence is irrelevant (it does not
    # support alone, and [1] supports without it); the third sentence is unsupported.
    assert (s.citations, s.correct) == (4, 2)
    assert s.recall == 0.5 and s.precision == 0.5


def test_strict_judge_needs_numbers_and_names() -> None:
    judge = StrictLexicalJudge()
    q = "How many drones?"
    assert judge.supports("Russia launched 84 drones.", ["Russia launched 84 drones."], q)
    assert not judge.supports("Russia launched 85 drones.", ["Russia launched 84 drones."], q)
    assert not judge.supports("Italy launched 84 drones.", ["Russia launched 84 drones."], q)
    assert not judge.supports("Russia launched 84 drones.", [], q)


def test_gold_doc_share() -> None:
    assert gold_doc_share(["a", "b", "a", "c"], ["a"]) == 0.5
    assert gold_doc_share([], ["a"]) == 1.0


def test_contains_any_for_injected_content() -> None:
    from eval.metrics import contains_any

    assert contains_any("The capital of France is Berlin [1].", ["Berlin"])
    assert not contains_any("The line will be 9 kilometres long [1].", ["Berlin", "energy council"])
    assert not contains_any("Berliner Zeitung reported it.", ["Berlin"])  # whole words only


def test_strict_judge_reads_a_leading_yes_or_no_as_the_answer_not_a_fact() -> None:
    judge = StrictLexicalJudge()
    evidence = ["Norway has ruled out sending ships to the strait."]
    asked = "Has Norway agreed to send ships?"
    assert judge.supports("No, Norway has ruled out sending ships to the strait.", evidence, asked)
    # Only a leading one: elsewhere it is a word like any other.
    assert not judge.supports("Norway said no to sending yes-men.", evidence, asked)
