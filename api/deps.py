"""FastAPI dependencies the routes share: the lifespan's ``Services`` and the caller's key.

Routes import these from here, never from ``api.app`` (which imports the routes)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from api.errors import NotReady, Unauthorized
from api.services import Services


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
