"""llama-build/wheel.py: wheels keyed by (version, flags), and the installed build checked."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("llama_wheel", ROOT / "llama-build/wheel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_flags_file_is_portable_on_purpose(tool: ModuleType) -> None:
    flags = tool.settings_of(tool.read_flags())
    assert flags["GGML_NATIVE"] == "OFF"
    assert all(flags[f"GGML_{f}"] == "ON" for f in ("AVX", "AVX2", "FMA", "F16C"))
    assert all(v == "OFF" for k, v in flags.items() if "AVX512" in k or "AMX" in k)
    assert not tool.is_native(tool.read_flags())


def test_the_key_follows_version_and_flags_not_their_order(tool: ModuleType) -> None:
    flags = ["-DGGML_NATIVE=OFF", "-DGGML_AVX2=ON"]
    key = tool.build_key("0.3.36", flags)
    assert tool.build_key("0.3.36", list(reversed(flags))) == key
    assert tool.build_key("0.3.35", flags) != key
    assert tool.build_key("0.3.36", [*flags, "-DGGML_AVX512=ON"]) != key
    assert tool.build_key("0.3.36", []) != key  # native: ggml's default


def test_a_native_key_names_the_build_machine(tool: ModuleType, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    native = tool.build_key("0.3.36", [])
    monkeypatch.setattr(tool, "host_cpu", lambda: "another CPU; flags: avx512f amx_tile")
    assert tool.build_key("0.3.36", []) != native
    assert tool.build_key("0.3.36", ["-DGGML_NATIVE=OFF"]) == tool.build_key(
        "0.3.36", ["-DGGML_NATIVE=OFF"]
    )


def test_flags_must_be_distinct_definitions(tool: ModuleType) -> None:
    with pytest.raises(tool.BuildError):
        tool.check_flags(["-DGGML_AVX2=ON", "-DGGML_AVX2=OFF"])
    with pytest.raises(tool.BuildError):
        tool.check_flags(["GGML_AVX2=ON"])


def test_an_installed_build_that_is_not_the_wheel_is_found(
    tool: ModuleType, tmp_path: Path
) -> None:
    """A wheel with the installed libraries' names but other bytes (say, a native build)."""
    version = tool.pinned_version()
    installed = sorted(
        str(f)
        for f in importlib.metadata.files("llama-cpp-python") or []
        if str(f).startswith(tool.LIBS)
    )
    assert installed
    wheel = tmp_path / f"llama_cpp_python-{version}-cp311-cp311-linux_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        record = "".join(f"{name},sha256=b3RoZXIgYnl0ZXM,11\n" for name in installed)
        zf.writestr(f"llama_cpp_python-{version}.dist-info/RECORD", record)
    why = tool.installed_difference(wheel, version)
    assert why == f"the installed {installed[0]} differs from the one in {wheel.parent.name}"

    with zipfile.ZipFile(wheel, "w") as zf:  # fewer libraries than installed: leftovers
        zf.writestr(f"llama_cpp_python-{version}.dist-info/RECORD", record.splitlines()[0])
    if len(installed) > 1:
        assert "libraries the wheel lacks" in tool.installed_difference(wheel, version)


@pytest.mark.slow
def test_the_installed_build_is_the_keyed_portable_wheel(tool: ModuleType) -> None:
    """The venv's llama_cpp: the same libraries as the wheel, and the chosen features only."""
    line = tool.verify(tool.pinned_version(), tool.read_flags())
    assert "AVX2" in line
    assert "AVX512" not in line
    assert "AMX" not in line
