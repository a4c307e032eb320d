"""Every error the service answers with, and its HTTP status, in one place.

The body is always ``{"error": {"code": "stable_code", "message": "A human sentence."}}``;
stack traces never leak. Library errors (``rag.errors``) map by type; the API adds its own.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import (
    ConfigError,
    EmbeddingMismatchError,
    GenerationError,
    IngestError,
    InvalidRequestError,
    ModelUnavailableError,
    NotFoundError,
    RagError,
    StoreError,
    UnsupportedFileError,
)

log = logging.getLogger("api")


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMedia(ApiError):
    status, code = 415, "unsupported_media_type"


class RateLimited(ApiError):
    status, code = 429, "rate_limited"


class Busy(ApiError):
    status, code = 503, "busy"


class NotReady(ApiError):
    status, code = 503, "not_ready"


# Library errors: (status, code). Order matters: the first matching class wins.
LIBRARY: list[tuple[type[RagError], int, str]] = [
    (EmbeddingMismatchError, 409, "embedding_mismatch"),
    (StoreError, 503, "store_unavailable"),
    (ModelUnavailableError, 503, "model_unavailable"),
    (GenerationError, 503, "generation_failed"),
    (UnsupportedFileError, 415, "unsupported_media_type"),
    (IngestError, 422, "ingest_rejected"),
    (NotFoundError, 404, "not_found"),
    (InvalidRequestError, 422, "invalid_request"),
    (ConfigError, 500, "misconfigured"),
    (RagError, 500, "internal_error"),
]


def library_status(exc: RagError) -> tuple[int, str]:
    """The status and code of a library error (the first matching class in ``LIBRARY``)."""
    return next((status, code) for cls, status, code in LIBRARY if isinstance(exc, cls))


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def _response(status: int, code: str, message: str, retry_after: int | None = None) -> JSONResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        headers_retry = exc.retry_after
        response = _response(exc.status, exc.code, exc.message, headers_retry)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RagError)
    async def _rag(_: Request, exc: RagError) -> JSONResponse:
        status, code = library_status(exc)
        if status >= 500:
            log.warning("%s: %s", code, exc)
        return _response(status, code, str(exc), 5 if status == 503 else None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
        return _response(422, "invalid_request", f"The request is not valid: {problems}.")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # a body that cannot be parsed (bad JSON, too deep)
            return _response(422, "invalid_request", f"The request is not valid: {exc.detail}.")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")  # the trace goes to the log, never to the client
        return _response(500, "internal_error", "Something went wrong on our side.")
