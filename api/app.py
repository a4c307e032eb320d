"""The HTTP service: ``create_app()`` builds it; ``uvicorn --factory api.app:create_app``
or ``rag serve`` runs it. A thin adapter: every answer comes from ``rag.pipeline``."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.errors import NotReady, Unauthorized
from api.services import Services
from rag.components import load_settings
from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.settings import Settings

log = logging.getLogger("api")


def services(request: Request) -> Services:
    found: Services | None = getattr(request.app.state, "services", None)
    if found is None:
        raise NotReady("The service is starting: models are loading.", retry_after=5)
    return found


ServicesDep = Annotated[Services, Depends(services)]


def client_key(request: Request, svc: ServicesDep) -> str:
    """The caller's identity for rate limits; with API keys set, the key must be valid.
    Every configured key is compared in constant time, with no early exit."""
    keys = svc.settings.keys
    if not keys:
        return f"ip:{request.client.host if request.client else 'unknown'}"
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    matched = None
    for key in keys:
        if hmac.compare_digest(given.encode(), key.encode()) and scheme.lower() == "bearer":
            matched = key
    if matched is None:
        raise Unauthorized("A valid API key is needed: send `Authorization: Bearer <key>`.")
    return "key:" + hmac.new(b"rate", matched.encode(), "sha256").hexdigest()[:16]


ClientKey = Annotated[str, Depends(client_key)]


class _Observe:
    """Counts every response by endpoint and status (500s included) and times it to its last
    byte, so a streamed answer is measured whole. Plain ASGI: it sees what the client sees."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500  # unless a response starts: an exception that escapes is a 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            svc: Services | None = getattr(scope["app"].state, "services", None)
            route = scope.get("route")
            endpoint = getattr(route, "path", "unmatched")
            if svc is not None:
                svc.metrics.requests.labels(endpoint, scope["method"], str(status)).inc()
                svc.metrics.latency.labels(endpoint).observe(time.perf_counter() - t0)


async def _keep_lexical_fresh(svc: Services, every: float) -> None:
    """Ingests by other workers or the CLI reach this worker's BM25 index within ``every``
    seconds. A store that is down is reported by /readyz; here it only delays the refresh."""
    if every <= 0:
        return
    while True:
        await asyncio.sleep(every)
        try:
            await run_in_threadpool(svc.refresh_lexical)
        except RagError as exc:
            log.warning("BM25 refresh skipped: %s", exc)


def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """Settings are read from the environment when not given; a pipeline may be injected
    (tests use one with a fake generator); models load in the lifespan, never at import."""

    conf = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = Services.build(conf, pipeline)
        svc.warm_up()
        if not conf.keys:
            log.warning("No RAG_API_KEYS set: the service must only listen on 127.0.0.1.")
        app.state.services = svc
        if app.state.slack is not None:
            app.state.slack.attach(svc)
        refresher = asyncio.create_task(_keep_lexical_fresh(svc, conf.lexical_refresh_s))
        yield
        refresher.cancel()
        if app.state.slack is not None:
            app.state.slack.close()
        app.state.services = None

    app = FastAPI(
        title="rag-news",
        version="0.1.0",
        description="Questions answered from news articles, with citations you can check.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(_Observe)

    from api.routes import answers, documents, openai_compat, ops

    app.include_router(ops.router)
    app.include_router(answers.router, dependencies=[Depends(client_key)])
    app.include_router(openai_compat.router, dependencies=[Depends(client_key)])
    app.include_router(documents.router, dependencies=[Depends(client_key)])
    from api import slack

    app.state.slack = slack.mount(app, conf)  # /slack/events, when token and secret are set
    return app
