"""``/v1/documents``: list, read, add (file upload or JSON) and delete articles, through the
same idempotent ingest as ``rag ingest`` (``Service``); the BM25 index follows each change."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import ServicesDep
from api.errors import ApiError, PayloadTooLarge, UnsupportedMedia
from api.schemas import DocumentIn, DocumentInfo, DocumentText, IngestResult
from rag.types import StoredArticle
from service.core import Upload

router = APIRouter(prefix="/v1/documents", tags=["documents"])
MAX_NAME = 100  # as for a JSON document's doc_id; file systems refuse names over 255 bytes


def info(a: StoredArticle) -> DocumentInfo:
    return DocumentInfo(
        doc_id=a.doc_id,
        title=a.title,
        published=a.published,
        source=a.source,
        url=a.url,
        chunks=a.n_chunks,
    )


@router.get("", response_model=list[DocumentInfo])
def list_documents(svc: ServicesDep) -> list[DocumentInfo]:
    return [info(a) for a in svc.service.articles()]


@router.get("/{doc_id}", response_model=DocumentText)
def get_document(doc_id: str, svc: ServicesDep) -> DocumentText:
    """The cleaned text that citation spans (``start``/``end``) index."""
    found = svc.service.article(doc_id)
    return DocumentText(**info(found.record).model_dump(), text=found.text)


async def _read_upload(request: Request, limit: int) -> tuple[str, bytes] | DocumentIn:
    """A multipart upload as (file name, bytes), or a JSON document; 413 past ``limit``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise PayloadTooLarge(f"The upload is over the limit of {limit} bytes.")
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=5)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ApiError('Send the article as a multipart field named "file".')
        base = re.split(r"[\\/]", upload.filename)[-1]  # the part that names the stored file
        if len(base) > MAX_NAME:
            raise ApiError(f"The file name is over {MAX_NAME} characters.")
        content = await upload.read(limit + 1)
        if len(content) > limit:
            raise PayloadTooLarge(f"The upload is over the limit of {limit} bytes.")
        return upload.filename, content
    if ctype.startswith("application/json"):
        raw = await request.body()
        if len(raw) > limit:
            raise PayloadTooLarge(f"The document is over the limit of {limit} bytes.")
        try:
            return DocumentIn.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
    raise UnsupportedMedia("Send multipart/form-data with a file, or a JSON document.")


@router.post("", response_model=IngestResult, status_code=201)
async def add_document(request: Request, svc: ServicesDep) -> IngestResult:
    got = await _read_upload(request, svc.settings.max_upload_bytes)

    def work() -> Upload:
        if isinstance(got, DocumentIn):
            return svc.service.ingest_text(
                got.text,
                doc_id=got.doc_id,
                title=got.title,
                published=got.published,
                source=got.source,
                url=got.url,
            )
        return svc.service.ingest_upload(*got)

    done = await run_in_threadpool(work)
    return IngestResult(
        file=done.file, doc_ids=done.doc_ids, status=done.status, chunks_written=done.chunks_written
    )


@router.delete("/{doc_id}", status_code=204)
def delete_document(doc_id: str, svc: ServicesDep) -> None:
    svc.service.delete_article(doc_id)
