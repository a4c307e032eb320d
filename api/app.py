"""The HTTP service: ``create_app()`` builds it; ``uvicorn --factory api.app:create_app``
or ``rag serve`` runs it. A thin adapter: every answer and every change to the corpus goes
through ``service.core.Service``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors, slack
from api.deps import client_key
from api.routes import answers, documents, openai_compat, ops, verify
from api.services import Services
from rag.errors import ConfigError, RagError
from service.core import Service
from service.settings import Settings, load_settings

log = logging.getLogger("api")


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
            await run_in_threadpool(svc.service.refresh)
        except RagError as exc:
            log.warning("BM25 refresh skipped: %s", exc)


def create_app(settings: Settings | None = None, service: Service | None = None) -> FastAPI:
    """A service may be injected (tests use one with a fake generator), and then its settings
    are the app's; else settings are given or read from the environment, and the service is
    built from them in the lifespan. Models load in the lifespan, never at import."""
    if service is not None and settings is not None and settings is not service.settings:
        raise ConfigError("create_app: pass the service, or settings, not both.")
    conf = service.settings if service is not None else (settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The embedded model runs in a supervised child process (`rag serve` starts one for
        # all its workers and passes its URL in the settings; an app run another way starts
        # its own), so a crash in native code costs one answer, not the service.
        supervisor = None
        served = conf
        if service is None:
            from modelserver.launch import served_settings, start_model_process

            supervisor = await run_in_threadpool(start_model_process, conf)
            if supervisor is not None:
                served = served_settings(conf, supervisor)
        try:
            svc = Services.build(served, service)
            svc.warm_up()
        except BaseException:
            if supervisor is not None:
                supervisor.stop()
            raise
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
        if supervisor is not None:
            supervisor.stop()

    app = FastAPI(
        title="rag-news",
        version="0.1.0",
        description="Questions answered from news articles, with citations you can check.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(_Observe)

    app.include_router(ops.router)
    app.include_router(answers.router, dependencies=[Depends(client_key)])
    app.include_router(verify.router, dependencies=[Depends(client_key)])
    app.include_router(openai_compat.router, dependencies=[Depends(client_key)])
    app.include_router(documents.router, dependencies=[Depends(client_key)])
    app.state.slack = slack.mount(app, conf)  # /slack/events, when token and secret are set
    return app
