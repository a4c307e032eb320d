"""Does the embedded LLM really run here? Load the GGUF and generate a few tokens in a child.

A llama.cpp build compiled for instructions this CPU cannot run (AVX-512 or AMX from a native
build on another machine; issue 14) raises nothing: the kernel kills the process with SIGILL at
the first matrix product. Running that first generation in a child process turns it into one
sentence at set-up (`make setup`, `rag models`) instead of a dead service at the first question.

``python -m rag.models.selfcheck MODEL.gguf`` is the child: it prints one JSON line per stage.
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import GenerationError, ModelUnavailableError
from rag.settings import LibrarySettings

REMEDY = (
    "run `make setup`, which rebuilds and reinstalls the portable llama-cpp-python wheel "
    "(AVX2/FMA/F16C, no AVX-512, no AMX; the flags are in llama-build/cpu-flags, where any "
    "this CPU lacks can be turned off)"
)
# ggml's names for instruction sets (llama_print_system_info) -> Linux's (/proc/cpuinfo).
_CPUINFO = {
    "SSE3": "pni",
    "SSSE3": "ssse3",
    "AVX": "avx",
    "AVX2": "avx2",
    "FMA": "fma",
    "F16C": "f16c",
    "BMI2": "bmi2",
    "AVX_VNNI": "avx_vnni",
    "AVX512": "avx512f",
    "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_INT8": "amx_int8",
}
_SIGNALS: dict[int, str] = {
    signal.SIGILL: "illegal instruction",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGBUS: "bus error",
    signal.SIGKILL: "killed, also what the out-of-memory killer does",
    signal.SIGABRT: "aborted",
    signal.SIGFPE: "arithmetic fault",
}


@dataclass(frozen=True)
class CheckResult:
    model_path: Path
    load_s: float
    generate_s: float
    tokens: int
    system_info: str

    def summary(self) -> str:
        features = self.system_info.replace(" = 1", "").replace(" |", "").strip()
        return (
            f"model check: ok, {self.model_path.name} loaded in {self.load_s:.1f} s and "
            f"generated {self.tokens} tokens in {self.generate_s:.1f} s ({features})"
        )


def cpu_flags() -> frozenset[str] | None:
    """This CPU's instruction-set flags as Linux lists them; None where it cannot be read."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return None


def build_features() -> frozenset[str] | None:
    """The instruction sets the installed llama.cpp was compiled with (importing runs none)."""
    code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        return None
    items = (i.partition("=") for i in out.stdout.replace(":", "|").split("|"))
    found = frozenset(k.strip() for k, _, v in items if v.strip() == "1")
    return found if out.returncode == 0 else None


def signal_sentence(
    signum: int,
    model_path: Path,
    build: frozenset[str] | None = None,
    cpu: frozenset[str] | None = None,
) -> str:
    """One sentence: the signal, the instruction sets to blame where they are known, the fix."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    what = f"{name} ({_SIGNALS[signum]})" if signum in _SIGNALS else name
    lacking = sorted(f for f in build or () if f in _CPUINFO and _CPUINFO[f] not in (cpu or ()))
    risky = any(f.startswith("AMX") for f in build or ())
    if build is not None and cpu is not None and lacking:
        cause = f"the installed llama-cpp-python uses {', '.join(lacking)}, which this CPU lacks"
    elif risky:
        cause = (  # the CPU lists AMX, yet the kernel may not grant a process its tile state
            "the installed llama-cpp-python uses AMX, which this CPU lists but the kernel may "
            "not let a process use"
        )
    else:
        cause = (
            "the installed llama-cpp-python was most likely compiled for CPU instructions this "
            "CPU cannot run (a native build with AVX-512 or AMX from another machine)"
        )
    return f"The embedded LLM died by {what} while running {model_path.name}: {cause}; {REMEDY}."


def check_model(
    model_path: Path,
    *,
    threads: int = 2,
    context: int = 512,
    tokens: int = 4,
    timeout_s: float = 600.0,
    child_command: Sequence[str] | None = None,
) -> CheckResult:
    """Run the model in a child process; raise one sentence naming the cause when it fails.

    ``child_command`` replaces ``python -m rag.models.selfcheck`` (tests use it to stand in a
    child that dies by a signal); the model path and options are appended to it.
    """
    cmd = [*(child_command or [sys.executable, "-m", "rag.models.selfcheck"]), str(model_path)]
    cmd += ["--threads", str(threads), "--context", str(context), "--tokens", str(tokens)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise GenerationError(
            f"The embedded LLM did not load and generate {tokens} tokens of {model_path.name} "
            f"within {timeout_s:.0f} s; check that the machine is not out of memory or CPU."
        ) from None
    if proc.returncode < 0:
        sentence = signal_sentence(-proc.returncode, model_path, build_features(), cpu_flags())
        raise GenerationError(sentence)
    stages = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    last = stages[-1] if stages else {}
    if last.get("stage") == "load-failed":
        raise ModelUnavailableError(
            f"llama.cpp cannot load {model_path} ({last.get('error')}): the file is truncated, "
            "corrupt or not a GGUF model; point RAG_LLM_MODEL at a good .gguf file (a damaged "
            "copy of a packaged model in the cache can be deleted: it is joined again)."
        )
    if proc.returncode != 0 or last.get("stage") != "generated":
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise GenerationError(
            f"The embedded LLM check exited with status {proc.returncode} ({tail})."
        )
    return CheckResult(
        model_path=model_path,
        load_s=float(last["load_s"]),
        generate_s=float(last["generate_s"]),
        tokens=int(last["tokens"]),
        system_info=str(last["system_info"]),
    )


def check_settings(settings: LibrarySettings) -> CheckResult | None:
    """The check for the configured embedded model; None when an LLM server is used instead."""
    if settings.llm_base_url:
        return None
    from rag.models.gguf import resolve_gguf

    return check_model(
        resolve_gguf(settings.llm_model, settings.cache_dir), threads=settings.threads
    )


def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=512)
    parser.add_argument("--tokens", type=int, default=4)
    args = parser.parse_args(argv)
    # A crash must not leave a core file the size of the model in the working folder.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def say(stage: str, **fields: object) -> None:
        print(json.dumps({"stage": stage, **fields}), flush=True)

    import llama_cpp

    start = time.perf_counter()
    try:
        llm = llama_cpp.Llama(
            model_path=str(args.model),
            n_ctx=args.context,
            n_threads=args.threads,
            verbose=False,
        )
    except Exception as exc:  # llama.cpp says ValueError "Failed to load model from file"
        say("load-failed", error=f"{type(exc).__name__}: {exc}")
        return 1
    load_s = time.perf_counter() - start
    say("loaded", load_s=load_s)
    start = time.perf_counter()
    out: Any = llm.create_chat_completion(  # a dict: no stream=True
        [{"role": "user", "content": "Say hello."}], max_tokens=args.tokens, temperature=0.0
    )
    say(
        "generated",
        load_s=load_s,
        generate_s=time.perf_counter() - start,
        tokens=out["usage"]["completion_tokens"],
        system_info=llama_cpp.llama_print_system_info().decode(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
