"""Sentence boundaries with exact character spans, shared by chunking, evidence and citations."""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "jr",
    "sr",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "rep",
    "sen",
    "gov",
    "pres",
    "u.s",
    "u.k",
    "u.n",
    "e.g",
    "i.e",
    "vs",
    "etc",
    "no",
    "inc",
    "ltd",
    "co",
    "corp",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "approx",
    "est",
    "fig",
    "vol",
}
_BOUNDARY = re.compile(r"""[.!?…]+["”’)\]]*\s+(?=["“‘(\[]?[A-Z0-9À-Ý])""")
_LAST_WORD = re.compile(r"(\S+)$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; line breaks always end a sentence."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        segment = line.group()
        for m in _BOUNDARY.finditer(segment):
            word = _LAST_WORD.search(segment[: m.start() + 1])
            token = word.group(1).lower().strip('"“‘(').rstrip(".") if word else ""
            if token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token):
                continue  # "Mr. Macron", "J. Smith": not the end of a sentence
            end = line.start() + m.end()
            spans.append((start, end))
            start = end
        spans.append((start, line.end()))
    out = []
    for s, e in spans:
        piece = text[s:e]
        s += len(piece) - len(piece.lstrip())
        e -= len(piece) - len(piece.rstrip())
        if e > s:
            out.append((s, e))
    return out
