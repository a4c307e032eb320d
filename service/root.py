"""The composition root: every part is built here from ``Settings``, and nowhere else.

The CLI, the API, the Slack bot, eval and the benchmarks get their parts from here (through
``Service``, or as ``Parts`` where a benchmark times one stage). Construction is lazy and
cheap: a part is built on first use and the embedder loads its weights only when it first
embeds, so ``rag ingest`` with nothing to do never imports torch and never touches the LLM.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ingest.chunking import Chunker
from rag.evidence import EvidenceSelector
from rag.lexical import LexicalIndex
from rag.lexical_sync import CommittedIndex
from rag.models.embedder import SentenceTransformerEmbedder
from rag.models.tokens import TiktokenCounter
from rag.pipeline import Pipeline
from rag.protocols import ChunkStore, Embedder, Generator
from rag.rerank import ProximityReranker
from rag.retrieval import HybridRetriever
from rag.settings import LibrarySettings
from rag.support import SupportChecker
from rag.verification.judge import Judge, LLMJudge, YesNoModel
from rag.verification.verifier import ClaimVerifier
from service.settings import Settings


def build_embedder(settings: LibrarySettings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(settings)


def build_counter(settings: LibrarySettings) -> TiktokenCounter:
    """tiktoken, for the LLM's budgets."""
    return TiktokenCounter(settings.cache_dir, settings.tiktoken_encoding)


def open_store(settings: LibrarySettings, embedder: Embedder) -> ChunkStore:
    from rag.store.chroma import ChromaStore

    return ChromaStore(settings, model_id=embedder.model_id, dimension=embedder.dimension)


def build_chunker(
    settings: LibrarySettings,
    embedder: SentenceTransformerEmbedder,
    counter: TiktokenCounter | None = None,
) -> Chunker:
    return Chunker(
        embedder.tokens,
        counter or build_counter(settings),
        max_tokens=embedder.max_tokens,
        chunk_tokens=settings.chunk_tokens,
        overlap=settings.chunk_overlap,
    )


def build_checker(settings: LibrarySettings, embedder: Embedder) -> SupportChecker:
    """The former lexical + MiniLM support test: bench/calibrate.py's reference only."""
    return SupportChecker(embedder, settings.support_threshold)


def build_verifier(settings: LibrarySettings, judge: Judge | None) -> ClaimVerifier:
    return ClaimVerifier(
        judge,
        soft_match=0.8,
        min_coverage=settings.verify_min_coverage,
        judge_threshold=settings.verify_judge_threshold,
        contradiction_coverage=settings.verify_contradiction_coverage,
    )


def build_retriever(
    settings: LibrarySettings, embedder: Embedder, store: ChunkStore, index: CommittedIndex
) -> HybridRetriever:
    """Hybrid retrieval; ``rerank_weight`` 0 leaves the second stage out."""
    return HybridRetriever(
        embedder,
        store,
        index,
        candidates=settings.retrieval_candidates,
        bm25_weight=settings.fusion_bm25_weight,
        reranker=ProximityReranker(settings.rerank_weight) if settings.rerank_weight > 0 else None,
    )


def build_generator(settings: LibrarySettings) -> Generator:
    """An OpenAI-compatible server when ``llm_base_url`` is set, else the packaged GGUF."""
    if settings.llm_base_url:
        from rag.generation.openai import OpenAICompatibleGenerator

        return OpenAICompatibleGenerator(
            settings.llm_base_url,
            settings.llm_model,
            settings.llm_api_key,
            health_url=settings.llm_health_url,
        )
    from rag.generation.llama import LlamaCppGenerator
    from rag.models.gguf import resolve_gguf

    return LlamaCppGenerator(
        resolve_gguf(settings.llm_model, settings.cache_dir),
        threads=settings.threads,
        context=settings.llm_context,
    )


class Parts:
    """Every part of one configuration, each built once on first use.

    ``generator`` and ``store`` may be given (a test's fake generator, a ``MemoryStore``);
    everything else comes from ``settings``.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        generator: Generator | None = None,
        store: ChunkStore | None = None,
    ) -> None:
        self.settings = settings
        self._given_generator = generator
        self._given_store = store

    @cached_property
    def embedder(self) -> SentenceTransformerEmbedder:
        return build_embedder(self.settings)

    @cached_property
    def store(self) -> ChunkStore:
        if self._given_store is not None:
            return self._given_store
        return open_store(self.settings, self.embedder)

    @cached_property
    def index(self) -> CommittedIndex:
        """The BM25 index, loaded and caught up with the store when first used."""
        return CommittedIndex(self.store, self.settings.lexical_dir, self.settings.bm25)

    @cached_property
    def counter(self) -> TiktokenCounter:
        return build_counter(self.settings)

    @cached_property
    def chunker(self) -> Chunker:
        return build_chunker(self.settings, self.embedder, self.counter)

    @cached_property
    def checker(self) -> SupportChecker:
        return build_checker(self.settings, self.embedder)

    @cached_property
    def verifier(self) -> ClaimVerifier:
        """The one claim verifier: answer sentences and ``Service.verify`` both use it."""
        judge = None
        if self.settings.verify_judge and isinstance(self.generator, YesNoModel):
            judge = LLMJudge(self.generator, timeout_s=self.settings.llm_timeout_s)
        return build_verifier(self.settings, judge)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return build_retriever(self.settings, self.embedder, self.store, self.index)

    @cached_property
    def evidence(self) -> EvidenceSelector:
        return EvidenceSelector(
            self.embedder,
            self.counter,
            budget_tokens=self.settings.evidence_tokens,
            max_sentences=self.settings.evidence_sentences,
            min_sentences=self.settings.evidence_min_sentences,
        )

    @cached_property
    def generator(self) -> Generator:
        if self._given_generator is not None:
            return self._given_generator
        return build_generator(self.settings)

    @cached_property
    def pipeline(self) -> Pipeline:
        return Pipeline(
            settings=self.settings,
            retriever=self.retriever,
            evidence=self.evidence,
            verifier=self.verifier,
            generator=self.generator,
            counter=self.counter,
        )

    def refresh_index(self) -> LexicalIndex:
        """Catch the BM25 index up with the store's committed articles (on first use it is
        built in step)."""
        if "index" not in self.__dict__:
            return self.index.current
        return self.index.refresh()

    def derive(self, *, generator: Generator | None = None, **overrides: Any) -> Parts:
        """Parts around ``generator`` (default: this one's) that share this one's loaded
        models, store and BM25 index; with settings ``overrides`` (the store's settings
        unchanged) the light parts are rebuilt from them, without, they are shared too."""
        parts = Parts(
            self.settings.model_copy(update=overrides),
            generator=generator or self.generator,
            store=self.store,
        )
        shared = ["embedder", "index", "counter"]
        if not overrides:
            shared += ["chunker", "checker", "retriever", "evidence"]
        parts.__dict__.update({name: getattr(self, name) for name in shared})  # built once
        return parts
