"""Read article files into ``RawDocument``s: .txt, .md, .html/.htm and .jsonl.

A file that cannot be read (unknown type, binary, bad encoding, a malformed JSON line) is
reported as a ``Skipped`` naming it and the reason; nothing else is affected.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.html import HtmlSkip, html_to_text
from ingest.markdown import markdown_to_text

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class RawDocument:
    """An article as read, before cleaning. Structured metadata (HTML meta tags, JSON fields,
    Markdown front matter) is carried here and wins over what is guessed from the text."""

    doc_id: str
    path: str
    text: str
    content_hash: str
    title: str | None = None
    published: str | None = None
    source: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class LoadResult:
    documents: list[RawDocument] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Doc ids (and, for JSON lines files, id prefixes) of files that exist but could not be
    # read completely this time: their stored articles are never pruned for that.
    protected_ids: set[str] = field(default_factory=set)
    protected_prefixes: set[str] = field(default_factory=set)

    def is_protected(self, doc_id: str) -> bool:
        return doc_id in self.protected_ids or doc_id.startswith(tuple(self.protected_prefixes))


def jsonl_doc_id(stem: str, raw_id: object, lineno: int) -> str:
    """``<file stem>-<id>`` (unsafe characters replaced), or ``<stem>-<line>`` without an id."""
    suffix = _ID_UNSAFE.sub("-", str(raw_id)).strip("-") if raw_id is not None else ""
    return f"{stem}-{suffix or lineno}"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _load_jsonl(path: Path, rel: str, text: str, result: LoadResult) -> None:
    # Split on "\n" only: JSON strings may hold U+2028 or U+0085, which splitlines() breaks on.
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        where = f"{rel}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            result.skipped.append(Skipped(where, f"invalid JSON ({exc.msg})"))
            result.protected_prefixes.add(f"{path.stem}-")  # we cannot tell whose line it was
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            result.skipped.append(
                Skipped(where, 'each line must be an object with a "text" string')
            )
            result.protected_prefixes.add(f"{path.stem}-")
            continue
        raw_id = record.get("id", record.get("_id"))  # "_id": the BEIR corpus layout
        doc_id = jsonl_doc_id(path.stem, raw_id, lineno)
        optional = {k: record.get(k) for k in ("title", "published", "source", "url")}
        bad = [k for k, v in optional.items() if v is not None and not isinstance(v, str)]
        if bad:
            result.skipped.append(Skipped(where, f"fields must be strings: {', '.join(bad)}"))
            result.protected_ids.add(doc_id)
            continue
        text = record["text"]
        title = (optional["title"] or "").strip()
        if title and not text.lstrip().startswith(title):
            # The headline is part of the article, as in a text file: searched and quotable.
            text = f"{title}\n\n{text}" if text.strip() else title
        if not text.strip():
            result.skipped.append(Skipped(where, "empty text and no title"))
            result.protected_ids.add(doc_id)
            continue
        result.documents.append(
            RawDocument(
                doc_id=doc_id,
                path=where,
                text=text,
                content_hash=_hash(line),
                title=optional["title"],
                published=optional["published"],
                source=optional["source"],
                url=optional["url"],
            )
        )


def _load_one(path: Path, rel: str, result: LoadResult) -> None:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        result.skipped.append(Skipped(rel, f"unsupported file type {suffix or '(none)'}"))
        return
    try:
        text = _read_text(path)
    except (OSError, ValueError) as exc:
        result.skipped.append(Skipped(rel, str(exc)))
        result.protected_ids.add(path.stem)
        if suffix == ".jsonl":
            result.protected_prefixes.add(f"{path.stem}-")
        return
    if suffix == ".jsonl":
        _load_jsonl(path, rel, text, result)
        return
    meta: dict[str, str | None] = {}
    body = text
    if suffix in (".html", ".htm"):
        try:
            body, meta = html_to_text(text)
        except HtmlSkip as exc:  # empty, too large, not HTML, or no article in it
            result.skipped.append(Skipped(rel, str(exc)))
            result.protected_ids.add(path.stem)
            return
    elif suffix in (".md", ".markdown"):
        body, meta = markdown_to_text(text)
    if not body.strip():
        result.skipped.append(Skipped(rel, "no article text found"))
        result.protected_ids.add(path.stem)
        return
    result.documents.append(
        RawDocument(
            doc_id=path.stem,
            path=rel,
            text=body,
            content_hash=_hash(text),
            title=meta.get("title"),
            published=meta.get("published"),
            source=meta.get("source"),
            url=meta.get("url"),
        )
    )


def iter_files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(root).parts):
            yield path


def load_directory(root: Path) -> LoadResult:
    """Load every article under ``root`` (or the single file ``root``), in a stable order."""
    result = LoadResult()
    base = root if root.is_dir() else root.parent
    seen: dict[str, str] = {}
    for path in iter_files(root):
        one = LoadResult(
            skipped=result.skipped,
            protected_ids=result.protected_ids,
            protected_prefixes=result.protected_prefixes,
        )
        _load_one(path, path.relative_to(base).as_posix(), one)
        for doc in one.documents:
            if doc.doc_id in seen:
                result.skipped.append(
                    Skipped(
                        doc.path, f"document id {doc.doc_id!r} already used by {seen[doc.doc_id]}"
                    )
                )
                continue
            seen[doc.doc_id] = doc.path
            result.documents.append(doc)
    return result
