"""Loaders: each format, and bad input skipped by name without affecting the rest."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.loaders import load_directory


def test_formats_and_skips(tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("A plain article.\n")
    (tmp_path / "notes.md").write_text(
        "---\ntitle: From front matter\ndate: 2025-01-02\n---\n# Heading\n\nSome **bold** "
        "and a [link](http://x.org).\n"
    )
    (tmp_path / "page.htm").write_text("<html><body><p>Only paragraph.</p></body></html>")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "binary.txt").write_bytes(b"abc\x00def")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "lines.jsonl").write_text(
        '{"text": "First line article."}\n'
        "not json\n"
        '{"title": "no text"}\n'
        '{"text": "Fourth.", "title": 5}\n'
        "\n"
        '{"text": "Sixth line article.", "id": "a/b c"}\n'
    )
    (tmp_path / ".hidden.txt").write_text("ignored dotfile")
    result = load_directory(tmp_path)

    ids = [d.doc_id for d in result.documents]
    assert ids == ["lines-1", "lines-a-b-c", "notes", "page", "plain"]
    notes = next(d for d in result.documents if d.doc_id == "notes")
    assert notes.title == "From front matter"
    assert notes.published == "2025-01-02"
    assert notes.text == "Heading\n\nSome bold and a link.\n"
    page = next(d for d in result.documents if d.doc_id == "page")
    assert page.text == "Only paragraph."

    skipped = {s.path: s.reason for s in result.skipped}
    assert skipped == {
        "binary.txt": "binary file (contains NUL bytes)",
        "image.png": "unsupported file type .png",
        "latin1.txt": "not UTF-8 text (unexpected end of data at byte 3)",
        "lines.jsonl:2": "invalid JSON (Expecting value)",
        "lines.jsonl:3": 'each line must be an object with a "text" string',
        "lines.jsonl:4": "fields must be strings: title",
    }
    # Files that exist but failed to read are protected from --prune.
    assert {"binary", "latin1", "lines-4"} <= result.protected_ids


def test_duplicate_document_ids_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("One.")
    (tmp_path / "a.md").write_text("Two.")
    result = load_directory(tmp_path)
    assert [d.path for d in result.documents] == ["a.md"]
    assert [(s.path, s.reason) for s in result.skipped] == [
        ("a.txt", "document id 'a' already used by a.md")
    ]


def test_single_file_and_hashes(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text("Same text.")
    first = load_directory(path).documents[0]
    assert (first.doc_id, first.path) == ("one", "one.txt")
    assert first.content_hash == load_directory(path).documents[0].content_hash
    path.write_text("Other text.")
    assert load_directory(path).documents[0].content_hash != first.content_hash


def test_beir_records_ingest_as_is(tmp_path: Path) -> None:
    """A BEIR corpus.jsonl: `_id` names the record, the title is part of the searchable text,
    a title-only record is an article, a record with neither is skipped by line."""
    rows = [
        {"_id": "CACM-0001", "title": "Report on ALGOL", "text": "An algebraic language."},
        {"_id": "doc/2", "title": "Title only", "text": ""},
        {"_id": "3", "title": "Same title", "text": "Same title\nand its body."},
        {"_id": "4", "title": " ", "text": "  "},
    ]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = load_directory(tmp_path)
    texts = {d.doc_id: d.text for d in result.documents}
    assert texts == {
        "corpus-CACM-0001": "Report on ALGOL\n\nAn algebraic language.",
        "corpus-doc-2": "Title only",
        "corpus-3": "Same title\nand its body.",  # already starts with its title: not doubled
    }
    assert [(s.path, s.reason) for s in result.skipped] == [
        ("corpus.jsonl:4", "empty text and no title")
    ]
