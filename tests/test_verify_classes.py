"""One hand-written wrong claim per class of the claim benchmark, through ``Service.verify``
with the real models (Chroma, MiniLM, BM25, the packaged Qwen2.5 as judge), on the bundled
articles: none may come back *supported*. These are not benchmark claims (the benchmark's
test split is never run here)."""

from __future__ import annotations

import pytest

from service.core import Service

pytestmark = pytest.mark.slow

# (class, claim, what the article says)
WRONG = [
    (
        "negation",
        "Zelenskyy said Russia would accept a peace deal.",
        "Russia rejects any peace deal",
    ),
    (
        "entity_swap",
        "Belgium has ruled out sending troops to Ukraine.",
        "France, the UK and Belgium would be willing; Italy has ruled out",
    ),
    (
        "number_swap",
        "About 35 out of 26 participating countries committed to the reassurance force.",
        "26 out of 35",
    ),
    (
        "invented_connective",
        "Italy ruled out sending troops because Russia rejects any peace deal.",
        "two facts, no cause between them",
    ),
    (
        "time_place",
        "The Coalition of the Willing met in London to discuss the reassurance force.",
        "the summit was in Paris",
    ),
    (
        "plausible_unstated",
        "Germany pledged troops to the reassurance force.",
        "the 26 countries were not named",
    ),
    (
        "wrong_attribution",
        "Mark Rutte said that Russia rejects any peace deal.",
        "Zelenskyy said it; Rutte said Russia's views were irrelevant",
    ),
    (  # the issue's own role swap, accepted until 1 Dec (then a strict xfail)
        "role_swap",
        "Von der Leyen said Russia would keep escalating pressure on the coalition.",
        "the coalition will escalate pressure on Russia",
    ),
]


@pytest.mark.parametrize(("kind", "claim", "says"), WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_claim_of_each_class_is_not_supported(
    service: Service, kind: str, claim: str, says: str
) -> None:
    verdict = service.verify(claim)
    assert verdict.verdict in ("contradicted", "not_found"), (kind, says, verdict.trace)


def test_a_supported_paraphrase_is_supported(service: Service) -> None:
    verdict = service.verify("Italy has ruled out sending soldiers to Ukraine.")
    assert verdict.verdict == "supported", verdict.trace
    assert "Italy has ruled out sending troops to Ukraine" in verdict.citations[0].quote
