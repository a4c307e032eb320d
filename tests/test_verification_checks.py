"""The structural checks, one class of wrong claim at a time, with no model: near-synonyms come
from a small table, so each test shows exactly which rule decides."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rag.verification.analysis import analyse
from rag.verification.checks import WindowCheck, check_window, negated
from rag.verification.unstated import unstated
from rag.verification.verifier import ClaimVerifier

SYNONYMS = {("soldiers", "troops"), ("committed", "pledged"), ("keep", "continue")}


def similar(a: Sequence[str], b: Sequence[str]) -> list[list[float]]:
    return [[1.0 if (x, y) in SYNONYMS or (y, x) in SYNONYMS else 0.0 for y in b] for x in a]


def check(claim: str, evidence: str) -> WindowCheck:
    return check_window(analyse(claim), analyse(evidence), similar, soft=0.6)


def passes(c: WindowCheck) -> bool:
    return not c.flags and not c.unmatched


def test_a_paraphrase_with_a_near_synonym_is_supported() -> None:
    c = check(
        "Italy has ruled out sending soldiers to Ukraine.",
        "Italy has ruled out sending troops to Ukraine.",
    )
    assert passes(c), c


def test_negation_against_a_plain_statement_contradicts() -> None:
    c = check(
        "Macron said Russia is ready for a ceasefire.",
        "Russia is clearly not ready for a ceasefire at the moment, Macron said.",
    )
    assert not passes(c)
    assert any("polarity" in f for f in c.contradicts)


def test_the_same_negation_on_both_sides_is_supported() -> None:
    c = check(
        "Macron said Russia is not ready for a ceasefire.",
        "Russia is clearly not ready for a ceasefire at the moment, Macron said.",
    )
    assert passes(c), c


def test_an_antonym_contradicts() -> None:
    c = check("Russia would accept a peace deal.", "We can see that Russia rejects any peace deal.")
    assert not passes(c)
    assert any("antonym" in f for f in c.contradicts)


def test_a_negative_verb_governs_what_follows() -> None:
    ev = analyse("Italy has ruled out sending troops to Ukraine.")
    sending = next(w.i for w in ev.words if w.low == "sending")
    assert sending in negated(ev)


def test_an_entity_from_the_neighbouring_clause_is_not_enough() -> None:
    c = check(
        "Belgium has ruled out sending troops to Ukraine.",
        "France, the UK and Belgium have said they would be willing to send troops to Ukraine "
        "to act as peacekeepers.",
    )
    assert not passes(c)


def test_a_number_bound_to_another_noun_fails() -> None:
    c = check(
        "Air defense intercepted 112 drones.",
        "Russia launched 112 strikes and decoy drones across the country. "
        "Air defense intercepted 84 drones.",
    )
    assert not passes(c)
    assert any("112" in f for f in c.contradicts), c.flags


def test_numbers_written_as_words_match_digits() -> None:
    c = check(
        "Twenty-six of the thirty-five countries pledged troops.",
        "About 26 out of 35 participating countries committed troops.",
    )
    assert not any("number" in f for f in c.flags), c.flags


def test_swapped_roles_around_a_verb_contradict() -> None:
    c = check(
        "Putin accused Trump of conspiring with China.",
        "Mr Trump on Wednesday accused Mr Putin of conspiring with China and North Korea.",
    )
    assert any("role" in f for f in c.contradicts), c


def test_a_preposition_bound_to_another_object_contradicts() -> None:
    c = check(
        "The coalition will keep up pressure on Ukraine.",
        "The coalition will continue pressure on Russia, and it will support Ukraine.",
    )
    assert any("role" in f for f in c.flags), c


def test_a_hedge_in_the_evidence_does_not_support_a_fact() -> None:
    c = check(
        "France will send troops to Ukraine.",
        "France, the UK and Belgium have said they would be willing to send troops to Ukraine.",
    )
    assert any("hedged" in f for f in c.flags), c


def test_an_invented_cause_is_not_supported() -> None:
    c = check(
        "Italy ruled out sending troops because Russia opposes foreign troops.",
        "Italy has ruled out sending troops. "
        "Russia is emphatically opposed to any foreign troop presence.",
    )
    assert any("connective" in f for f in c.flags), c


@pytest.mark.parametrize(
    ("claim", "evidence"),
    [
        (
            "The group is led by Britain and France.",
            "The group will be led by France and the United Kingdom.",
        ),
        ("Zelensky met Macron.", "Zelenskyy met Macron in Paris."),
    ],
)
def test_names_written_differently_match(claim: str, evidence: str) -> None:
    c = check(claim, evidence)
    assert not c.unmatched, c


# Rules that keep true paraphrases from being flagged, and the wrong readings they still
# catch. Fictional sentences, not the claim benchmark's.


def test_a_negative_verb_used_as_a_noun_negates_nothing() -> None:
    c = check(
        "The bus route is expected to cost 3 million euros.",
        "The bus route will have 14 stops and is expected to cost 3 million euros.",
    )
    assert not any("polarity" in f for f in c.flags), c
    assert any("polarity" in f for f in check("The route is expected.", "It stops expected.").flags)


def test_the_willing_as_a_group_is_not_a_hedge() -> None:
    c = check(
        "The coalition includes about 12 countries.",
        "The willing coalition includes about 12 countries.",
    )
    assert not any("hedged" in f for f in c.flags), c
    hedged = check("Oslo will send ships.", "Oslo is willing to send ships.")
    assert any("hedged" in f for f in hedged.flags)


def test_given_as_a_preposition_states_a_cause() -> None:
    claim = "The ministry sees delays because of its budget limits."
    assert not check(claim, "The ministry sees delays given its budget limits.").flags
    c = check(claim, "The ministry was given its budget limits and sees delays.")
    assert any("connective" in f for f in c.flags)


def test_a_name_before_the_speakers_clause_is_not_the_speaker() -> None:
    c = check(
        "Lund said the port would reopen.",
        "Standing beside Mr Lund, Mayor Anna Berg said the port would reopen.",
    )
    assert any("attribution" in f for f in c.flags), c
    assert not check(
        "Berg said the port would reopen.", c_ev := "Mr Lund and Berg said the port would reopen."
    ).flags, c_ev


def test_which_hands_the_verb_to_the_name_before_it() -> None:
    ev = "The pact is led by Norway, with Chile, which plays a key role at sea, and Peru."
    assert any(
        "subject" in f for f in check("The report says Peru plays a key role at sea.", ev).flags
    )
    assert not check("The report says Chile plays a key role at sea.", ev).flags


def test_a_number_must_count_what_it_counts_in_the_evidence() -> None:
    ev = "The road will be 9 kilometres long with 11 bridges."
    c = check("The road will be 11 kilometres long.", ev)
    assert any("number 11" in f for f in c.contradicts), c
    assert not check("The road will have 11 bridges.", ev).flags


def test_a_year_dates_the_event_just_before_it() -> None:
    ev = "Work starts in 2026, and the first trains should run in 2029."
    c = check("The first trains should run in 2026.", ev)
    assert any("number 2026" in f for f in c.flags), c
    assert not check("The first trains should run in 2029.", ev).flags


def test_a_name_modifying_a_meeting_is_not_its_subject() -> None:
    ev = "On 3 May, envoys of Chile and Peru will meet in Lima for talks."
    c = check("The Lima meeting between Chile and Peru envoys is set for 3 May.", ev)
    assert not any(f.startswith(("role", "subject")) for f in c.flags), c


def structural() -> ClaimVerifier:
    return ClaimVerifier(
        None, soft_match=0.8, min_coverage=0.5, judge_threshold=0.5, contradiction_coverage=0.6
    )


def test_he_stands_for_the_speaker_of_the_sentence_before() -> None:
    passage = [
        '"The port stays shut," Mayor Berg said.',
        "According to her, the ferry will resume in May.",
    ]
    assert structural().check("Berg said the ferry will resume in May.", [passage]).label == (
        "supported"
    )
    # The sentence before quotes someone else: the pronoun is not Lund.
    assert structural().check("Lund said the ferry will resume in May.", [passage]).label != (
        "supported"
    )
    # Nothing before it: a pronoun is not guessed.
    alone = [passage[1]]
    assert structural().check("Berg said the ferry will resume in May.", [alone]).label != (
        "supported"
    )


def test_a_role_swap_is_seen_at_the_names_nearest_the_verb() -> None:
    ev = (
        "Talks between Mr Lund and Mr Berg stalled in May. "
        "On Friday Mr Berg accused Mr Lund of stalling."
    )
    c = check("Lund accused Berg of stalling.", ev)
    assert any(f.startswith("role") for f in c.contradicts), c
    assert not check("Berg accused Lund of stalling.", ev).flags


def test_a_capital_is_its_country_as_a_subject() -> None:
    ev = "Paris and London lead the working group."
    assert not any(f.startswith("subject") for f in check("France will lead the group.", ev).flags)


def test_a_two_sentence_window_keeps_each_sentences_speaker() -> None:
    passage = [
        '"We will not go into detail," Mayor Berg added.',
        '"The bridge will be finished in Oslo," Mr Lund said.',
    ]
    claim = "Berg said the bridge will be finished in Oslo."
    decision = structural().check(claim, [passage])
    assert decision.label != "supported", decision
    assert any("holding the claim quotes" in r for r in decision.reasons), decision
    right = structural().check("Lund said the bridge will be finished in Oslo.", [passage])
    assert right.label == "supported", right


def test_according_to_a_title_names_no_speaker() -> None:
    passage = [
        '"The port stays shut," Berg said.',
        "According to the Norwegian mayor, the ferry will resume in May.",
    ]
    decision = structural().check("Berg said the ferry will resume in May.", [passage])
    assert decision.label == "supported", decision


@pytest.mark.parametrize(
    "claim",
    [
        "The mayor announced where the new ferry will dock.",
        "Berg said on Monday which company will run the port.",
        "The price of the new ferries was approved by the council.",
        "Lund gave the date on which the bridge would open.",
    ],
)
def test_a_claim_that_leaves_out_what_was_said_is_not_supported(claim: str) -> None:
    passage = [
        "The council approved two ferries on Monday, Mayor Berg said.",
        "Lund said the bridge would open on the date the council chose, and the new ferry "
        "will dock where the company that will run the port decides.",
    ]
    decision = structural().check(claim, [passage])
    assert decision.label == "not_found", decision
    assert decision.reasons[0].startswith("unstated"), decision


def test_a_claim_that_something_was_not_said_is_a_statement() -> None:
    assert unstated(analyse("Berg did not reveal which company will run the port.")) is None
    assert unstated(analyse("The ferry will dock at 9 in Oslo, the mayor said.")) is None


def test_another_ordinal_contradicts() -> None:
    c = check("Oslo wants no second ferry strike.", "Oslo wants no third ferry strike.")
    assert any(f.startswith("slot") for f in c.contradicts), c
    assert not check("Oslo wants no third ferry strike.", "Oslo wants no third ferry strike.").flags
