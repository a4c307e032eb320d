"""Health, readiness, Prometheus metrics, and the web chat page."""

from __future__ import annotations

import importlib.resources
from functools import cache

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ServicesDep, client_key
from api.errors import NotReady
from api.services import Services
from rag.errors import StoreError

router = APIRouter(tags=["ops"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (it may still be loading models)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> dict[str, object]:
    """Models loaded, the store reachable and the LLM answering (a supervised model process
    passes its health check); 503 otherwise, so a balancer skips this worker."""
    svc: Services | None = getattr(request.app.state, "services", None)
    if svc is None:
        raise NotReady("Models are loading.", retry_after=5)
    try:
        state = svc.service.readiness()
    except StoreError as exc:
        raise NotReady(str(exc), retry_after=5) from None
    generator = svc.service.generator_status()
    if not generator.up:  # a model process restarting: questions get quotes meanwhile
        raise NotReady(f"The LLM is not answering: {generator.detail}", retry_after=5)
    return {
        "status": "ready",
        **state,
        "queue": svc.queue.admitted,
        "generator": {"up": True, "restarts": generator.restarts},
    }


@router.get("/metrics", dependencies=[Depends(client_key)])
def metrics(svc: ServicesDep) -> Response:
    svc.metrics.queue.set(svc.queue.admitted)
    svc.metrics.observe_generator(svc.service.generator_status())
    return Response(svc.metrics.render(), media_type="text/plain; version=0.0.4")


@cache
def _page_html() -> str:
    return importlib.resources.files("api").joinpath("static/index.html").read_text("utf-8")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page() -> HTMLResponse:
    return HTMLResponse(_page_html(), headers={"Cache-Control": "no-cache"})
