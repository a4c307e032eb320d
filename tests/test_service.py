"""The Service's corpus calls over the in-memory store: the composition root takes another
``ChunkStore``, and ingest, listing, reading, retrieval and deletion behave as over Chroma
(real MiniLM, real BM25 index; no LLM is loaded)."""

from __future__ import annotations

import pytest

from rag.errors import NotFoundError, UnsupportedFileError
from rag.store.memory import MemoryStore
from service.core import Service
from service.root import Parts
from service.settings import Settings

pytestmark = pytest.mark.slow

BUNDLED = {
    "000_87e92a4300705097",
    "001_43b0c0d1ec5d1bd6",
    "002_d284d28d32ec8da7",
    "003_e66dc6db878f3d90",
    "004_053fbe268d2d0c68",
}


@pytest.fixture
def service(settings: Settings) -> Service:
    store = MemoryStore(model_id="all-MiniLM-L6-v2", dimension=384)
    return Service(Parts(settings, store=store))


def test_ingest_list_read_retrieve_delete(service: Service) -> None:
    first = service.ingest_path()
    assert (first.added, first.unchanged) == (5, 0) and first.chunks_written > 0
    assert service.ingest_path().unchanged == 5  # idempotent over this store too
    assert {a.doc_id for a in service.articles()} == BUNDLED
    assert service.describe()["backend"] == "memory"
    assert service.readiness() == {"chunks": first.chunks_written}

    found = service.article("002_d284d28d32ec8da7")
    assert "Umerov" in found.text and found.record.n_chunks > 0
    top = service.retrieve("Rustem Umerov delegation Florida", k=2)
    assert top[0].doc_id == "002_d284d28d32ec8da7"
    assert {"dense", "bm25", "fused"} <= set(top[0].scores)

    service.delete_article("002_d284d28d32ec8da7")  # the file, the record, the chunks, BM25
    assert "002_d284d28d32ec8da7" not in {a.doc_id for a in service.articles()}
    assert all(c.doc_id != "002_d284d28d32ec8da7" for c in service.retrieve("Umerov Florida"))
    with pytest.raises(NotFoundError):
        service.article("002_d284d28d32ec8da7")
    with pytest.raises(NotFoundError):
        service.delete_article("002_d284d28d32ec8da7")


def test_a_text_and_an_upload_are_ingested_and_retrieved(service: Service) -> None:
    note = service.ingest_text(
        "The Kvitholmen lighthouse will be staffed again from 1 June 2026.",
        title="Kvitholmen lighthouse",
        published="2026-03-03",
    )
    assert (note.file, note.doc_ids, note.status) == (
        "kvitholmen-lighthouse.md",
        ["kvitholmen-lighthouse"],
        "added",
    )
    assert service.article("kvitholmen-lighthouse").record.published is not None
    assert service.retrieve("When will Kvitholmen be staffed?")[0].doc_id == "kvitholmen-lighthouse"
    again = service.ingest_upload("kvitholmen-lighthouse.md", b"Kvitholmen\n\nNo keeper yet.\n")
    assert again.status == "updated"
    with pytest.raises(UnsupportedFileError):
        service.ingest_upload("report.pdf", b"%PDF-1.7")
