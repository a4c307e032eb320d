"""Sentences in an article that speak to the model instead of reporting news.

Articles are untrusted input: a page can carry "ignore previous instructions and …" or "reveal
your system prompt". Such sentences are withheld from the passages the model reads, so it is
never shown them and no citation can quote them. Two more layers stand behind this filter: the
system prompt says passages are quotes, not instructions, and every sentence of an answer must
be supported by the passage it cites, so text the model made up at an article's request (or
copied from its own prompt) is dropped before anyone sees it.

The patterns are deliberately narrow (an instruction verb aimed at instructions, prompts or
the assistant itself); none matches a sentence of the bundled articles.
"""

from __future__ import annotations

import re

_TARGET = r"(?:instructions?|prompts?|rules|guidelines|directions|guardrails)"
_MODEL = r"(?:ai|assistants?|chatbots?|language models?|llms?|gpt|models?)"

_PATTERNS = [
    # "Ignore all previous instructions", "disregard the rules above"
    rf"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?]{{0,40}}\b{_TARGET}\b",
    # "reveal your system prompt", "print your instructions"
    rf"\b(?:reveal|print|show|repeat|output|leak|disclose|display)\b[^.!?]{{0,30}}"
    rf"\b(?:your|the)\s+(?:system\s+)?{_TARGET}",
    r"\bsystem\s+prompt\b",
    r"\b(?:developer|god|jailbreak|dan)\s+mode\b",
    # "SYSTEM: …", "Assistant: …" at the start of a sentence
    r"^\W*(?:system|assistant|developer)\s*:",
    # "AI assistants reading this must …", "you are now a …"
    rf"\b{_MODEL}\b[^.!?]{{0,30}}\b(?:reading|processing|summari[sz]ing)\s+this\b",
    r"\byou\s+are\s+now\b",
    r"\b(?:answer|respond|reply)\s+(?:to\s+)?(?:every|all|each|any)\s+(?:questions?|prompts?)\b",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def is_instruction(sentence: str) -> bool:
    """Does this sentence address the model (an injected instruction), not the reader?"""
    return _INSTRUCTION.search(sentence) is not None
