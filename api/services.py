"""What the routes share, built once in the app's lifespan from ``Settings``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from api.limits import AdmissionQueue, RateLimiter
from api.metrics import Metrics
from ingest import make_chunker
from ingest.chunking import Chunker
from rag.lexical_sync import refresh
from rag.pipeline import Pipeline
from rag.settings import Settings


@dataclass
class Services:
    settings: Settings
    pipeline: Pipeline
    metrics: Metrics
    queue: AdmissionQueue
    limiter: RateLimiter
    chunker: Chunker
    ingest_lock: threading.Lock = field(default_factory=threading.Lock)
    lexical_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: Settings, pipeline: Pipeline | None = None) -> Services:
        pipeline = pipeline or Pipeline.from_settings(settings)
        return cls(
            settings=settings,
            pipeline=pipeline,
            metrics=Metrics(),
            queue=AdmissionQueue(settings.queue_size),
            limiter=RateLimiter(settings.rate_limit_per_minute),
            chunker=make_chunker(settings, pipeline.retriever.embedder),  # type: ignore[arg-type]
        )

    def warm_up(self) -> None:
        self.pipeline.warm_up()

    def refresh_lexical(self) -> None:
        """After an ingest here, and every ``lexical_refresh_s`` for ingests by other workers
        or the CLI: the BM25 index catches up with the store's committed articles, touching
        only those that changed, and is swapped in with one assignment."""
        retriever = self.pipeline.retriever
        with self.lexical_lock:
            retriever.lexical = refresh(
                retriever.lexical, retriever.store, self.settings.lexical_dir
            )
