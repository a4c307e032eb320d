"""Answers as Block Kit: the text in mrkdwn with ``[n]`` linked to its source, a Sources
context, the notes (partial, quotes only, not in the articles) and the buttons; verdicts of
``/verify`` as the verdict in words and the deciding quote with its source.

Slack caps a section's text at 3000 characters and a context at 10 elements; long answers
are split at paragraph, sentence or word boundaries (never inside a link), sources are
grouped by ten, and a message keeps under 50 blocks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from rag.types import Citation
from rag.verification.types import Verdict

SECTION_LIMIT = 3000
CONTEXT_ELEMENTS = 10
MAX_BLOCKS = 50
NOT_IN_ARTICLES = ":grey_question: *The articles don't hold the answer to this question.*"
PARTIAL = ":information_source: Partly supported: sentences the articles don't back were removed."
FALLBACK = (
    ":warning: The model was unavailable: these are quotes from the articles, not a written answer."
)
_MARKER = re.compile(r"\[(\d+)\]")
_SENTENCE_END = re.compile(r"[.!?…][)\]\"”’]*\s")

Block = dict[str, Any]


class AnswerView(Protocol):
    """What is shown: ``rag.types.Answer`` and a stored answer both have it."""

    @property
    def answer(self) -> str: ...
    @property
    def abstained(self) -> bool: ...
    @property
    def partial(self) -> bool: ...
    @property
    def fallback(self) -> bool: ...
    @property
    def citations(self) -> list[Citation]: ...


def escape(text: str) -> str:
    """The three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link_url(url: str) -> str:
    """A URL as it goes inside ``<…|label>``: escaped, with no ``|`` to end it early."""
    return escape(url).replace("|", "%7C")


def link_markers(text: str, urls: Mapping[int, str]) -> str:
    """``[n]`` → ``<url|[n]>`` where source n has a URL; other markers stay as they are."""
    return _MARKER.sub(
        lambda m: f"<{link_url(urls[int(m[1])])}|[{m[1]}]>" if int(m[1]) in urls else m[0],
        text,
    )


def _cut(window: str) -> int:
    """Where to end a piece taken from ``window``: a paragraph, sentence or word boundary."""
    for cut in (
        window.rfind("\n\n"),
        max((m.end() for m in _SENTENCE_END.finditer(window)), default=-1),
    ):
        if cut > len(window) // 3:
            break
    else:
        cut = window.rfind(" ")
    if cut <= 0:
        cut = len(window)
    opened = window.rfind("<", 0, cut)
    if opened > window.rfind(">", 0, cut):  # inside a link: cut before it
        cut = opened if opened > 0 else cut
    return cut


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at the most natural boundary."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut(rest[:limit])
        piece, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if piece:
            pieces.append(piece)
    if rest:
        pieces.append(rest)
    return pieces


def _date(day: dt.date | None) -> str:
    return day.strftime("%-d %b %Y") if day else "undated"


def source_line(c: Citation, url: str | None) -> str:
    title = escape(c.title if len(c.title) <= 150 else c.title[:149] + "…")
    shown = f"<{link_url(url)}|{title}>" if url else title
    return f"*[{c.n}]* {shown} · {_date(c.published)} · `{c.doc_id}`"


def sources_blocks(citations: Sequence[Citation], doc_urls: Mapping[str, str]) -> list[Block]:
    """ "Sources" then one line per citation, in context blocks of at most ten elements."""
    texts = ["*Sources*"] + [source_line(c, doc_urls.get(c.doc_id)) for c in citations]
    return [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in group]}
        for group in (
            texts[i : i + CONTEXT_ELEMENTS] for i in range(0, len(texts), CONTEXT_ELEMENTS)
        )
    ]


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def buttons(answer_id: int, *, share: bool = False) -> Block:
    """👍/👎 (and "Share to channel" for a private answer); the value is the answer's id."""
    value = str(answer_id)
    elements = [
        _button("👍 Helpful", "feedback_up", value),
        _button("👎 Not helpful", "feedback_down", value),
    ]
    if share:
        elements.insert(0, _button("Share to channel", "share_answer", value, "primary"))
    return {"type": "actions", "block_id": f"answer-{answer_id}", "elements": elements}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def answer_blocks(
    answer: AnswerView,
    *,
    answer_id: int | None,
    doc_urls: Mapping[str, str] | None = None,
    share: bool = False,
    header: str | None = None,
) -> list[Block]:
    """The whole message: optional header, the answer (split), notes, sources, buttons."""
    doc_urls = doc_urls or {}
    urls = {c.n: doc_urls[c.doc_id] for c in answer.citations if c.doc_id in doc_urls}
    blocks: list[Block] = [context(header)] if header else []
    if answer.abstained:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": NOT_IN_ARTICLES}})
    text = link_markers(escape(answer.answer), urls)
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in split_text(text)]
    if answer.fallback:
        blocks.append(context(FALLBACK))
    elif answer.partial:
        blocks.append(context(PARTIAL))
    tail = sources_blocks(answer.citations, doc_urls) if answer.citations else []
    if answer_id is not None:
        tail.append(buttons(answer_id, share=share))
    if len(blocks) + len(tail) > MAX_BLOCKS:
        keep = MAX_BLOCKS - len(tail) - 1
        blocks = [*blocks[:keep], context("_The answer was cut: it is too long for Slack._")]
    return blocks + tail


def notification_text(answer: AnswerView, limit: int = 3000) -> str:
    """The plain ``text`` Slack shows in notifications and where blocks cannot be shown."""
    text = answer.answer if not answer.abstained else "Not in the articles: " + answer.answer
    return text if len(text) <= limit else text[: limit - 1] + "…"


VERDICT_WORDS = {
    "supported": ":white_check_mark: *Supported:* the articles state this.",
    "contradicted": ":x: *Contradicted:* the articles say otherwise.",
    "not_found": ":grey_question: *Not found:* no passage in the articles states this or its "
    "opposite.",
}


def verdict_blocks(
    verdict: Verdict, *, doc_urls: Mapping[str, str] | None = None, header: str | None = None
) -> list[Block]:
    """The verdict in words, then each deciding passage quoted with its source and span."""
    doc_urls = doc_urls or {}
    blocks: list[Block] = [context(header)] if header else []
    blocks.append(
        {"type": "section", "text": {"type": "mrkdwn", "text": VERDICT_WORDS[verdict.verdict]}}
    )
    for c in verdict.citations:
        shown = "\n".join("> " + line for line in escape(c.quote).splitlines() or [""])
        if len(shown) > SECTION_LIMIT:  # cut at a space: never inside an escape like &amp;
            shown = shown[: SECTION_LIMIT - 1].rsplit(" ", 1)[0] + "…"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": shown}})
        url = doc_urls.get(c.doc_id)
        title = escape(c.title if len(c.title) <= 150 else c.title[:149] + "…")
        source = f"<{link_url(url)}|{title}>" if url else title
        blocks.append(
            context(
                f"{source} · {_date(c.published)} · `{c.doc_id}` · characters {c.start}–{c.end}"
            )
        )
    return blocks


def verdict_text(verdict: Verdict, limit: int = 3000) -> str:
    """The plain ``text`` of a verdict, for notifications."""
    words = {"supported": "Supported", "contradicted": "Contradicted", "not_found": "Not found"}
    text = words[verdict.verdict]
    if verdict.citations:
        c = verdict.citations[0]
        text += f": “{c.quote}” ({c.title})"
    return text if len(text) <= limit else text[: limit - 1] + "…"
