"""The model process: ``python -m modelserver --model M.gguf --port P`` (the supervisor runs it).

One ``LlamaCppGenerator``, so one llama.cpp context: questions are answered one at a time and
the constant system prompt stays in its cached prefix, whichever API worker asks. It speaks
the subset of the OpenAI API the project's ``OpenAICompatibleGenerator`` uses:

    POST /v1/chat/completions  {"messages", "max_tokens"?, "stream"?}: SSE + [DONE], or JSON
    GET  /v1/models            the one model
    GET  /health               200 once the model is loaded (503 before): pid, restarts, busy

The stdlib's threading HTTP server: /health answers while a completion runs (llama.cpp
releases the GIL), and nothing heavier than the model itself loads in this process.
Completions need the bearer key the supervisor passes in ``RAG_MODELSERVER_KEY``.
"""

from __future__ import annotations

import argparse
import ctypes
import hmac
import json
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rag.errors import GenerationError
from rag.generation.llama import LlamaCppGenerator

KEY_ENV = "RAG_MODELSERVER_KEY"
EXIT_LOAD_FAILED = 3  # the model file could not be loaded: restarting will not help at once
EXIT_CANNOT_LISTEN = 75
# The caller enforces its own deadline and hangs up; this only bounds a caller that never does.
GENERATION_LIMIT_S = 600.0


@dataclass(frozen=True)
class ChatRequest:
    messages: list[dict[str, str]]
    max_tokens: int
    stream: bool
    top_logprobs: int = 0  # with ``logprobs: true``: the next token's likeliest alternatives


def parse_request(raw: bytes, context: int) -> ChatRequest:
    """The fields we honour, validated; a ``ValueError`` says what is wrong (a 400)."""
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise ValueError("The body is not JSON.") from None
    if not isinstance(body, dict):
        raise ValueError("The body must be a JSON object.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("`messages` must be a non-empty list.")
    for m in messages:
        if (
            not isinstance(m, dict)
            or m.get("role") not in ("system", "user", "assistant")
            or not isinstance(m.get("content"), str)
        ):
            raise ValueError("Each message needs a role (system, user, assistant) and text.")
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens", 256))
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise ValueError("`max_tokens` must be a positive integer.")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ValueError("`stream` must be true or false.")
    messages = [{"role": m["role"], "content": m["content"]} for m in messages]
    top = body.get("top_logprobs", 0) if body.get("logprobs") else 0
    if not isinstance(top, int) or isinstance(top, bool) or not 0 <= top <= 20:
        raise ValueError("`top_logprobs` must be an integer from 0 to 20.")
    return ChatRequest(
        messages=messages,
        max_tokens=min(max_tokens, context),
        stream=stream,
        top_logprobs=top,
    )


class ModelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        generator: LlamaCppGenerator,
        *,
        key: str,
        model: str,
        restarts: int,
    ) -> None:
        super().__init__(address, _Handler)
        self.generator = generator
        self.key = key
        self.model = model
        self.restarts = restarts
        self.loaded = threading.Event()
        self._count_lock = threading.Lock()
        self.busy = 0  # completions running or waiting for the model
        self.served = 0  # completions finished

    def load(self) -> None:
        """Load the model (requests wait for it); a file that cannot load ends the process,
        with the reason on stderr for the supervisor's log."""
        try:
            self.generator.load()
        except Exception as exc:
            print(f"modelserver: cannot load {self.generator.model_path}: {exc}", file=sys.stderr)
            sys.stderr.flush()
            os._exit(EXIT_LOAD_FAILED)
        self.loaded.set()

    def health(self) -> tuple[int, dict[str, Any]]:
        with self._count_lock:
            body: dict[str, Any] = {
                "status": "ok" if self.loaded.is_set() else "loading",
                "model": self.model,
                "pid": os.getpid(),
                "restarts": self.restarts,
                "busy": self.busy,
                "served": self.served,
            }
        timings = self.generator.last_timings
        if timings is not None:
            body["last_completion"] = timings.as_dict()
        return (200 if self.loaded.is_set() else 503), body

    def count(self, delta: int, *, served: bool = False) -> None:
        with self._count_lock:
            self.busy += delta
            self.served += int(served)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked streams: a reply cut short is detectable
    server: ModelServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: one line per completion would drown the service's own log."""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self._json(*self.server.health())
        elif path == "/v1/models":
            if self._authorized():
                model = {"id": self.server.model, "object": "model", "owned_by": "rag"}
                self._json(200, {"object": "list", "data": [model]})
        else:
            self._error(404, f"No such endpoint: GET {path}.")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if path != "/v1/chat/completions":
            self._error(404, f"No such endpoint: POST {path}.")
            return
        if not self._authorized():
            return
        try:
            request = parse_request(raw, self.server.generator.context)
        except ValueError as exc:
            self._error(400, str(exc))
            return
        if request.top_logprobs and not request.stream:
            self._logprobs(request)  # the claim verifier's judge: one token's alternatives
            return
        pieces = self.server.generator.stream(
            request.messages, max_tokens=request.max_tokens, timeout_s=GENERATION_LIMIT_S
        )
        self.server.count(+1)
        done = False
        try:
            done = self._stream(pieces) if request.stream else self._complete(pieces)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller hung up (its deadline passed): stop generating for it
        finally:
            close = getattr(pieces, "close", None)  # a generator: releases the model at once
            if close is not None:
                close()
            self.server.count(-1, served=done)

    def _logprobs(self, request: ChatRequest) -> None:
        """The next token and its ``top_logprobs`` alternatives, in OpenAI's format, read
        from one forward pass (nothing is generated, the prompt cache is reused)."""
        self.server.count(+1)
        done = False
        try:
            done = self._send_logprobs(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller hung up
        finally:
            self.server.count(-1, served=done)

    def _send_logprobs(self, request: ChatRequest) -> bool:
        try:
            top = self.server.generator.top_logprobs(request.messages, request.top_logprobs)
        except GenerationError as exc:
            self._error(500, str(exc))
            return False
        first = top[0] if top else ("", 0.0)
        self._json(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.server.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": first[0]},
                        "logprobs": {
                            "content": [
                                {
                                    "token": first[0],
                                    "logprob": first[1],
                                    "top_logprobs": [{"token": t, "logprob": lp} for t, lp in top],
                                }
                            ]
                        },
                        "finish_reason": "length",
                    }
                ],
            },
        )
        return True

    def _complete(self, pieces: Iterator[str]) -> bool:
        try:
            text = "".join(pieces)
        except GenerationError as exc:
            self._error(500, str(exc))
            return False
        timings = self.server.generator.last_timings
        body: dict[str, Any] = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.server.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": timings.finish_reason if timings else "stop",
                }
            ],
        }
        if timings is not None:
            body["usage"] = timings.usage()
            body["timings"] = timings.as_dict()
        self._json(200, body)
        return True

    def _stream(self, pieces: Iterator[str]) -> bool:
        # The first piece before the status line: a failure before any text (the prompt does
        # not fit the context, say) is then an error status, not an event.
        try:
            first = next(pieces, "")
        except GenerationError as exc:
            self._error(500, str(exc))
            return False
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": self.server.model,
                "choices": [choice],
            }

        self._event(chunk({"role": "assistant", "content": first}))
        try:
            for piece in pieces:
                self._event(chunk({"content": piece}))
        except GenerationError as exc:
            self._event({"error": {"message": str(exc), "type": "generation_failed"}})
            self._write_chunk(b"")
            return False
        timings = self.server.generator.last_timings
        last = chunk({}, timings.finish_reason if timings else "stop")
        if timings is not None:
            last["usage"] = timings.usage()
            last["timings"] = timings.as_dict()
        self._event(last)
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")  # the last chunk: the reply is complete
        return True

    def _authorized(self) -> bool:
        key = self.server.key
        scheme, _, given = self.headers.get("authorization", "").partition(" ")
        if not key or (scheme.lower() == "bearer" and hmac.compare_digest(given, key)):
            return True
        self._error(401, "A valid key is needed: send `Authorization: Bearer <key>`.")
        return False

    def _event(self, data: dict[str, Any]) -> None:
        self._write_chunk(f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode())

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": {"message": message, "type": "invalid_request_error"}})


def die_with_parent(parent_pid: int) -> None:
    """Never outlive the supervisor, however it ends (even SIGKILL): on Linux the kernel
    kills us when it goes (PR_SET_PDEATHSIG), and everywhere our stdin, a pipe only the
    supervisor holds open, reaches its end."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent_pid:  # it died before we asked
        os._exit(0)

    def watch() -> None:
        while os.read(0, 4096):
            pass
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m modelserver", description="The supervised model process (see README)."
    )
    parser.add_argument("--model", type=Path, required=True, help="The .gguf file.")
    parser.add_argument("--name", default=None, help="The model's id in replies.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=2048)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--restarts", type=int, default=0, help="Reported by /health.")
    parser.add_argument("--parent-pid", type=int, default=None, help="Exit when it exits.")
    args = parser.parse_args(argv)
    if args.parent_pid is not None:
        die_with_parent(args.parent_pid)
    generator = LlamaCppGenerator(args.model, threads=args.threads, context=args.context)
    try:
        server = ModelServer(
            (args.host, args.port),
            generator,
            key=os.environ.get(KEY_ENV, ""),
            model=args.name or args.model.stem,
            restarts=args.restarts,
        )
    except OSError as exc:
        print(f"modelserver: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_LISTEN)
    threading.Thread(target=server.load, name="model-load", daemon=True).start()
    server.serve_forever()
