"""Markdown to article text: front matter becomes metadata, markup is reduced to its words."""

from __future__ import annotations

import re

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_HEADING = re.compile(r"^#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.M)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
# Not between word characters: 2*3*4 and snake_case_names are left alone.
_EMPHASIS = re.compile(r"(?<!\w)(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_CODE = re.compile(r"`([^`]*)`")
_QUOTE = re.compile(r"^>\s?", re.M)
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$", re.M)


def markdown_to_text(text: str) -> tuple[str, dict[str, str | None]]:
    meta: dict[str, str | None] = {}
    front = _FRONT.match(text)
    if front:
        for line in front.group(1).splitlines():
            key, sep, value = line.partition(":")
            key = key.strip().lower()
            if sep and key in ("title", "date", "published", "source", "url"):
                meta["published" if key == "date" else key] = value.strip().strip("'\"") or None
        text = text[front.end() :]
    heading = _HEADING.search(text)
    if heading and "title" not in meta:
        meta["title"] = heading.group(1)
    text = _HEADING.sub(r"\1", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _QUOTE.sub("", text)
    text = _RULE.sub("", text)
    return text, meta
