"""The Slack bot through real signed HTTP requests to ``/slack/events`` of the real app
(real Chroma, MiniLM and BM25; a deterministic generator), replying to a local stand-in for
Slack's Web API, so every assertion is on exactly what Slack would receive."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from api.app import create_app
from api.slack.bot import SlackBot
from api.slack.dedupe import Deduper
from api.slack.formatting import SECTION_LIMIT, answer_blocks, split_text
from eval.schema import GoldCase
from rag.errors import ConfigError
from rag.types import Answer, Citation, Trace
from service.core import Service
from service.settings import Settings
from tests.api_fixtures import FAKE_ANSWER, WORKING_GROUP
from tests.slack_fixtures import (
    BOT_USER,
    SECRET,
    TEAM,
    TOKEN,
    FakeSlack,
    RecordingGenerator,
    event_callback,
    interaction,
    mention,
    message,
    sign,
    texts,
)

GOLD_KEYS = set(GoldCase.model_fields)


# -- fast: formatting, storage, configuration (no models) ----------------------------------


def _citation(n: int, doc: str = "000_87e92a4300705097") -> Citation:
    return Citation(
        n=n, doc_id=doc, title=f"Title {n}", published=None, chunk_id=f"{doc}::v::0001",
        quote=f"quote {n}", start=0, end=7,
    )  # fmt: skip


def _answer(text: str, citations: list[Citation], **flags: bool) -> Answer:
    trace = Trace(question="q", standalone_question="q", filters={})  # type: ignore[arg-type]
    return Answer(answer=text, abstained=False, citations=citations, trace=trace, **flags)


def test_a_long_answer_is_split_under_the_section_limit_never_inside_a_link() -> None:
    sentence = "The working group is led by France and the United Kingdom [1]. "
    text = sentence * 120 + "\n\n" + "Türkiye plays the maritime role [2]. " * 60
    assert len(text) > 2 * SECTION_LIMIT
    doc_urls = {"000_87e92a4300705097": "https://example.org/a?x=1&y=2"}
    blocks = answer_blocks(
        _answer(text, [_citation(1), _citation(2, "001_43b0c0d1ec5d1bd6")]),
        answer_id=7,
        doc_urls=doc_urls,
    )
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) >= 3
    assert all(len(s) <= SECTION_LIMIT for s in sections)
    for s in sections:  # every piece ends on a sentence and holds whole links
        assert s.endswith(("[2].", "[1]>.", "[1].", "[2]>.")), s[-30:]
        assert s.count("<") == s.count(">")
    assert "<https://example.org/a?x=1&amp;y=2|[1]>" in sections[0]
    assert "[2]" in sections[-1] and "<" not in sections[-1]  # no URL: the marker stays
    joined = " ".join(sections).replace("<https://example.org/a?x=1&amp;y=2|[1]>", "[1]")
    assert " ".join(joined.split()) == " ".join(text.split())
    assert blocks[-1]["type"] == "actions"
    assert [e["action_id"] for e in blocks[-1]["elements"]] == ["feedback_up", "feedback_down"]
    assert len(blocks) <= 50


def test_split_text_handles_text_without_boundaries() -> None:
    pieces = split_text("x" * 7000)
    assert [len(p) for p in pieces] == [3000, 3000, 1000]


def test_an_abstention_says_so_plainly_and_mrkdwn_is_escaped() -> None:
    answer = _answer("The articles do not contain the answer <b> & more.", [])
    answer.abstained = True
    blocks = answer_blocks(answer, answer_id=None)
    assert "don't hold the answer" in blocks[0]["text"]["text"]
    assert "&lt;b&gt; &amp; more" in blocks[1]["text"]["text"]
    assert all(b["type"] != "actions" for b in blocks)


def test_dedupe_claims_a_key_once(tmp_path: Path) -> None:
    dedupe = Deduper(tmp_path / "f.sqlite3")
    assert dedupe.claim("event:Ev1") and not dedupe.claim("event:Ev1")
    assert not Deduper(tmp_path / "f.sqlite3").claim("event:Ev1")  # across instances
    assert dedupe.claim("event:Ev2")


def test_a_thumbs_down_on_an_abstention_exports_as_a_valid_unanswerable_case(
    tmp_path: Path,
) -> None:
    from api.slack.feedback import FeedbackStore, export_feedback
    from eval.schema import parse_gold
    from rag.conversation import Turn

    store = FeedbackStore(tmp_path / "f.sqlite3")
    answer = _answer("The articles do not contain the answer to this question.", [])
    answer.abstained = True
    history = [Turn(role="user", content="Who?"), Turn(role="assistant", content="Them [1].")]
    kept = store.save(
        channel="C1", thread_ts="1.2", user="U1", question="What is the population of Ukraine?",
        answer=answer, history=history,
    )  # fmt: skip
    store.save(channel="C1", thread_ts="1.3", user="U1", question="q?", answer=answer, history=[])
    assert store.vote(kept, "U2", -1) and not store.vote(999, "U2", -1)
    assert export_feedback(store, tmp_path / "out.jsonl") == 1
    (case,) = parse_gold((tmp_path / "out.jsonl").read_text())
    assert case.id == f"slack-{kept}" and case.type == "unanswerable" and not case.answerable
    assert case.history == history


def test_a_missing_variable_is_named(tmp_path: Path) -> None:
    base = Settings(slack_feedback_db=tmp_path / "f.sqlite3", _env_file=None)  # type: ignore[call-arg]
    only_token = base.model_copy(update={"slack_bot_token": SecretStr(TOKEN)})
    with pytest.raises(ConfigError, match="RAG_SLACK_SIGNING_SECRET"):
        create_app(only_token)
    only_secret = base.model_copy(update={"slack_signing_secret": SecretStr(SECRET)})
    with pytest.raises(ConfigError, match="RAG_SLACK_BOT_TOKEN"):
        create_app(only_secret)
    assert create_app(base).state.slack is None  # neither: no Slack, no error
    assert "/slack/events" not in {getattr(r, "path", "") for r in create_app(base).routes}
    with pytest.raises(ConfigError, match="RAG_SLACK_BOT_TOKEN"):
        SlackBot(base, socket_mode=True)
    assert TOKEN not in repr(only_token)


# -- the app over HTTP --------------------------------------------------------------------


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack().running() as fake:
        yield fake


@pytest.fixture(scope="module")
def generator() -> RecordingGenerator:
    return RecordingGenerator()


@pytest.fixture(scope="module")
def slack_settings(
    corpus_settings: Settings, slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return corpus_settings.model_copy(
        update={
            "slack_bot_token": SecretStr(TOKEN),
            "slack_signing_secret": SecretStr(SECRET),
            "slack_feedback_db": tmp_path_factory.mktemp("slack") / "feedback.sqlite3",
            "slack_api_url": slack.base_url,
        }
    )


@pytest.fixture(scope="module")
def client(
    slack_settings: Settings, corpus_settings: Settings, generator: RecordingGenerator
) -> Iterator[TestClient]:
    service = Service.from_settings(slack_settings, generator=generator)
    with TestClient(create_app(service=service)) as c:
        yield c


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    if "client" in request.fixturenames:
        request.getfixturevalue("slack").clear()


def bot(client: TestClient) -> SlackBot:
    found: SlackBot = client.app.state.slack  # type: ignore[attr-defined]
    return found


def post(client: TestClient, body: bytes, *, form: bool = False, **headers: str) -> Any:
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    response = client.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": kind, **sign(body), **headers},
    )
    assert bot(client).wait_idle(60), "the bot did not finish its work"
    return response


@pytest.mark.slow
def test_url_verification_echoes_the_challenge(client: TestClient) -> None:
    body = json.dumps({"token": "t", "challenge": "3eZbrw1aB", "type": "url_verification"})
    r = post(client, body.encode())
    assert r.status_code == 200 and r.json() == {"challenge": "3eZbrw1aB"}


@pytest.mark.slow
def test_bad_signature_and_stale_timestamp_are_refused(
    client: TestClient, slack: FakeSlack
) -> None:
    body = event_callback(mention(WORKING_GROUP, "1700000000.000050"), "EvBAD")
    forged = {**sign(body, secret="not-the-secret"), "Content-Type": "application/json"}
    assert client.post("/slack/events", content=body, headers=forged).status_code == 401
    stale = {**sign(body, timestamp=int(time.time()) - 6 * 60), "Content-Type": "application/json"}
    assert client.post("/slack/events", content=body, headers=stale).status_code == 401
    tampered = {**sign(body), "Content-Type": "application/json"}
    r = client.post(
        "/slack/events", content=body.replace(b"U0ALICE", b"U0MALLORY"), headers=tampered
    )
    assert r.status_code == 401
    assert bot(client).wait_idle(10)
    assert slack.of("chat.postMessage") == [] and slack.of("reactions.add") == []


@pytest.mark.slow
def test_a_mention_gets_one_threaded_reply_with_sources_even_on_retry_and_double_delivery(
    client: TestClient, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ts = "1700000001.000100"
    body = event_callback(mention(WORKING_GROUP, ts), "Ev0MENTION")
    t0 = time.perf_counter()
    r = client.post(
        "/slack/events", content=body, headers={"Content-Type": "application/json", **sign(body)}
    )
    assert r.status_code == 200 and time.perf_counter() - t0 < 3.0  # acknowledged at once
    assert bot(client).wait_idle(60)

    (reply,) = slack.of("chat.postMessage")
    assert reply["channel"] == "C0CHAN" and reply["thread_ts"] == ts
    shown = texts(reply["blocks"])
    assert "France" in shown and "[1]" in shown and FAKE_ANSWER.split(" [")[0] in shown
    sources = [b for b in reply["blocks"] if b["type"] == "context" and "*Sources*" in texts([b])]
    assert (
        sources and "`000_87e92a4300705097`" in texts(sources) and "25 Nov 2025" in texts(sources)
    )
    actions = reply["blocks"][-1]
    assert [e["action_id"] for e in actions["elements"]] == ["feedback_up", "feedback_down"]
    assert "France" in reply["text"]
    working = {"channel": "C0CHAN", "timestamp": ts, "name": "hourglass_flowing_sand"}
    for method in ("reactions.add", "reactions.remove"):
        (call,) = slack.of(method)
        assert {k: call[k] for k in working} == working

    # Slack retries the same event; the same message also arrives as `message`: no new reply.
    assert (
        post(
            client, body, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        ).status_code
        == 200
    )
    as_message = message(f"<@{BOT_USER}> {WORKING_GROUP}", ts)
    assert post(client, event_callback(as_message, "Ev0MESSAGE")).status_code == 200
    assert len(slack.of("chat.postMessage")) == 1 and len(slack.of("reactions.add")) == 1

    # Bot tokens are never logged, and only sent to Slack as a bearer token.
    assert TOKEN not in caplog.text
    assert all(t == f"Bearer {TOKEN}" for t in slack.tokens)


@pytest.mark.slow
def test_a_thread_follow_up_is_answered_with_its_history_without_a_mention(
    client: TestClient, slack: FakeSlack, generator: RecordingGenerator
) -> None:
    root = "1700000002.000100"
    post(client, event_callback(mention(WORKING_GROUP, root, "C0NEWS"), "Ev1ROOT"))
    assert len(slack.of("chat.postMessage")) == 1
    generator.prompts.clear()

    follow_up = "And which country plays the maritime role?"
    post(
        client,
        event_callback(
            message(follow_up, "1700000002.000200", "C0NEWS", thread_ts=root), "Ev1NEXT"
        ),
    )
    replies = slack.of("chat.postMessage")
    assert len(replies) == 2 and replies[1]["thread_ts"] == root
    condense = generator.prompts[0]  # the follow-up was rewritten with the thread's turns
    assert follow_up in condense and WORKING_GROUP in condense and "France" in condense
    answers = bot(client).store.thread("C0NEWS", root)
    assert [a.question for a in answers] == [WORKING_GROUP, follow_up]
    assert [t.role for t in answers[1].history] == ["user", "assistant"]

    # Not answered: a thread the bot is not in, a plain channel message, bots (itself too).
    post(
        client,
        event_callback(
            message(follow_up, "1700000003.000200", thread_ts="1700000003.000100"), "Ev1OTHER"
        ),
    )
    post(client, event_callback(message(WORKING_GROUP, "1700000003.000300"), "Ev1PLAIN"))
    bot_msg = message("hello", "1700000002.000300", "C0NEWS", thread_ts=root, bot_id="B0OTHER")
    post(client, event_callback(bot_msg, "Ev1BOT"))
    own = message("an answer", "1700000002.000400", "C0NEWS", thread_ts=root, user=BOT_USER)
    post(client, event_callback(own, "Ev1OWN"))
    assert len(slack.of("chat.postMessage")) == 2


@pytest.mark.slow
def test_a_direct_message_is_answered(client: TestClient, slack: FakeSlack) -> None:
    dm = message(WORKING_GROUP, "1700000004.000100", "D0DM", channel_type="im")
    post(client, event_callback(dm, "Ev2DM"))
    (reply,) = slack.of("chat.postMessage")
    assert reply["channel"] == "D0DM" and "thread_ts" not in reply
    assert "France" in texts(reply["blocks"])


@pytest.mark.slow
def test_a_vote_is_recorded_and_a_thumbs_down_exported_as_gold(
    client: TestClient, slack: FakeSlack, slack_settings: Settings, tmp_path: Path
) -> None:
    ts = "1700000005.000100"
    post(client, event_callback(mention(WORKING_GROUP, ts, "C0VOTE"), "Ev3ASK"))
    (reply,) = slack.of("chat.postMessage")
    buttons = {e["action_id"]: e["value"] for e in reply["blocks"][-1]["elements"]}

    def click(action: str, user: str) -> Any:
        return post(
            client,
            interaction(
                {
                    "type": "block_actions",
                    "user": {"id": user, "team_id": TEAM},
                    "team": {"id": TEAM},
                    "api_app_id": "A0APP",
                    "channel": {"id": "C0VOTE"},
                    "container": {"type": "message", "message_ts": "1800000000.000001"},
                    "message": {"ts": "1800000000.000001", "thread_ts": ts},
                    "response_url": f"{slack.url}/response/vote",
                    "trigger_id": "1.2.3",
                    "actions": [
                        {
                            "type": "button",
                            "action_id": action,
                            "block_id": "b",
                            "value": buttons[action],
                            "action_ts": str(time.time()),
                        }
                    ],
                }
            ),
            form=True,
        )

    assert click("feedback_up", "U0BOB").status_code == 200
    assert click("feedback_down", "U0CAROL").status_code == 200
    store = bot(client).store
    answer_id = int(buttons["feedback_down"])
    assert store.votes(answer_id) == {"U0BOB": 1, "U0CAROL": -1}
    thanks = slack.of("chat.postEphemeral")
    assert [(t["user"], t["thread_ts"]) for t in thanks] == [("U0BOB", ts), ("U0CAROL", ts)]

    from cli.main import app as cli

    out = tmp_path / "review.jsonl"
    env = {"RAG_SLACK_FEEDBACK_DB": str(slack_settings.slack_feedback_db)}
    result = CliRunner().invoke(cli, ["slack", "export-feedback", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    (case,) = [c for c in lines if c["id"] == f"slack-{answer_id}"]
    assert set(case) == GOLD_KEYS
    assert case["question"] == WORKING_GROUP and "France" in case["answer"]
    assert "000_87e92a4300705097" in case["doc_ids"] and case["quotes"] and case["answerable"]
    assert case["must_contain"] == []  # for the reviewer to fill


@pytest.mark.slow
def test_ask_answers_privately_and_can_share_to_the_channel(
    client: TestClient, slack: FakeSlack
) -> None:
    fields = {
        "command": "/ask", "text": WORKING_GROUP, "user_id": "U0DAVE", "channel_id": "C0ASK",
        "team_id": TEAM, "response_url": f"{slack.url}/response/ask", "trigger_id": "1.2.4",
        "api_app_id": "A0APP", "token": "legacy",
    }  # fmt: skip
    r = post(client, urllib.parse.urlencode(fields).encode(), form=True)
    assert r.status_code == 200 and "Looking that up" in r.text
    assert slack.of("chat.postMessage") == []
    (private,) = slack.of("chat.postEphemeral")
    assert private["channel"] == "C0ASK" and private["user"] == "U0DAVE"
    assert "France" in texts(private["blocks"])
    actions = private["blocks"][-1]["elements"]
    share = next(e for e in actions if e["action_id"] == "share_answer")

    payload = {
        "type": "block_actions", "user": {"id": "U0DAVE"}, "team": {"id": TEAM},
        "api_app_id": "A0APP", "channel": {"id": "C0ASK"},
        "container": {"type": "message", "is_ephemeral": True},
        "response_url": f"{slack.url}/response/share", "trigger_id": "1.2.5",
        "actions": [{"type": "button", "action_id": "share_answer", "block_id": "b",
                     "value": share["value"], "action_ts": str(time.time())}],
    }  # fmt: skip
    assert post(client, interaction(payload), form=True).status_code == 200
    (shared,) = slack.of("chat.postMessage")
    assert shared["channel"] == "C0ASK" and "<@U0DAVE> asked" in texts(shared["blocks"])
    assert "France" in texts(shared["blocks"])
    assert [e["action_id"] for e in shared["blocks"][-1]["elements"]] == [
        "feedback_up",
        "feedback_down",
    ]
    (deleted,) = slack.of("response_url")
    assert deleted["delete_original"] is True


@pytest.mark.slow
def test_an_empty_mention_gets_the_usage(client: TestClient, slack: FakeSlack) -> None:
    post(client, event_callback(mention("", "1700000006.000100"), "Ev4EMPTY"))
    (reply,) = slack.of("chat.postMessage")
    assert "Ask me a question" in reply["text"]
