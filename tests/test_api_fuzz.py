"""Bad input never gets a 5xx: schemathesis against the app's OpenAPI schema, then bodies that
are oversized, empty, not UTF-8, binary or deeply nested on every POST endpoint, and upload
names that try to leave the data folder.

The app runs in-process over a private copy of the corpus (real Chroma, MiniLM and BM25, in a
temporary folder, so uploads and deletes never touch ``data/`` or ``.rag/``) with a fixed
generator instead of the LLM: what is tested here is input handling, not answers. Simpler
cases already covered elsewhere (invalid fields, ``too_long`` at the limit, a 500-deep body
on /v1/ask, the named traversal uploads) live in test_api.py and test_api_limits.py."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from api.routes.documents import MAX_NAME
from api.schemas import MAX_FILTER_DOC_IDS
from service.core import Service
from service.settings import Settings
from tests.api_fixtures import WORKING_GROUP, FakeGenerator, assert_error, private_corpus

pytestmark = pytest.mark.slow

MAX_UPLOAD = 4096
MAX_QUESTION = 300
JSON = {"content-type": "application/json"}
MULTIPART = {"content-type": "multipart/form-data; boundary=fuzz-boundary"}
QUESTION_ENDPOINTS = ("/v1/ask", "/v1/chat", "/v1/chat/completions")
POST_ENDPOINTS = (*QUESTION_ENDPOINTS, "/v1/documents")


def valid_body(path: str, text: str = WORKING_GROUP) -> dict[str, Any]:
    """The smallest valid JSON body of each POST endpoint, carrying ``text``."""
    if path == "/v1/ask":
        return {"question": text}
    if path == "/v1/documents":
        return {"title": "Fuzz", "text": text}
    return {"messages": [{"role": "user", "content": text}]}


@pytest.fixture(scope="module")
def fuzz_settings(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Settings:
    corpus = private_corpus(tmp_path_factory.mktemp("fuzz"), cache_dir)
    limits = {
        "max_upload_bytes": MAX_UPLOAD,
        "max_question_chars": MAX_QUESTION,
        "rate_limit_per_minute": 1_000_000,  # the fuzzer asks far more than 60 a minute
    }
    return corpus.model_copy(update=limits)


@pytest.fixture(scope="module")
def fake_service(fuzz_settings: Settings) -> Service:
    return Service.from_settings(fuzz_settings, generator=FakeGenerator())


# --- schemathesis -----------------------------------------------------------------------

# The schema does not depend on the service: it is read from an app that loads nothing, at
# import, because parametrize() needs it at collection. (schemathesis.pytest.from_fixture
# would defer it, but 4.32.5 reads ``Function._nodeid``, which pytest 9.2 no longer has.)
schema = schemathesis.openapi.from_dict(create_app(Settings(_env_file=None)).openapi())  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def fuzz_app(fake_service: Service) -> Iterator[FastAPI]:
    """The app schemathesis calls in-process; its lifespan starts on the first call."""
    yield create_app(service=fake_service)
    shutdown_lifespans()


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_schemathesis_finds_no_server_error(case: schemathesis.Case, fuzz_app: FastAPI) -> None:
    """Examples, coverage (boundary and invalid values) and fuzzing phases, valid and invalid
    data, per operation: never a 5xx, 2xx bodies match the schema, errors have our shape."""
    response = case.call(app=fuzz_app)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    if response.status_code >= 400:
        assert_error(response, response.status_code, response.json()["error"]["code"])


# --- explicit bad bodies ------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(fake_service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service=fake_service), raise_server_exceptions=False) as c:
        yield c


def test_the_fixture_app_answers(client: TestClient) -> None:
    """The bodies below are refused for what they are, not because nothing works."""
    for path in POST_ENDPOINTS:
        r = client.post(path, json=valid_body(path, WORKING_GROUP + " Kvitholmen ferry notes."))
        assert r.status_code in (200, 201), r.text
    r = client.delete("/v1/documents/fuzz")
    assert r.status_code == 204, r.text


THREE_MB = "x" * 3_000_000


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/ask", 422, "too_long"),
        ("/v1/chat", 422, "too_long"),
        ("/v1/chat/completions", 422, "too_long"),
        ("/v1/documents", 413, "payload_too_large"),
    ],
)
@pytest.mark.parametrize("size", [MAX_UPLOAD + 1, 3_000_000], ids=["just-over", "3MB"])
def test_oversized_json_body(
    client: TestClient, path: str, status: int, code: str, size: int
) -> None:
    """Over max_question_chars (questions) and over max_upload_bytes (documents)."""
    assert size > MAX_QUESTION
    assert_error(client.post(path, json=valid_body(path, THREE_MB[:size])), status, code)


@pytest.mark.parametrize("stream", [False, True], ids=["sized", "chunked"])
def test_oversized_upload(client: TestClient, fuzz_settings: Settings, stream: bool) -> None:
    """Over max_upload_bytes as a file and as a JSON body sent without a Content-Length."""
    before = sorted(fuzz_settings.data_dir.rglob("*"))
    big = b"Big article\n\n" + b"The ferry leaves at dawn. " * 2000
    if stream:
        body = json.dumps(valid_body("/v1/documents", big.decode())).encode()
        r = client.post("/v1/documents", content=iter([body[:1000], body[1000:]]), headers=JSON)
        assert "content-length" not in r.request.headers
    else:
        r = client.post("/v1/documents", files={"file": ("big.txt", big, "text/plain")})
    assert_error(r, 413, "payload_too_large")
    assert sorted(fuzz_settings.data_dir.rglob("*")) == before


@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        *[(p, JSON, 422, "invalid_request") for p in POST_ENDPOINTS],
        *[(p, {}, 422, "invalid_request") for p in QUESTION_ENDPOINTS],
        ("/v1/documents", {}, 415, "unsupported_media_type"),
        *[(p, MULTIPART, 422, "invalid_request") for p in QUESTION_ENDPOINTS],
        ("/v1/documents", MULTIPART, 400, "bad_request"),
        ("/v1/documents", {"content-type": "multipart/form-data"}, 422, "invalid_request"),
    ],
)
def test_empty_body(
    client: TestClient, path: str, headers: dict[str, str], status: int, code: str
) -> None:
    assert_error(client.post(path, content=b"", headers=headers), status, code)


@pytest.mark.parametrize("path", POST_ENDPOINTS)
@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("latin-1", "Café crème: qui dirige le groupe de travail?"),
        ("cp1252", "“Garanties de sécurité”: qui dirige le groupe?"),
        ("gb18030", "谁领导安全保障工作组?"),
    ],
    ids=["latin-1", "cp1252", "gb18030"],
)
def test_non_utf8_json_body(client: TestClient, path: str, encoding: str, text: str) -> None:
    """Valid JSON in another encoding (UTF-16 and UTF-32 are detected and read, as RFC 8259's
    predecessor allowed; these are not)."""
    raw = json.dumps(valid_body(path, text), ensure_ascii=False).encode(encoding)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert_error(client.post(path, content=raw, headers=JSON), 422, "invalid_request")


LONE = "Who leads the group \ud800 on security?"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/ask", {"question": LONE}),
        ("/v1/ask", {"question": "And then?", "history": [{"role": "user", "content": LONE}]}),
        ("/v1/ask", {"question": "Who leads?", "filters": {"doc_ids": [LONE]}}),
        ("/v1/chat", {"messages": [{"role": "user", "content": LONE}]}),
        ("/v1/chat", {"messages": [{"role": "user", "content": LONE}], "stream": True}),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": LONE}]}),
        (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": [{"type": "text", "text": LONE}]}]},
        ),
        (
            "/v1/chat/completions",
            {"model": LONE, "messages": [{"role": "user", "content": "Who?"}]},
        ),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": LONE}], "stream": True}),
        ("/v1/documents", {"title": LONE, "text": "Some text."}),
    ],
)
def test_lone_surrogate_in_json_is_422(client: TestClient, path: str, body: Any) -> None:
    """``"\\ud800"`` is valid JSON syntax but not a character: it cannot become UTF-8 (for the
    tokenizer, Chroma or the response), so it is refused before any work starts."""
    raw = json.dumps(body).encode()
    assert b"\\ud800" in raw
    assert_error(client.post(path, content=raw, headers=JSON), 422, "invalid_request")


GARBAGE = random.Random(7).randbytes(3000)
assert b"fuzz-boundary" not in GARBAGE


@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        *[(p, JSON, 422, "invalid_request") for p in POST_ENDPOINTS],
        *[(p, MULTIPART, 422, "invalid_request") for p in POST_ENDPOINTS],
        *[
            (p, {"content-type": "application/octet-stream"}, 422, "invalid_request")
            for p in QUESTION_ENDPOINTS
        ],
        (
            "/v1/documents",
            {"content-type": "application/octet-stream"},
            415,
            "unsupported_media_type",
        ),
    ],
)
def test_binary_garbage_body(
    client: TestClient, path: str, headers: dict[str, str], status: int, code: str
) -> None:
    assert_error(client.post(path, content=GARBAGE, headers=headers), status, code)


def test_binary_garbage_in_a_well_formed_multipart_upload(
    client: TestClient, fuzz_settings: Settings
) -> None:
    """A proper multipart envelope whose file is random bytes under a .txt name."""
    r = client.post("/v1/documents", files={"file": ("garbage.txt", GARBAGE, "text/plain")})
    assert_error(r, 422, "ingest_rejected")
    assert not (fuzz_settings.data_dir / "garbage.txt").exists()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [2_000, 100_000])
@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/v1/ask", '{"question": %s}'),
        ("/v1/ask", '{"question": "Who?", "filters": {"doc_ids": %s}}'),
        ("/v1/chat", '{"messages": %s}'),
        ("/v1/chat/completions", '{"messages": [{"role": "user", "content": %s}]}'),
        ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "Who?"}], "x": %s}'),
        ("/v1/documents", '{"text": %s}'),
    ],
)
def test_deeply_nested_json(client: TestClient, path: str, template: str, depth: int) -> None:
    """Past what the JSON parsers accept (Python's ~1000 levels, pydantic's 200)."""
    raw = (template % nested(depth)).encode()
    too_big = path == "/v1/documents" and len(raw) > MAX_UPLOAD
    expected = (413, "payload_too_large") if too_big else (422, "invalid_request")
    assert_error(client.post(path, content=raw, headers=JSON), *expected)


def test_too_many_filter_ids_is_422(client: TestClient) -> None:
    """Chroma turns each id into one SQLite variable: 33,000 of them were a 5xx."""
    ids = [f"doc-{i}" for i in range(MAX_FILTER_DOC_IDS + 1)]
    for path in ("/v1/ask", "/v1/chat"):
        body = {**valid_body(path), "filters": {"doc_ids": ids}}
        assert_error(client.post(path, json=body), 422, "invalid_request")
    body = {"question": WORKING_GROUP, "filters": {"doc_ids": ids[:MAX_FILTER_DOC_IDS]}}
    assert client.post("/v1/ask", json=body).status_code == 200


# --- upload names -----------------------------------------------------------------------


def files_outside(root: Path, settings: Settings) -> set[Path]:
    """Every file under ``root`` except the data folder's and the store's."""
    inside = (settings.data_dir, settings.chroma_path)
    return {p for p in root.rglob("*") if p.is_file() and not any(d in p.parents for d in inside)}


def upload(client: TestClient, name: str, content: bytes) -> Any:
    return client.post("/v1/documents", files={"file": (name, content, "text/plain")})


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("/etc/passwd", 415, "unsupported_media_type"),
        ("../../etc/passwd", 415, "unsupported_media_type"),
        ("..", 415, "unsupported_media_type"),
        ("/", 415, "unsupported_media_type"),
        ("a" * 300 + ".txt", 400, "bad_request"),  # was a 500: the file system refuses it
        ("../" * 50 + "b" * (MAX_NAME - 2) + ".md", 400, "bad_request"),  # one over
    ],
)
def test_refused_upload_names_write_nothing(
    client: TestClient, fuzz_settings: Settings, name: str, status: int, code: str
) -> None:
    root = fuzz_settings.data_dir.parent
    before, data_before = files_outside(root, fuzz_settings), set(fuzz_settings.data_dir.rglob("*"))
    assert_error(upload(client, name, b"Title\n\nThe ferry leaves at dawn.\n"), status, code)
    assert files_outside(root, fuzz_settings) == before
    assert set(fuzz_settings.data_dir.rglob("*")) == data_before


def test_absolute_upload_name_lands_in_the_data_dir(
    client: TestClient, fuzz_settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "escape" / "evil.txt"  # a path this process could write to
    r = upload(client, str(target), b"Evil\n\nUploaded under an absolute path on 2 March 2026.\n")
    assert r.status_code == 201, r.text
    assert r.json()["file"] == "evil.txt"
    assert (fuzz_settings.data_dir / "evil.txt").is_file()
    assert not target.parent.exists()
    assert client.delete("/v1/documents/evil").status_code == 204


def test_json_document_id_cannot_name_a_path(client: TestClient) -> None:
    for doc_id in ("../../etc/passwd", "/etc/passwd", "..", "a/b", "a\\b", "x" * 101):
        r = client.post("/v1/documents", json={"text": "Some text.", "doc_id": doc_id})
        assert_error(r, 422, "invalid_request")


@pytest.mark.parametrize("doc_id", ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%2Fetc%2Fpasswd"])
def test_traversal_in_a_document_path_is_404(client: TestClient, doc_id: str) -> None:
    assert_error(client.get(f"/v1/documents/{doc_id}"), 404, "not_found")
    assert_error(client.delete(f"/v1/documents/{doc_id}"), 404, "not_found")


SEGMENTS = st.sampled_from(["..", ".", "", "etc", "passwd", "~", "C:", "\x00", "é", "%2e%2e"])
NAMES = st.builds(
    lambda parts, sep, lead, ext: lead + sep.join(parts) + ext,
    st.lists(SEGMENTS | st.text(min_size=1, max_size=8), min_size=1, max_size=6),
    st.sampled_from(["/", "\\", "/./", "//"]),
    st.sampled_from(["", "/", "\\", "../", "/tmp/"]),
    st.sampled_from(["", ".txt", ".md", ".TXT", ".jsonl", ".pdf", ".txt/", ".txt\x00.md"]),
)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(name=NAMES)
def test_any_upload_name_stays_in_the_data_dir(
    client: TestClient, fuzz_settings: Settings, name: str
) -> None:
    """Whatever the name: a 4xx, or a file written directly in the data folder; never a file
    anywhere else under the temporary root, never a 5xx."""
    root = fuzz_settings.data_dir.parent
    before = files_outside(root, fuzz_settings)
    r = upload(client, name, b"Notes\n\nThe ferry to Kvitholmen leaves at 07:45 on weekdays.\n")
    assert r.status_code in (201, 400, 415, 422), r.text
    if r.status_code == 201:
        stored = fuzz_settings.data_dir / r.json()["file"]
        assert stored.parent == fuzz_settings.data_dir and stored.is_file()
        assert not stored.name.startswith(".")
        for doc_id in r.json()["doc_ids"]:
            assert client.delete(f"/v1/documents/{doc_id}").status_code == 204
    else:
        assert_error(r, r.status_code, r.json()["error"]["code"])
    assert files_outside(root, fuzz_settings) == before
    assert not [p for p in fuzz_settings.data_dir.iterdir() if p.name.startswith(".")]
