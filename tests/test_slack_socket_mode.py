"""``rag slack --socket`` (``run_socket_mode``) against a local stand-in for Slack: the Web API
(``apps.connections.open`` hands out a ``ws://127.0.0.1`` URL, ``chat.postMessage`` records
the answer) and a real WebSocket server that sends ``hello`` and ``events_api`` envelopes and
reads the acknowledgements. The socket is dropped twice mid-session, once with a close frame
(as Slack does when it moves a connection) and once without (a lost network path); each time
the bot must ask for a new URL, open a new socket and keep answering. Real Chroma, MiniLM and
BM25; a deterministic generator, as in test_slack.py."""

from __future__ import annotations

import itertools
import json
import queue
import socket as sockets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from api.slack.socket_mode import run_socket_mode
from service.core import Service
from service.settings import Settings
from tests.api_fixtures import FAKE_ANSWER, WORKING_GROUP
from tests.slack_fixtures import TOKEN, FakeSlack, RecordingGenerator, mention, texts

pytestmark = pytest.mark.slow

APP_TOKEN = "xapp-1-A0APP-test-not-a-real-token"
QUESTION_2 = "Which country plays the maritime role in the security guarantees?"


@dataclass
class Socket:
    """One WebSocket connection the bot opened, and what it sent on it (acks are JSON)."""

    path: str
    connection: ServerConnection
    received: queue.Queue[dict[str, Any]]
    closed: threading.Event

    @property
    def ticket(self) -> str:
        return self.path.split("ticket=", 1)[1].split("&", 1)[0]

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send(json.dumps(message))

    def next_message(self, timeout: float) -> dict[str, Any]:
        return self.received.get(timeout=timeout)

    def drop(self) -> None:
        """The TCP connection ends with no close frame, as when the network path is lost."""
        self.connection.socket.shutdown(sockets.SHUT_RDWR)


class SocketSlack(FakeSlack):
    """FakeSlack's Web API plus Socket Mode: each ``apps.connections.open`` issues a new
    ``ws://`` URL with a ticket, and each WebSocket the bot opens is handed to the test."""

    def __init__(self) -> None:
        super().__init__()
        self._tickets = itertools.count(1)
        self.issued: list[str] = []  # the tickets of the URLs handed out, in order
        self.sockets: list[Socket] = []  # every socket the bot opened, in order
        self._changed = time.monotonic()  # when a socket last opened or closed
        self.ws = serve(self._session, "127.0.0.1", 0)
        self.ws_url = f"ws://127.0.0.1:{self.ws.socket.getsockname()[1]}"

    def record(self, name: str, params: dict[str, Any], auth: str) -> dict[str, Any]:
        if name != "apps.connections.open":
            return super().record(name, params, auth)
        with self._lock:
            self.calls.append((name, params))
            self.tokens.append(auth)
            ticket = f"t{next(self._tickets)}"
            self.issued.append(ticket)
        return {"ok": True, "url": f"{self.ws_url}/link/?ticket={ticket}&app_id=A0APP"}

    def _session(self, connection: ServerConnection) -> None:
        """Slack's side of one socket: ``hello``, then relay what the bot sends until either
        side closes it. The test sends the envelopes."""
        socket = Socket(
            path=connection.request.path if connection.request else "",
            connection=connection,
            received=queue.Queue(),
            closed=threading.Event(),
        )
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {
                        "host": "applink-stand-in",
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": "A0APP"},
                }
            )
        )
        with self._lock:
            self.sockets.append(socket)
            self._changed = time.monotonic()
        try:
            for raw in connection:
                socket.received.put(json.loads(raw))
        except ConnectionClosed:
            pass
        finally:
            socket.closed.set()
            with self._lock:
                self._changed = time.monotonic()

    def live_socket(self, after: Socket | None = None, timeout: float = 30) -> Socket:
        """The bot's one open socket (not ``after``) once nothing has opened or closed for a
        second: slack_sdk may replace a connection it has just begun, so wait for it to settle.
        """

        def settled() -> Socket | None:
            with self._lock:
                live = [s for s in self.sockets if not s.closed.is_set()]
                quiet = time.monotonic() - self._changed >= 1.0
            return live[0] if quiet and len(live) == 1 and live[0] is not after else None

        found: Socket = wait_for("the bot's socket", settled, timeout)
        return found

    def fresh(self, socket: Socket, after: Socket | None = None) -> bool:
        """Did ``socket`` come from the newest URL handed out, a different one from ``after``'s?
        (A dropped URL is never reused: Slack's tickets are single-use.)"""
        with self._lock:
            newest = self.issued[-1]
        return socket.ticket == newest and (after is None or after.ticket != newest)

    @property
    def tokens_by_method(self) -> dict[str, set[str]]:
        with self._lock:
            out: dict[str, set[str]] = {}
            for (name, _), token in zip(self.calls, self.tokens, strict=True):
                out.setdefault(name, set()).add(token)
            return out

    def run_ws(self) -> threading.Thread:
        thread = threading.Thread(target=self.ws.serve_forever, daemon=True)
        thread.start()
        return thread


def envelope(
    event: dict[str, Any], event_id: str, envelope_id: str, attempt: int = 0
) -> dict[str, Any]:
    """An ``events_api`` envelope as Slack sends it over the socket."""
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": attempt,
        "retry_reason": "timeout" if attempt else "",
        "payload": {
            "token": "legacy",
            "team_id": "T0TEAM",
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": "T0TEAM", "user_id": "UBOT", "is_bot": True}],
        },
    }


def wait_for(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def ack_of(socket: Socket, envelope_id: str, timeout: float) -> tuple[dict[str, Any], float]:
    """The bot's acknowledgement of ``envelope_id`` on ``socket``, and when it came."""
    deadline = time.monotonic() + timeout
    while True:
        message = socket.next_message(max(0.01, deadline - time.monotonic()))
        if message.get("envelope_id") == envelope_id:
            return message, time.monotonic()


@pytest.fixture
def slack() -> Iterator[SocketSlack]:
    with SocketSlack().running() as fake:
        ws_thread = fake.run_ws()
        try:
            yield fake
        finally:
            fake.ws.shutdown()
            ws_thread.join(timeout=10)


@pytest.fixture
def bot_thread(
    slack: SocketSlack, corpus_settings: Settings, tmp_path: Any
) -> Iterator[tuple[threading.Event, threading.Thread, RecordingGenerator]]:
    """``run_socket_mode`` as ``rag slack --socket`` runs it, in a thread, until stopped."""
    settings = corpus_settings.model_copy(
        update={
            "slack_bot_token": SecretStr(TOKEN),
            "slack_app_token": SecretStr(APP_TOKEN),
            "slack_feedback_db": tmp_path / "feedback.sqlite3",
            "slack_api_url": slack.base_url,
        }
    )
    generator = RecordingGenerator()
    service = Service.from_settings(corpus_settings, generator=generator)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_socket_mode(settings, service=service, stop=stop)
        except BaseException as exc:  # surfaced by the test, not lost in the thread
            errors.append(exc)

    thread = threading.Thread(target=run, name="socket-mode-bot", daemon=True)
    thread.start()
    try:
        yield stop, thread, generator
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors


def answered(slack: SocketSlack, ts: str, timeout: float = 60) -> dict[str, Any]:
    """The bot's reply in the thread of ``ts``, once it comes."""
    return wait_for(  # type: ignore[no-any-return]
        f"the answer to {ts}",
        lambda: next((r for r in slack.of("chat.postMessage") if r["thread_ts"] == ts), None),
        timeout,
    )


def test_events_over_the_socket_are_acked_answered_and_survive_dropped_sockets(
    slack: SocketSlack,
    bot_thread: tuple[threading.Event, threading.Thread, RecordingGenerator],
) -> None:
    stop, thread, generator = bot_thread
    first = slack.live_socket(timeout=300)  # the models load before the bot connects
    assert slack.fresh(first)

    # An @mention: acknowledged on the socket at once, answered in its thread by the Web API.
    ts1 = "1700000101.000100"
    sent = time.monotonic()
    first.send(envelope(mention(WORKING_GROUP, ts1), "Ev0SOCKET1", "env-1"))
    ack, acked = ack_of(first, "env-1", timeout=10)
    assert set(ack) <= {"envelope_id", "payload"} and not ack.get("payload")
    assert acked - sent < 3.0
    reply = answered(slack, ts1)
    assert reply["channel"] == "C0CHAN"
    assert "France" in texts(reply["blocks"]) and FAKE_ANSWER.split(" [")[0] in reply["text"]
    assert WORKING_GROUP in generator.prompts[-1]

    # Slack closes the socket (a close frame, as when it moves a connection): the bot asks for
    # a new URL with its app-level token and opens a second socket.
    opened = len(slack.of("apps.connections.open"))
    first.connection.close(code=1001, reason="going away")
    assert first.closed.wait(10)
    second = slack.live_socket(after=first, timeout=30)
    assert len(slack.of("apps.connections.open")) > opened and slack.fresh(second, first)

    # Slack redelivers the first event on the new socket (it may not have seen the ack): it is
    # acknowledged and not answered twice. A new mention is answered.
    second.send(envelope(mention(WORKING_GROUP, ts1), "Ev0SOCKET1", "env-1b", attempt=1))
    ack_of(second, "env-1b", timeout=10)
    ts2 = "1700000102.000100"
    second.send(envelope(mention(QUESTION_2, ts2), "Ev0SOCKET2", "env-2"))
    ack_of(second, "env-2", timeout=10)
    assert answered(slack, ts2)["channel"] == "C0CHAN"
    assert QUESTION_2 in generator.prompts[-1]

    # The connection is lost without a close frame: the bot notices and reconnects quickly
    # (slack_sdk's built-in client took 59 s here, spinning on recv), and answers again.
    opened = len(slack.of("apps.connections.open"))
    second.drop()
    assert second.closed.wait(10)
    third = slack.live_socket(after=second, timeout=20)
    assert len(slack.of("apps.connections.open")) > opened and slack.fresh(third, second)
    ts3 = "1700000103.000100"
    third.send(envelope(mention(WORKING_GROUP, ts3), "Ev0SOCKET3", "env-3"))
    ack_of(third, "env-3", timeout=10)
    answered(slack, ts3)
    time.sleep(1.0)  # room for a wrongly repeated answer to arrive
    assert sorted(r["thread_ts"] for r in slack.of("chat.postMessage")) == [ts1, ts2, ts3]

    # Tokens: the app-level one only opens connections; the bot token does everything else.
    by_method = slack.tokens_by_method
    assert by_method.pop("apps.connections.open") == {f"Bearer {APP_TOKEN}"}
    assert set().union(*by_method.values()) == {f"Bearer {TOKEN}"}

    # Stopping closes the socket and the thread ends.
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert third.closed.wait(10)
