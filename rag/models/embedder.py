"""Sentence-transformers embedder over packaged weights, loaded lazily and offline.

Identity (id, dimension, token limit) and the tokenizer come from the model folder's small
JSON files, so checking a store or counting tokens never loads torch; the network is never
consulted because the model is always a local folder and the hub is switched off.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError, ModelUnavailableError
from rag.models.registry import MODELS
from rag.protocols import Vectors
from rag.settings import LibrarySettings


def force_offline() -> None:
    """Make any accidental hub call fail fast instead of attempting a download."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def resolve_embedding_model(name: str) -> tuple[str, Path]:
    """Return (model id, local folder) for a packaged model name or a local folder."""
    spec = MODELS.get(name)
    if spec is not None:
        if spec.kind != "embedder" or spec.module is None:
            raise ConfigError(f"{name} is not an embedding model.")
        try:
            module = importlib.import_module(spec.module)
        except ImportError:
            raise ModelUnavailableError(
                f"The embedding model {name} needs the package {spec.requirements[0]}: "
                f"run `{spec.install_hint()}`."
            ) from None
        return name, Path(module.get_model_path())
    folder = Path(name).expanduser()
    if (folder / "modules.json").is_file():
        return folder.resolve().name, folder.resolve()
    known = ", ".join(n for n, m in MODELS.items() if m.kind == "embedder")
    raise ConfigError(
        f"Unknown embedding model {name!r}: use one of {known} or a local "
        "sentence-transformers folder."
    )


class _WordPieces:
    """The embedder's own tokenizer, from tokenizer.json, without special tokens."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.no_truncation()
        self._tok.no_padding()  # the packaged tokenizer.json pads to 128

    def count(self, text: str) -> int:
        return len(self._tok.encode(text, add_special_tokens=False).ids)

    def count_many(self, texts: Sequence[str]) -> list[int]:
        encodings = self._tok.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]


class SentenceTransformerEmbedder:
    def __init__(self, settings: LibrarySettings) -> None:
        self._model_id, self._folder = resolve_embedding_model(settings.embedding_model)
        self._dtype = settings.embedding_dtype
        self._batch_size = settings.embedding_batch_size
        self._threads = settings.threads
        self._lock = threading.Lock()
        self._model: Any = None

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dtype(self) -> str:
        return self._dtype

    @cached_property
    def _config(self) -> dict[str, Any]:
        folder = self._folder
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
        bert = json.loads((folder / "sentence_bert_config.json").read_text())
        return {"dimension": pooling["word_embedding_dimension"], "max_seq": bert["max_seq_length"]}

    @property
    def dimension(self) -> int:
        return int(self._config["dimension"])

    @property
    def max_tokens(self) -> int:
        # [CLS] and [SEP] (or <s> and </s>) take two of the model's positions.
        return int(self._config["max_seq"]) - 2

    @cached_property
    def tokens(self) -> _WordPieces:
        return _WordPieces(self._folder)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                force_offline()
                import torch
                import transformers
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(self._threads)
                transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
                kwargs = {"dtype": torch.bfloat16} if self._dtype == "bfloat16" else {}
                self._model = SentenceTransformer(
                    str(self._folder), device="cpu", local_files_only=True, model_kwargs=kwargs
                )
            return self._model

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._load().encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        vectors = np.asarray(vectors, dtype=np.float32)
        # bf16 normalizes in bf16 (norms ~0.998): renormalize so dot product == cosine.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: Vectors = vectors / np.maximum(norms, 1e-12)
        return unit

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self.embed_documents([text])[0]
        return vector
