"""``POST /v1/verify``: is a statement supported by the articles, contradicted, or not found,
and by which exact passage. Admitted like ``/v1/ask`` (length, the caller's rate, a slot of
the queue: the judge is the answers' LLM); errors through ``api.errors``."""

from __future__ import annotations

from fastapi import APIRouter

from api.admission import admit, run_verify
from api.deps import ClientKey, ServicesDep
from api.schemas import VerifyRequest, VerifyResponse

router = APIRouter(prefix="/v1", tags=["verify"])


@router.post(
    "/verify",
    response_model=VerifyResponse,
    response_model_exclude_none=True,
    responses={
        404: {"description": "A document id in `doc_ids` is not in the store."},
        422: {"description": "The statement is empty, too long, or the body is not valid."},
        429: {"description": "Too many requests from this key."},
        503: {"description": "The queue is full, or the store or the LLM is unavailable."},
    },
)
def verify(body: VerifyRequest, svc: ServicesDep, key: ClientKey) -> VerifyResponse:
    """A statement → its verdict and the passage that decides it, quoted exactly
    (``quote == article.text[start:end]``, the text of ``GET /v1/documents/{doc_id}``)."""
    admit(svc, key, body.claim, 1, what="statement")
    verdict = run_verify(svc, body.claim, body.doc_ids)
    return VerifyResponse.of(verdict, body.include_trace)
