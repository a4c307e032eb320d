"""``/v1/documents``: whatever the API writes into the data folder, it can list and delete.

Uploads that hold no article, or whose document ids another file or stored article already
has, are refused with a 422 and leave the data folder exactly as it was (no hidden staging
folder either); a JSON lines upload's articles can each be deleted, and uploading it again
with fewer lines forgets the others. The app runs in-process over a private copy of the
corpus (real Chroma, MiniLM and BM25) with a fixed generator: no answer is asked for here.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.documents import add_file
from ingest.loaders import load_directory
from rag.errors import StoreError
from rag.models.embedder import SentenceTransformerEmbedder
from rag.store.chroma import ChromaStore
from service.core import Service
from service.root import build_chunker
from service.settings import Settings
from tests.api_fixtures import (
    BUNDLED,
    FakeGenerator,
    Reply,
    assert_error,
    document_text,
    private_corpus,
    upload,
)

pytestmark = pytest.mark.slow

NOTE = b"Harbour notes\n\nThe ferry to Kvitholmen now leaves at 07:45 every weekday.\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Settings:
    return private_corpus(tmp_path_factory.mktemp("documents"), cache_dir)


@pytest.fixture(scope="module")
def client(corpus: Settings) -> Iterator[TestClient]:
    service = Service.from_settings(corpus, generator=FakeGenerator())
    with TestClient(create_app(service=service), raise_server_exceptions=False) as c:
        yield c


def listed(client: TestClient) -> set[str]:
    r = client.get("/v1/documents")
    assert r.status_code == 200, r.text
    return {d["doc_id"] for d in r.json()}


def folder(settings: Settings) -> dict[str, bytes | None]:
    """Every entry under the data folder, hidden ones included, with the files' bytes."""
    root = settings.data_dir
    return {
        p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None
        for p in root.rglob("*")
    }


def hidden(settings: Settings) -> list[str]:
    return [p.name for p in settings.data_dir.iterdir() if p.name.startswith(".")]


def jsonl(*records: dict[str, Any]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def refused(response: Reply, *words: str) -> str:
    message = assert_error(response, 422, "ingest_rejected")["message"]
    for word in words:
        assert word in message, message
    return message


@pytest.fixture(autouse=True)
def _leaves_the_corpus_as_it_was(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test cleans up after itself through the API: proof that it can."""
    yield
    if "client" in request.fixturenames:
        client: TestClient = request.getfixturevalue("client")
        corpus: Settings = request.getfixturevalue("corpus")
        assert listed(client) == set(BUNDLED)
        assert sorted(folder(corpus)) == sorted(f"{d}.txt" for d in BUNDLED)


EMPTY = {
    "whitespace": ("blank.txt", b" \n\t"),
    "advert-only": ("ad.txt", b"Ad\n"),  # three bytes the cleaner removes as an advertisement
    "zero-bytes": ("nothing.txt", b""),
    "separators": ("rule.txt", b"* * *\n---\n"),
    "markup-only": (
        "page.html",
        b"<html><head><script>var a = 1;</script><style>p {}</style></head>"
        b"<body><nav> </nav><img src='a.png'></body></html>",
    ),
    "front-matter-only": ("meta.md", b"---\ntitle: A headline and nothing else\n---\n"),
    "empty-records": ("records.jsonl", jsonl({"text": ""}, {"text": "  ", "title": " "}) + b"\n"),
    "boilerplate-records": ("promo.jsonl", jsonl({"text": "Advertisement"}, {"text": "Read more"})),
}


@pytest.mark.parametrize(("name", "content"), EMPTY.values(), ids=EMPTY.keys())
def test_an_upload_with_no_article_text_is_refused_and_leaves_nothing(
    client: TestClient, corpus: Settings, name: str, content: bytes
) -> None:
    before = folder(corpus)
    refused(upload(client, name, content), name, "no article text")
    assert folder(corpus) == before
    assert listed(client) == set(BUNDLED)


def test_an_empty_upload_does_not_replace_the_article_of_that_name(
    client: TestClient, corpus: Settings
) -> None:
    assert upload(client, "harbour-notes.txt", NOTE).status_code == 201
    before = folder(corpus)
    refused(upload(client, "harbour-notes.txt", b"  \n"), "no article text")
    assert folder(corpus) == before
    assert "07:45" in document_text(client, "harbour-notes")
    assert client.delete("/v1/documents/harbour-notes").status_code == 204


def test_a_part_empty_json_lines_file_is_refused_naming_the_line(
    client: TestClient, corpus: Settings
) -> None:
    before = folder(corpus)
    content = jsonl({"id": "a", "text": "The ferry leaves at dawn."}, {"id": "b", "text": "Ad"})
    refused(upload(client, "mixed.jsonl", content), "mixed.jsonl:2", "boilerplate")
    assert folder(corpus) == before


def test_every_article_of_a_json_lines_upload_can_be_deleted(
    client: TestClient, corpus: Settings
) -> None:
    content = jsonl(
        {"id": "a", "title": "Dawn ferry", "text": "The ferry to Kvitholmen leaves at dawn."},
        {"text": "The Vardo harbour master retires on 2 March 2026."},  # no id: named by line
        {"id": "c", "text": "The lighthouse at Kvitholmen gets a keeper again."},
    )
    r = upload(client, "ferries.jsonl", content)
    assert r.status_code == 201, r.text
    ids = ["ferries-2", "ferries-a", "ferries-c"]
    assert r.json()["doc_ids"] == ids and r.json()["file"] == "ferries.jsonl"
    assert set(ids) <= listed(client)

    path = corpus.data_dir / "ferries.jsonl"
    assert client.delete("/v1/documents/ferries-a").status_code == 204
    assert "ferries-a" not in listed(client)
    # The line is blanked, not removed: the article named by its line number keeps its id,
    # and a full ingest of the folder does not bring the deleted one back.
    assert path.read_bytes().split(b"\n")[0] == b""
    on_disk = {d.doc_id for d in load_directory(corpus.data_dir).documents}
    assert on_disk == set(BUNDLED) | {"ferries-2", "ferries-c"}
    assert "harbour master" in document_text(client, "ferries-2")

    assert client.delete("/v1/documents/ferries-2").status_code == 204
    assert client.delete("/v1/documents/ferries-c").status_code == 204
    assert not path.exists()  # no article left in it: the file goes too
    assert_error(client.delete("/v1/documents/ferries-c"), 404, "not_found")


def test_a_json_lines_file_uploaded_again_with_fewer_articles_forgets_the_rest(
    client: TestClient,
) -> None:
    three = jsonl(*({"id": i, "text": f"Notice {i}: the ferry leaves at dawn."} for i in "abc"))
    assert upload(client, "notices.jsonl", three).json()["doc_ids"] == [
        "notices-a",
        "notices-b",
        "notices-c",
    ]
    r = upload(client, "notices.jsonl", jsonl({"id": "b", "text": "Notice b: now at noon."}))
    assert r.status_code == 201, r.text
    assert r.json()["doc_ids"] == ["notices-b"]
    assert {d for d in listed(client) if d.startswith("notices-")} == {"notices-b"}
    assert "noon" in document_text(client, "notices-b")
    assert client.delete("/v1/documents/notices-b").status_code == 204


def test_an_upload_that_would_share_a_document_id_or_a_name_up_to_case_is_refused(
    client: TestClient, corpus: Settings
) -> None:
    assert upload(client, "notes.txt", NOTE).status_code == 201
    wire = jsonl({"id": "1", "text": "Wire copy: the ferry leaves at dawn."})
    assert upload(client, "wire.jsonl", wire).json()["doc_ids"] == ["wire-1"]
    assert upload(client, "gale-2.txt", b"Gale\n\nA gale closed the harbour.\n").status_code == 201
    before = folder(corpus)

    refused(upload(client, "notes.md", NOTE), "notes.md", "'notes'", "notes.txt")
    refused(upload(client, "Notes.txt", NOTE), "only by case")
    refused(upload(client, "NOTES.TXT", NOTE), "only by case")
    refused(upload(client, f"{BUNDLED[0]}.html", NOTE), f"{BUNDLED[0]}.txt")
    refused(upload(client, "wire-1.txt", NOTE), "'wire-1'", "wire.jsonl")
    gale = jsonl({"text": "Line one: no id."}, {"text": "Line two: its id is gale-2."})
    refused(upload(client, "gale.jsonl", gale), "'gale-2'", "gale-2.txt")
    r = client.post("/v1/documents", json={"doc_id": "notes", "text": "Notes as JSON."})
    refused(r, "notes.md", "notes.txt")
    assert folder(corpus) == before

    # The same name is an update, not a conflict.
    r = upload(client, "notes.txt", NOTE.replace(b"07:45", b"08:15"))
    assert r.status_code == 201 and r.json()["status"] == "updated", r.text
    assert "08:15" in document_text(client, "notes")
    for doc_id in ("notes", "wire-1", "gale-2"):
        assert client.delete(f"/v1/documents/{doc_id}").status_code == 204


def test_no_hidden_folder_is_left_and_stale_ones_are_swept(
    client: TestClient, corpus: Settings
) -> None:
    (corpus.data_dir / ".staging").mkdir()  # the shared folder earlier versions left behind
    dead = corpus.data_dir / ".staging-killed"  # a killed upload's, two hours old
    dead.mkdir()
    (dead / "half.txt").write_bytes(NOTE)
    old = time.time() - 7200
    os.utime(dead, (old, old))
    assert upload(client, "harbour-notes.txt", NOTE).status_code == 201
    assert hidden(corpus) == []
    for content in (b"\x00binary", b" "):
        assert upload(client, "harbour-notes.txt", content).status_code == 422
        assert hidden(corpus) == []
    assert upload(client, "notes.pdf", b"%PDF").status_code == 415
    assert hidden(corpus) == []
    assert client.delete("/v1/documents/harbour-notes").status_code == 204


class FailingStore:
    """A real store whose chunk writes fail, as when the Chroma server goes away mid-ingest."""

    def __init__(self, inner: ChromaStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "upsert_chunks":
            raise StoreError("The vector store is unavailable.")
        return getattr(self.inner, name)


def test_a_failed_sync_puts_the_previous_file_back(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    store = ChromaStore(settings, model_id=embedder.model_id, dimension=embedder.dimension)
    parts: dict[str, Any] = {"embedder": embedder, "chunker": build_chunker(settings, embedder)}
    data = settings.data_dir
    add_file(data, "harbour-notes.txt", NOTE, store=store, **parts)
    before = folder(settings)
    failing: Any = FailingStore(store)
    changed = NOTE.replace(b"07:45", b"08:15")
    with pytest.raises(StoreError):
        add_file(data, "harbour-notes.txt", changed, store=failing, **parts)
    with pytest.raises(StoreError):
        add_file(data, "new-notes.txt", NOTE, store=failing, **parts)
    assert folder(settings) == before  # the old file back, no new one, no staging folder
    assert "07:45" in (store.article_text("harbour-notes") or "")
    assert store.articles().get("new-notes") is None
