"""Packaged GGUF models: find the part packages, join them once into the cache, verify sha256."""

from __future__ import annotations

from pathlib import Path

from rag.errors import ConfigError, ModelUnavailableError
from rag.models.assembly import assemble, find_part
from rag.models.registry import MODELS, distribution_of, module_of


def resolve_gguf(name: str, cache_dir: Path) -> Path:
    """A verified local .gguf path for a packaged model name, or an existing .gguf file."""
    spec = MODELS.get(name)
    if spec is None:
        path = Path(name).expanduser()
        if path.suffix == ".gguf" and path.is_file():
            return path
        known = ", ".join(n for n, m in MODELS.items() if m.kind == "gguf")
        raise ConfigError(f"Unknown LLM {name!r}: use one of {known} or a path to a .gguf file.")
    if spec.kind != "gguf" or spec.sha256 is None:
        raise ConfigError(f"{name} is not a GGUF model.")
    try:
        parts = [find_part(distribution_of(r), module_of(r), ".bin") for r in spec.requirements]
    except ModelUnavailableError:
        raise ModelUnavailableError(
            f"The LLM {name} needs its {len(spec.requirements)} part packages: "
            f"run `{spec.install_hint()}`."
        ) from None
    return assemble(
        parts, cache_dir / "models" / f"{name}.gguf", sha256=spec.sha256, size=spec.size
    )
