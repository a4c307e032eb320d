"""What the portable llama.cpp build costs: prompt and generation tokens/s beside a native build.

Both wheels come from llama-build/wheel.py, keyed by (version, CMake flags): the portable one
with llama-build/cpu-flags, the native one with ggml's defaults (GGML_NATIVE=ON, -march=native;
building it takes about 7 minutes on 2 cores the first time). Each is installed into its own
`pip install --target` folder and measured in child processes that import llama_cpp from that
folder, alternating builds round by round so a busy machine weighs on both alike.

    .venv/bin/python bench/llama_build.py --write BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import cpu_name, update_section  # noqa: E402
from rag.models.gguf import resolve_gguf  # noqa: E402
from service.settings import Settings  # noqa: E402

TARGETS = ROOT / ".rag" / "bench" / "llama"


def wheel_tool() -> ModuleType:
    """llama-build/wheel.py: not a package (it runs before the venv holds anything)."""
    spec = importlib.util.spec_from_file_location("llama_wheel", ROOT / "llama-build/wheel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def install_target(wheel: Path) -> Path:
    """The wheel unpacked by pip into a folder of its own, reinstalled if the wheel changed."""
    target = TARGETS / wheel.parent.name
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    marker = target / ".wheel-sha256"
    if marker.exists() and marker.read_text().strip() == digest:
        return target
    shutil.rmtree(target, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    cmd += ["--no-index", "--no-deps", "--target", str(target), str(wheel)]
    subprocess.run(cmd, check=True)
    marker.write_text(digest + "\n")
    return target


def prompt_text() -> str:
    """The bundled articles: news prose, as the answer prompts carry."""
    return "\n\n".join(p.read_text() for p in sorted((ROOT / "data").glob("*.txt")))


def run_child(
    target: Path, args: argparse.Namespace, threads: int, model: Path, prompt: Path
) -> Any:
    env = {**os.environ, "PYTHONPATH": str(target)}
    cmd = [sys.executable, __file__, "--child", str(model), str(prompt)]
    cmd += ["--prompt-tokens", str(args.prompt_tokens), "--gen-tokens", str(args.gen_tokens)]
    cmd += ["--reps", str(args.reps), "--threads", str(threads)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"child for {target.name} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(result["module"]).is_relative_to(target):
        sys.exit(f"child imported llama_cpp from {result['module']}, not from {target}")
    return result


def child(args: argparse.Namespace) -> None:
    """Load once, warm up, then time prompt evaluation and greedy generation ``reps`` times."""
    import llama_cpp

    llm: Any = llama_cpp.Llama(
        model_path=str(args.model),
        n_ctx=2048,
        n_threads=args.threads,
        n_batch=512,
        verbose=False,
    )
    tokens = llm.tokenize(args.prompt.read_text().encode(), add_bos=True)[: args.prompt_tokens]
    llm.reset()
    llm.eval(tokens[:32])  # page the weights in
    prompt_s: list[float] = []
    gen_s: list[float] = []
    # CPU seconds of the process: with one thread, a rate per CPU second barely moves when other
    # processes share the cores (with more, it counts threads spinning at barriers too).
    prompt_cpu: list[float] = []
    gen_cpu: list[float] = []
    generated: list[int] = []
    for _ in range(args.reps):
        llm.reset()  # eval() drops the cache past n_tokens: the whole prompt is read again
        start, cpu = time.perf_counter(), time.process_time()
        llm.eval(tokens)
        prompt_s.append(time.perf_counter() - start)
        prompt_cpu.append(time.process_time() - cpu)
        generated = []
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.gen_tokens):  # past an end token too: the same work every time
            token = llm.sample(temp=0.0)
            generated.append(token)
            llm.eval([token])
        gen_s.append(time.perf_counter() - start)
        gen_cpu.append(time.process_time() - cpu)
    print(
        json.dumps(
            {
                "module": llama_cpp.__file__,
                "system_info": llama_cpp.llama_print_system_info().decode(),
                "prompt_tokens": len(tokens),
                "prompt_s": prompt_s,
                "gen_s": gen_s,
                "prompt_cpu": prompt_cpu,
                "gen_cpu": gen_cpu,
                "generated": generated,
            }
        )
    )


def features(system_info: str) -> str:
    items = (i.partition("=") for i in system_info.replace(":", "|").split("|"))
    return " ".join(k.strip() for k, _, v in items if v.strip() == "1")


def rate(results: list[Any], tokens: str, seconds: str) -> float:
    return float(
        statistics.median(
            (r["prompt_tokens"] if tokens == "prompt" else len(r["generated"])) / s
            for r in results
            for s in r[seconds]
        )
    )


def report(
    runs: dict[tuple[str, int], list[Any]],
    flags: dict[str, list[str]],
    args: argparse.Namespace,
    model: Path,
) -> str:
    rows, ratios = [], []
    for threads in args.threads:
        got = {}
        for name in flags:
            res = runs[name, threads]
            got[name] = [rate(res, "prompt", "prompt_s"), rate(res, "gen", "gen_s")]
            got[name] += [rate(res, "prompt", "prompt_cpu"), rate(res, "gen", "gen_cpu")]
            rows.append(
                f"| {name} | {threads} | " + " | ".join(f"{v:.2f}" for v in got[name]) + " |"
            )
        p, n = got["portable"], got["native"]
        ratios.append(
            f"{threads} thread{'s' if threads > 1 else ''}: prompts **{100 * p[0] / n[0]:.0f} %**"
            f" and generation **{100 * p[1] / n[1]:.0f} %** by the clock, "
            f"{100 * p[2] / n[2]:.0f} % and {100 * p[3] / n[3]:.0f} % per CPU second"
        )
    builds = []
    for name, f in flags.items():
        info = runs[name, args.threads[0]][0]["system_info"]
        cmake = " ".join(f"`{x}`" for x in f) or "ggml's defaults (`GGML_NATIVE=ON`)"
        builds.append(f"| {name} | {features(info)} | {cmake} |")
    first = {name: runs[name, args.threads[0]][0]["generated"] for name in flags}
    same = first["portable"] == first["native"]
    n_prompt = runs["portable", args.threads[0]][0]["prompt_tokens"]
    return "\n".join(
        [
            "## llama.cpp build: portable vs native (`bench/llama_build.py`)",
            "",
            f"Run {dt.datetime.now():%Y-%m-%dT%H:%M} on {os.cpu_count()} CPU ({cpu_name()}); "
            f"{model.name}; a prompt of {n_prompt} tokens of the bundled articles (one batch), "
            f"then {args.gen_tokens} greedy tokens. Medians of {args.rounds * args.reps} "
            f"repetitions per build and thread count: {args.rounds} rounds alternating the "
            "builds, each a process of its own importing llama_cpp from the build's own "
            "`pip install --target` folder. Load average "
            f"{args.load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end: other work "
            "shared the 2 cores, so the ratios are the result, not the absolute rates.",
            "",
            "| build | threads | prompt tok/s | generation tok/s | prompt tok/CPU-s |"
            " generation tok/CPU-s |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            "| build | instruction sets (`llama_print_system_info`) | CMake flags |",
            "| --- | --- | --- |",
            *builds,
            "",
            "The portable build against the native one on this CPU, "
            + "; ".join(ratios)
            + f". Both generated {'the same' if same else 'different'} tokens. This EPYC has no "
            "AVX-512, so native compiles for much the same set here; on a CPU with AVX-512 the "
            "native build may read prompts faster, and it is the build that dies with SIGILL "
            "where it carries AMX (issue 14). Rerun with "
            "`.venv/bin/python bench/llama_build.py --write BENCHMARKS.md`; the first run builds "
            "the native wheel (about 7 minutes on 2 idle cores), later runs reuse both keyed "
            "wheels.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--gen-tokens", type=int, default=32)
    parser.add_argument("--reps", type=int, default=2, help="repetitions per child process")
    parser.add_argument("--rounds", type=int, default=2, help="child processes per build")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--write", type=Path, help="update this BENCHMARKS.md")
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "PROMPT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.model, args.prompt = map(Path, args.child)
        args.threads = args.threads[0]
        child(args)
        return

    args.load = os.getloadavg()
    tool = wheel_tool()
    version = tool.pinned_version()
    flags = {"portable": tool.read_flags(), "native": []}
    targets = {name: install_target(tool.build_wheel(version, f)) for name, f in flags.items()}
    settings = Settings()
    model = resolve_gguf(settings.llm_model, settings.cache_dir)
    runs: dict[tuple[str, int], list[Any]] = {(n, t): [] for n in flags for t in args.threads}
    with tempfile.TemporaryDirectory() as tmp:
        prompt = Path(tmp) / "prompt.txt"
        prompt.write_text(prompt_text())
        for i in range(args.rounds):
            for threads in args.threads:
                for name in list(flags) if i % 2 == 0 else list(reversed(flags)):
                    result = run_child(targets[name], args, threads, model, prompt)
                    runs[name, threads].append(result)
                    print(f"round {i + 1}: {name}, {threads} threads", file=sys.stderr)
    body = report(runs, flags, args, model)
    print(body)
    if args.write:
        update_section(args.write, "llama-build", body)


if __name__ == "__main__":
    main()
