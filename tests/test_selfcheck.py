"""The set-up model check: the real model runs in a child; a broken file or a killed child is
one sentence naming the cause (rag.models.selfcheck, `rag models --check`, `make setup`)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rag.errors import GenerationError, ModelUnavailableError
from rag.models.selfcheck import check_model, check_settings, signal_sentence
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RAG = Path(sys.executable).parent / "rag"


def one_sentence(text: str) -> bool:
    """One line ending in a full stop, no full stop followed by a new sentence inside."""
    return "\n" not in text and text.endswith(".") and not re.search(r"\.\s+[A-Z]", text)


@pytest.fixture(scope="module")
def real_model() -> Path:
    """The packaged Qwen2.5 1.5B, assembled once into the project's cache (as the pipeline)."""
    settings = Settings(cache_dir=ROOT / ".rag/cache", _env_file=None)  # type: ignore[call-arg]
    from rag.models.gguf import resolve_gguf

    return resolve_gguf(settings.llm_model, settings.cache_dir)


@pytest.fixture
def truncated_model(tmp_path: Path, real_model: Path) -> Path:
    """The real GGUF cut after 8 MB: a valid header whose tensors run past the end."""
    path = tmp_path / "truncated.gguf"
    with real_model.open("rb") as src:
        path.write_bytes(src.read(8 * 1024 * 1024))
    return path


@pytest.mark.slow
def test_the_packaged_model_loads_and_generates(real_model: Path) -> None:
    settings = Settings(cache_dir=ROOT / ".rag/cache", _env_file=None)  # type: ignore[call-arg]
    result = check_settings(settings)
    assert result is not None
    assert result.model_path == real_model
    assert result.tokens > 0
    assert "AVX2 = 1" in result.system_info
    assert result.summary().startswith("model check: ok")


@pytest.mark.slow
def test_a_truncated_model_fails_with_one_load_sentence(truncated_model: Path) -> None:
    settings = Settings(llm_model=str(truncated_model), _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ModelUnavailableError) as err:
        check_settings(settings)
    message = str(err.value)
    assert one_sentence(message), message
    assert str(truncated_model) in message
    assert "truncated, corrupt or not a GGUF model" in message


@pytest.mark.slow
def test_a_file_that_is_not_gguf_fails_with_the_load_sentence(tmp_path: Path) -> None:
    path = tmp_path / "notes.gguf"
    path.write_bytes(b"these are not the weights you are looking for\n" * 100)
    with pytest.raises(ModelUnavailableError, match="cannot load") as err:
        check_model(path)
    assert one_sentence(str(err.value))


@pytest.mark.parametrize("signum", [signal.SIGILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGKILL])
def test_a_child_killed_by_a_signal_names_the_signal_and_the_remedy(
    tmp_path: Path, signum: signal.Signals
) -> None:
    # The child a llama.cpp build with AVX-512/AMX becomes on a CPU that cannot run it.
    dies = [sys.executable, "-c", f"import os; os.kill(os.getpid(), {int(signum)})"]
    with pytest.raises(GenerationError) as err:
        check_model(tmp_path / "model.gguf", child_command=dies)
    message = str(err.value)
    assert one_sentence(message), message
    assert f"died by {signum.name}" in message
    assert "CPU instructions this CPU cannot run" in message
    assert "run `make setup`" in message
    assert "llama-build/cpu-flags" in message


def test_the_sentence_names_what_the_build_uses_and_the_cpu_lacks(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    native = frozenset({"AVX", "AVX2", "FMA", "AVX512", "AVX512_VNNI", "AMX_INT8"})
    epyc = frozenset({"avx", "avx2", "fma", "f16c", "bmi2"})
    message = signal_sentence(signal.SIGILL, model, native, epyc)
    assert one_sentence(message), message
    assert "uses AMX_INT8, AVX512, AVX512_VNNI, which this CPU lacks" in message
    # A Xeon that lists AMX but whose kernel does not let the process use it (issue 14).
    xeon = epyc | {"avx512f", "avx512_vnni", "amx_int8"}
    message = signal_sentence(signal.SIGILL, model, native, xeon)
    assert "uses AMX, which this CPU lists but the kernel may not let a process use" in message
    assert one_sentence(message)
    # An AVX-only CPU under the portable build: the flags file is where to turn AVX2 off.
    portable = frozenset({"AVX", "AVX2", "FMA", "F16C", "BMI2"})
    message = signal_sentence(signal.SIGILL, model, portable, frozenset({"avx"}))
    assert "uses AVX2, BMI2, F16C, FMA, which this CPU lacks" in message
    assert "llama-build/cpu-flags, where any this CPU lacks can be turned off" in message
    assert one_sentence(message)


def test_a_child_that_fails_otherwise_reports_its_exit_status(tmp_path: Path) -> None:
    fails = [sys.executable, "-c", "import sys; sys.exit('no llama here')"]
    with pytest.raises(GenerationError, match=r"exited with status 1 \(no llama here\)"):
        check_model(tmp_path / "model.gguf", child_command=fails)


def test_with_an_llm_server_there_is_nothing_to_check() -> None:
    settings = Settings(llm_base_url="http://127.0.0.1:9/v1", _env_file=None)  # type: ignore[call-arg]
    assert check_settings(settings) is None


@pytest.mark.slow
def test_rag_models_check_fails_with_the_sentence_on_a_broken_model(
    tmp_path: Path, truncated_model: Path
) -> None:
    env = {**os.environ, "RAG_LLM_MODEL": str(truncated_model)}
    env.pop("RAG_LLM_BASE_URL", None)
    out = subprocess.run(
        [str(RAG), "models", "--check"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 3  # ModelUnavailableError's exit code
    [line] = out.stderr.strip().splitlines()
    assert line.startswith(f"error: llama.cpp cannot load {truncated_model}")
    assert one_sentence(line.removeprefix("error: "))
