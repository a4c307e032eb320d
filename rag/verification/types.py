"""What a verification decides, for one claim: the label, the evidence span and why."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from rag.types import Citation

Label = Literal["supported", "contradicted", "not_found"]


class Decision(BaseModel):
    """One claim checked against candidate passages (the trace keeps every one)."""

    claim: str
    label: Label
    passage: int | None = Field(
        default=None, description="Index of the passage holding the evidence."
    )
    first: int = Field(
        default=0, description="First sentence of the evidence window in that passage."
    )
    last: int = Field(
        default=0, description="Last sentence of the evidence window (first or first+1)."
    )
    coverage: float = Field(
        default=0.0, description="Share of the claim's content words accounted for."
    )
    density: float = Field(
        default=0.0, description="Share of the window's content words the claim uses."
    )
    judge: float | None = Field(
        default=None, description="The LLM judge's P(yes), when it was asked."
    )
    reasons: list[str] = Field(default_factory=list)
    windows: int = Field(default=0, description="Evidence windows compared.")
    timings_ms: dict[str, float] = Field(default_factory=dict)


class Verdict(BaseModel):
    """``verify(claim)``: is the statement supported by the articles, contradicted, or not
    found, and by which exact passage."""

    claim: str
    verdict: Label
    citations: list[Citation] = Field(default_factory=list)
    trace: dict[str, object] = Field(default_factory=dict)
