"""A local stand-in for Slack: its Web API (records every call, answers ``ok``) on 127.0.0.1,
and requests signed exactly as Slack signs them."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.api_fixtures import FakeGenerator

BOT_USER = "UBOT"
TEAM = "T0TEAM"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-not-a-real-token-0123456789"


class FakeSlack:
    """``base_url`` is what the bot's WebClient gets; ``calls`` what Slack would receive."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.tokens: list[str] = []
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                if "json" in (self.headers.get("content-type") or ""):
                    params: dict[str, Any] = json.loads(raw or b"{}")
                else:
                    params = dict(urllib.parse.parse_qsl(raw.decode()))
                for key in ("blocks", "attachments"):
                    if isinstance(params.get(key), str):
                        params[key] = json.loads(params[key])
                name = self.path.removeprefix("/api/").strip("/")
                if self.path.startswith("/response/"):
                    name = "response_url"
                reply = fake.record(name, params, self.headers.get("authorization", ""))
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.base_url = self.url + "/api/"

    def record(self, name: str, params: dict[str, Any], auth: str) -> dict[str, Any]:
        with self._lock:
            self.calls.append((name, params))
            self.tokens.append(auth)
        if name == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test",
                "user": "ragbot",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": "BBOT",
            }
        if name == "chat.postMessage":
            ts = f"1800000000.{next(self._ts):06d}"
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": params}
        if name == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1800000001.{next(self._ts):06d}"}
        return {"ok": True}

    def of(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [p for n, p in self.calls if n == name]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    @contextmanager
    def running(self) -> Iterator[FakeSlack]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 scheme: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest.hexdigest()}


def event_callback(event: dict[str, Any], event_id: str) -> bytes:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        }
    ).encode()


def interaction(payload: dict[str, Any]) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def texts(blocks: list[dict[str, Any]]) -> str:
    """All the text of some blocks, in order."""
    out: list[str] = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        for e in b.get("elements", []):
            out.append(e["text"]["text"] if isinstance(e.get("text"), dict) else e.get("text", ""))
    return "\n".join(out)


class RecordingGenerator(FakeGenerator):
    """The fake answer, and every prompt it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[str] = []

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, timeout_s: float
    ) -> Iterator[str]:
        self.prompts.append("\n".join(m["content"] for m in messages))
        return super().stream(messages, max_tokens=max_tokens, timeout_s=timeout_s)


def mention(text: str, ts: str, channel: str = "C0CHAN", **extra: str) -> dict[str, Any]:
    return {
        "type": "app_mention", "user": "U0ALICE", "text": f"<@{BOT_USER}> {text}", "ts": ts,
        "channel": channel, "event_ts": ts, **extra,
    }  # fmt: skip


def message(text: str, ts: str, channel: str = "C0CHAN", **extra: str) -> dict[str, Any]:
    return {
        "type": "message", "channel_type": "channel", "user": "U0ALICE", "text": text,
        "ts": ts, "channel": channel, "event_ts": ts, **extra,
    }  # fmt: skip
