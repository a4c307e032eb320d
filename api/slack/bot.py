"""The Slack bot: a slack_bolt ``App`` over the same answer path as the HTTP service.

``SlackBot(settings)`` builds the app (no network: the bot's identity is fetched with
``auth.test`` on the first event); ``attach(services)`` gives it the ``Services`` the lifespan
built, so questions are admitted (length, rate, queue) and answered exactly as ``/v1/ask``
does (``api.admission``). Events are acknowledged at once; the work runs on the bot's own
executor, which tests (and shutdown) can wait on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pydantic import SecretStr
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from api.admission import admit, run, run_verify
from api.services import Services
from api.slack.dedupe import Deduper
from api.slack.feedback import FeedbackStore
from api.slack.handlers import register
from rag.conversation import Turn
from rag.errors import ConfigError
from rag.types import Answer
from rag.verification.types import Verdict
from service.settings import Settings

log = logging.getLogger("api.slack")


def require(value: SecretStr | None, variable: str, why: str) -> str:
    """The secret's value, or a ``ConfigError`` naming the variable that is missing."""
    secret = value.get_secret_value().strip() if value is not None else ""
    if not secret:
        raise ConfigError(f"{variable} is not set: {why}.")
    return secret


def events_api_configured(settings: Settings) -> bool:
    """True when both the bot token and the signing secret are set; one without the other
    is an error that names the missing variable."""
    token, secret = settings.slack_bot_token, settings.slack_signing_secret
    if token is None and secret is None:
        return False
    why = "the Slack Events API at /slack/events needs both the bot token and the signing secret"
    require(token, "RAG_SLACK_BOT_TOKEN", why)
    require(secret, "RAG_SLACK_SIGNING_SECRET", why)
    return True


class TrackingExecutor(ThreadPoolExecutor):
    """A thread pool that knows how much work is still running (``wait_idle``)."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="slack")
        self._running = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._running += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _: Future[Any]) -> None:
        with self._idle:
            self._running -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout=timeout)


class SlackBot:
    def __init__(self, settings: Settings, *, socket_mode: bool = False) -> None:
        mode = "Socket Mode" if socket_mode else "the Slack Events API"
        token = require(settings.slack_bot_token, "RAG_SLACK_BOT_TOKEN", f"{mode} needs it")
        secret = None
        if not socket_mode:
            secret = require(
                settings.slack_signing_secret, "RAG_SLACK_SIGNING_SECRET", f"{mode} needs it"
            )
        self.settings = settings
        self.store = FeedbackStore(settings.slack_feedback_db)
        self.dedupe = Deduper(settings.slack_feedback_db)
        self.executor = TrackingExecutor(max_workers=settings.queue_size + 4)
        self._services: Services | None = None
        self._doc_urls: dict[str, str] = {}
        self._doc_urls_at = 0.0
        client = WebClient(token=token, base_url=settings.slack_api_url, logger=log)
        self.app = App(
            client=client,
            signing_secret=secret,
            request_verification_enabled=not socket_mode,
            token_verification_enabled=False,
            process_before_response=False,
            listener_executor=self.executor,
            logger=log,
        )
        self.app.use(self._drop_seen_events)
        register(self)

    # -- life cycle -------------------------------------------------------------------------
    def attach(self, services: Services) -> None:
        self._services = services

    @property
    def ready(self) -> bool:
        return self._services is not None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("The Slack bot has no services attached yet.")
        return self._services

    def wait_idle(self, timeout: float = 30.0) -> bool:
        return self.executor.wait_idle(timeout)

    def close(self) -> None:
        self._services = None
        self.executor.shutdown(wait=True, cancel_futures=False)

    # -- middleware -------------------------------------------------------------------------
    def _drop_seen_events(
        self, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        """An event id seen before (a retry, ``X-Slack-Retry-Num``) is acknowledged and
        dropped. A retry of an event never seen (lost before it was claimed) is answered."""
        body = req.body if isinstance(req.body, dict) else {}
        event_id = body.get("event_id")
        if isinstance(event_id, str) and not self.dedupe.claim(f"event:{event_id}"):
            retry = (req.headers.get("x-slack-retry-num") or ["-"])[0]
            log.info("Slack event %s already handled (retry %s): dropped", event_id, retry)
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return next()

    # -- answering --------------------------------------------------------------------------
    def ask(self, who: str, question: str, history: list[Turn]) -> Answer:
        """Through the HTTP service's own path: ``admit`` (length, turns, rate), then ``run``
        (the admission queue's slot around ``Service.answer``, and the metrics)."""
        svc = self.services
        history = trim_history(history, svc.settings.max_messages - 1)
        admit(svc, who, question, len(history) + 1)
        return run(svc, question, history, None, None)

    def verify(self, who: str, claim: str) -> Verdict:
        """Through ``/v1/verify``'s path: ``admit`` (length, rate), then ``run_verify``."""
        svc = self.services
        admit(svc, who, claim, 1, what="statement")
        return run_verify(svc, claim, None)

    def doc_urls(self, doc_ids: list[str]) -> dict[str, str]:
        """Article URLs by document id (from the store, refreshed at most once a minute)."""
        missing = any(d not in self._doc_urls for d in doc_ids)
        if missing and time.monotonic() - self._doc_urls_at > 60:
            try:
                articles = self.services.service.articles()
                self._doc_urls = {a.doc_id: a.url or "" for a in articles}
            except Exception:  # links are a nicety: never fail an answer for them
                log.warning("could not read article URLs from the store", exc_info=True)
            self._doc_urls_at = time.monotonic()
        return {d: u for d, u in self._doc_urls.items() if d in doc_ids and u}


def trim_history(history: list[Turn], limit: int) -> list[Turn]:
    """The last ``limit`` turns, starting with a user's."""
    kept = history[-limit:] if limit > 0 else []
    while kept and kept[0].role != "user":
        kept = kept[1:]
    return kept
