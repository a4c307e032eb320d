"""``/v1/documents``: list, read, add (file upload or JSON) and delete articles, through the
same idempotent ingest as ``rag ingest``. The BM25 index is refreshed after each change."""

from __future__ import annotations

import re
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from api.app import ServicesDep
from api.errors import ApiError, NotFound, PayloadTooLarge, UnsupportedMedia
from api.schemas import DocumentIn, DocumentInfo, DocumentText, IngestResult
from ingest.documents import UnsupportedFile, add_file, markdown_document, remove_article
from rag.types import StoredArticle

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
    articles = svc.pipeline.retriever.store.articles()
    return [info(a) for a in sorted(articles.values(), key=lambda a: a.doc_id)]


@router.get("/{doc_id}", response_model=DocumentText)
def get_document(doc_id: str, svc: ServicesDep) -> DocumentText:
    """The cleaned text that citation spans (``start``/``end``) index."""
    store = svc.pipeline.retriever.store
    record = store.articles().get(doc_id)
    text = store.article_text(doc_id) if record else None
    if record is None or text is None:
        raise NotFound(f"No document {doc_id!r}.")
    return DocumentText(**info(record).model_dump(), text=text)


async def _read_limited(request: Request, limit: int) -> tuple[str, bytes]:
    """(file name, bytes) from a multipart upload or a JSON body; 413 past ``limit``."""
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
            doc = DocumentIn.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        stem = doc.doc_id or re.sub(r"[^a-z0-9]+", "-", (doc.title or "article").lower())[:60]
        body = markdown_document(
            doc.text, title=doc.title, published=doc.published, source=doc.source, url=doc.url
        )
        return f"{stem.strip('-') or 'article'}.md", body.encode()
    raise UnsupportedMedia("Send multipart/form-data with a file, or a JSON document.")


@router.post("", response_model=IngestResult, status_code=201)
async def add_document(request: Request, svc: ServicesDep) -> IngestResult:
    filename, content = await _read_limited(request, svc.settings.max_upload_bytes)
    from starlette.concurrency import run_in_threadpool

    def work() -> IngestResult:
        with svc.ingest_lock:
            try:
                path, report = add_file(
                    svc.settings.data_dir,
                    filename,
                    content,
                    embedder=svc.pipeline.retriever.embedder,
                    store=svc.pipeline.retriever.store,
                    chunker=svc.chunker,
                )
            except UnsupportedFile as exc:
                raise UnsupportedMedia(str(exc)) from None
            svc.refresh_lexical()
        stored = svc.pipeline.retriever.store.articles()
        ids = sorted(
            d for d, a in stored.items() if a.path.split(":")[0] == path.resolve().as_posix()
        )
        status: Literal["added", "updated", "unchanged"] = (
            "added" if report.added else ("updated" if report.updated else "unchanged")
        )
        return IngestResult(
            file=path.name,
            doc_ids=ids,
            status=status,
            chunks_written=report.chunks_written,
        )

    return await run_in_threadpool(work)


@router.delete("/{doc_id}", status_code=204)
def delete_document(doc_id: str, svc: ServicesDep) -> None:
    with svc.ingest_lock:
        try:
            remove_article(svc.settings.data_dir, doc_id, svc.pipeline.retriever.store)
        except KeyError:
            raise NotFound(f"No document {doc_id!r}.") from None
        svc.refresh_lexical()
