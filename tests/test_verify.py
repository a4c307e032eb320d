"""Verifying a statement where users meet it: `rag verify` as a process on a private corpus,
``POST /v1/verify`` over real HTTP (uvicorn), and Slack's ``/verify`` as a signed request to
that same server, answering a local stand-in for Slack. Real Chroma, MiniLM and BM25; the
packaged Qwen2.5 is the judge. Its calls are slow on 2 shared cores, so few claims reach it: a
contradicted claim is decided by the structural checks before the judge is asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.slack.bot import SlackBot
from api.slack.formatting import verdict_blocks
from rag.types import Citation
from rag.verification.types import Verdict
from service.core import Service
from service.settings import Settings
from tests.api_fixtures import FakeGenerator, assert_error, serve, with_generator
from tests.conftest import ROOT
from tests.model_fixtures import service_env
from tests.slack_fixtures import SECRET, TEAM, TOKEN, FakeSlack, sign, texts

ITALY = "003_e66dc6db878f3d90"  # "Italy has ruled out sending troops to Ukraine."
OTHER = "000_87e92a4300705097"  # the 25 November coalition meeting: nothing about Italy
SUPPORTED = "Italy has ruled out sending troops to Ukraine."
WILLING = "France, the UK and Belgium have said they would be willing to send troops to Ukraine."
CONTRADICTED = "Italy said it would send troops to Ukraine."


# -- fast: the Slack view of a verdict (no models) ----------------------------------------


def test_a_verdict_in_slack_shows_the_words_the_escaped_quote_and_its_span() -> None:
    citation = Citation(
        n=1, doc_id=ITALY, title="Allies <pledge> & more", published=None,
        chunk_id=f"{ITALY}::v::0003", quote="Italy has ruled out <sending> troops & more.",
        start=10, end=54,
    )  # fmt: skip
    verdict = Verdict(claim="c", verdict="contradicted", citations=[citation])
    shown = texts(verdict_blocks(verdict, doc_urls={ITALY: "https://example.org/a?x=1&y=2"}))
    assert "Contradicted" in shown
    assert "> Italy has ruled out &lt;sending&gt; troops &amp; more." in shown
    assert "<https://example.org/a?x=1&amp;y=2|Allies &lt;pledge&gt; &amp; more>" in shown
    assert f"`{ITALY}`" in shown and "characters 10–54" in shown and "undated" in shown
    empty = texts(verdict_blocks(Verdict(claim="c", verdict="not_found")))
    assert "Not found" in empty and ">" not in empty


# -- `rag verify` ---------------------------------------------------------------------------


def rag(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The `rag` command (``cli.main``) as a process, from this checkout."""
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_rag_verify_prints_the_verdict_and_the_exact_span(
    tmp_path: Path, settings: Settings
) -> None:
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = service_env(
        PYTHONPATH=pythonpath,
        RAG_DATA_DIR=str(settings.data_dir),
        RAG_CHROMA_PATH=str(settings.chroma_path),
        RAG_CACHE_DIR=str(ROOT / ".rag/cache"),  # the packaged GGUF, assembled once
    )
    assert rag("ingest", "-q", env=env, cwd=tmp_path).returncode == 0
    articles = Service.from_settings(settings)  # reads what `rag ingest` stored

    supported = rag("verify", SUPPORTED, env=env, cwd=tmp_path)  # asks the LLM judge
    assert supported.returncode == 0, supported.stderr
    lines = supported.stdout.splitlines()
    assert lines[0] == "Supported by the articles.", supported.stdout
    assert any(line.startswith(f"{ITALY}, 2025-09-04 — ") for line in lines), supported.stdout
    quote, start, end = _parse_quote(next(line for line in lines if line.startswith("    “")))
    assert quote == SUPPORTED
    assert articles.article(ITALY).text[start:end] == quote

    as_json = rag("verify", CONTRADICTED, "--json", env=env, cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    verdict = Verdict.model_validate(json.loads(as_json.stdout))
    assert verdict.claim == CONTRADICTED and verdict.verdict in ("contradicted", "not_found")
    assert {"decision", "retrieved", "timings_ms"} <= set(verdict.trace)
    for c in verdict.citations:
        assert articles.article(c.doc_id).text[c.start : c.end] == c.quote

    within = rag("verify", SUPPORTED, "--doc", OTHER, "--json", env=env, cwd=tmp_path)
    assert within.returncode == 0, within.stderr
    filtered = Verdict.model_validate(json.loads(within.stdout))
    assert filtered.verdict != "supported"
    assert all(c.doc_id == OTHER for c in filtered.citations)
    retrieved = filtered.trace["retrieved"]
    assert isinstance(retrieved, list) and {r["doc_id"] for r in retrieved} == {OTHER}

    unknown = rag("verify", SUPPORTED, "--doc", "no_such_doc", env=env, cwd=tmp_path)
    assert unknown.returncode == 1, unknown.stderr
    assert unknown.stderr.strip() == "error: No document 'no_such_doc'."
    empty = rag("verify", "   ", env=env, cwd=tmp_path)
    assert empty.returncode == 2 and "empty" in empty.stderr and "Traceback" not in empty.stderr


def _parse_quote(line: str) -> tuple[str, int, int]:
    """``    “quote” (characters start–end)`` → (quote, start, end)."""
    body, _, span = line.strip().rpartition(" (characters ")
    start, end = span.rstrip(")").split("–")
    return body.removeprefix("“").removesuffix("”"), int(start), int(end)


# -- POST /v1/verify and Slack /verify on one served app ------------------------------------


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack().running() as fake:
        yield fake


@pytest.fixture(scope="module")
def served(
    corpus_settings: Settings,
    service: Service,
    slack: FakeSlack,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, SlackBot]]:
    """The app with Slack set up, on uvicorn; the session's packaged LLM is the judge."""
    settings = corpus_settings.model_copy(
        update={
            "slack_bot_token": SecretStr(TOKEN),
            "slack_signing_secret": SecretStr(SECRET),
            "slack_feedback_db": tmp_path_factory.mktemp("slack") / "feedback.sqlite3",
            "slack_api_url": slack.base_url,
        }
    )
    app = create_app(service=Service.from_settings(settings, generator=service.parts.generator))
    with serve(app) as url:
        yield url, app.state.slack


@pytest.fixture
def http(served: tuple[str, SlackBot]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0], timeout=600) as client:
        yield client


def _article(http: httpx.Client, doc_id: str) -> str:
    r = http.get(f"/v1/documents/{doc_id}")
    assert r.status_code == 200, r.text
    return str(r.json()["text"])


@pytest.mark.slow
def test_v1_verify_supported_with_the_judge_and_the_exact_span(http: httpx.Client) -> None:
    r = http.post("/v1/verify", json={"claim": WILLING, "include_trace": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"] == "supported", body["trace"]["decision"]
    (c,) = body["citations"]
    assert set(c) == {"doc_id", "title", "published", "quote", "start", "end"}
    assert c["doc_id"] == ITALY and c["published"] == "2025-09-04" and c["title"]
    assert _article(http, ITALY)[c["start"] : c["end"]] == c["quote"]
    assert c["quote"].startswith("France, the UK and Belgium have said")
    decision = body["trace"]["decision"]
    assert decision["judge"] is not None and decision["judge"] >= 0.5  # the LLM was asked
    assert body["trace"]["timings_ms"]["total"] > 0

    metrics = http.get("/metrics").text
    assert 'rag_verifications_total{verdict="supported"}' in metrics
    assert 'rag_http_requests_total{endpoint="/v1/verify",method="POST",status="200"}' in metrics
    assert 'rag_stage_seconds_count{stage="verify_retrieval"}' in metrics


@pytest.mark.slow
def test_v1_verify_a_contradicted_claim_is_never_supported(http: httpx.Client) -> None:
    r = http.post("/v1/verify", json={"claim": CONTRADICTED})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"] in ("contradicted", "not_found") and "trace" not in body
    for c in body["citations"]:
        assert _article(http, c["doc_id"])[c["start"] : c["end"]] == c["quote"]
    if body["verdict"] == "contradicted":
        assert SUPPORTED in body["citations"][0]["quote"]  # the sentence that says otherwise


@pytest.mark.slow
def test_v1_verify_doc_ids_limit_the_search(http: httpx.Client) -> None:
    r = http.post(
        "/v1/verify", json={"claim": SUPPORTED, "doc_ids": [OTHER], "include_trace": True}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"] != "supported"
    assert all(c["doc_id"] == OTHER for c in body["citations"])
    assert {chunk["doc_id"] for chunk in body["trace"]["retrieved"]} == {OTHER}


@pytest.mark.slow
def test_v1_verify_errors(http: httpx.Client) -> None:
    unknown = http.post("/v1/verify", json={"claim": SUPPORTED, "doc_ids": [ITALY, "nope_0"]})
    assert "nope_0" in assert_error(unknown, 404, "not_found")["message"]
    assert_error(http.post("/v1/verify", json={"claim": ""}), 422, "invalid_request")
    blank = assert_error(http.post("/v1/verify", json={"claim": " \n\t "}), 422, "invalid_request")
    assert "empty" in blank["message"]
    assert_error(http.post("/v1/verify", json={"claim": "x" * 2001}), 422, "too_long")
    assert_error(http.post("/v1/verify", json={"claim": "x", "k": 3}), 422, "invalid_request")
    assert_error(http.post("/v1/verify", json={}), 422, "invalid_request")

    schema = http.get("/openapi.json").json()
    operation = schema["paths"]["/v1/verify"]["post"]
    assert {"200", "404", "422", "429", "503"} <= set(operation["responses"])
    verdict = schema["components"]["schemas"]["VerifyResponse"]["properties"]["verdict"]
    assert set(verdict["enum"]) == {"supported", "contradicted", "not_found"}
    assert set(schema["components"]["schemas"]["VerifyRequest"]["properties"]) == {
        "claim",
        "doc_ids",
        "include_trace",
    }


@pytest.mark.slow
def test_v1_verify_is_rate_limited_like_ask(service: Service) -> None:
    limited = with_generator(service, FakeGenerator(), rate_limit_per_minute=1)
    with TestClient(create_app(service=limited)) as client:
        first = client.post("/v1/verify", json={"claim": CONTRADICTED})
        assert first.status_code == 200, first.text
        assert_error(client.post("/v1/verify", json={"claim": CONTRADICTED}), 429, "rate_limited")


def _command(text: str, slack: FakeSlack) -> bytes:
    fields = {
        "command": "/verify", "text": text, "user_id": "U0DAVE", "channel_id": "C0VERIFY",
        "team_id": TEAM, "response_url": f"{slack.url}/response/verify", "trigger_id": "1.2.9",
        "api_app_id": "A0APP", "token": "legacy",
    }  # fmt: skip
    return urllib.parse.urlencode(fields).encode()


def _post(http: httpx.Client, bot: SlackBot, body: bytes, headers: dict[str, str]) -> Any:
    response = http.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    assert bot.wait_idle(600), "the bot did not finish its work"
    return response


@pytest.mark.slow
def test_slack_verify_answers_privately_with_the_verdict_and_quote(
    http: httpx.Client, served: tuple[str, SlackBot], slack: FakeSlack
) -> None:
    bot = served[1]
    slack.clear()
    body = _command(SUPPORTED, slack)
    forged = _post(http, bot, body, sign(body, secret="not-the-signing-secret"))
    assert forged.status_code == 401
    assert slack.calls == []

    r = _post(http, bot, body, sign(body))
    assert r.status_code == 200 and "Checking that against the articles" in r.text
    assert slack.of("chat.postMessage") == []
    (private,) = slack.of("chat.postEphemeral")
    assert private["channel"] == "C0VERIFY" and private["user"] == "U0DAVE"
    shown = texts(private["blocks"])
    assert "You asked to verify" in shown and "Supported" in shown
    assert f"> {SUPPORTED}" in shown and f"`{ITALY}`" in shown and "4 Sep 2025" in shown
    start, end = (int(x) for x in shown.split("characters ")[1].split()[0].split("–"))
    assert _article(http, ITALY)[start:end] == SUPPORTED
    assert private["text"].startswith("Supported: “Italy has ruled out")

    slack.clear()
    empty = _command("  ", slack)
    usage = _post(http, bot, empty, sign(empty))
    assert usage.status_code == 200 and "statement to check" in usage.text
    assert slack.calls == []
