"""Answer latency through the supervised model process beside the in-process model, same run.

Both legs are one pipeline (same retrieval, evidence and verification objects) with the
generator swapped: ``LlamaCppGenerator`` in this process (what `rag ask` runs), or the
project's ``OpenAICompatibleGenerator`` talking to a ``modelserver`` child started by
``ModelSupervisor`` (what `rag serve` runs). Same GGUF, same threads. Each leg is warmed up,
then the questions run interleaved, the leg going first alternating, so noise hits both.

The prompt-prefix cache: for each completion llama.cpp's counters say how many prompt tokens
were read and how many came from the cache (the prefix shared with the previous prompt: the
constant system prompt). Both generators keep those of their last streamed completion (the
child sends them at the end of its stream), so the judge's requests in between do not mix in.
A last round reads a few prompts with the cache defeated (a changed first line), to show what
the cache saves.

Writes its section of BENCHMARKS.md between ``<!-- bench:model_process -->`` markers.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from bench.report import (  # noqa: E402
    answer_settings,
    cpu_name,
    gold_questions,
    ingest_gold_corpus,
    update_section,
)
from eval.metrics import percentile  # noqa: E402
from modelserver.supervisor import ModelSupervisor  # noqa: E402
from rag.generation import generate  # noqa: E402
from rag.generation.llama import LlamaCppGenerator  # noqa: E402
from rag.generation.openai import OpenAICompatibleGenerator  # noqa: E402
from service.core import Service  # noqa: E402
from service.root import Parts  # noqa: E402

LEGS = ("in process", "model process")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=ROOT / "eval/data/gold.jsonl")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--cold", type=int, default=4, help="Prompts read with the cache defeated.")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = gold_questions(args.gold, args.split, args.limit)

    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        settings = answer_settings(ROOT, Path(tmp) / "chroma")
        parts = Parts(settings)
        inline = Service(parts)
        ingest_gold_corpus(inline, ROOT)
        assert isinstance(parts.generator, LlamaCppGenerator)
        local = parts.generator
        with ModelSupervisor(
            local.model_path, threads=settings.threads, context=settings.llm_context
        ) as sup:
            remote = OpenAICompatibleGenerator(sup.base_url, settings.llm_model, sup.key)
            child = inline.with_generator(remote)  # the same parts around the child
            pipes = {"in process": inline, "model process": child}

            totals: dict[str, list[float]] = {leg: [] for leg in LEGS}
            generation: dict[str, list[float]] = {leg: [] for leg in LEGS}
            cache: dict[str, list[dict[str, Any]]] = {leg: [] for leg in LEGS}
            fallbacks = dict.fromkeys(LEGS, 0)
            texts: dict[str, list[str]] = {leg: [] for leg in LEGS}
            first: dict[str, dict[str, Any] | None] = {}
            prompts: list[list[dict[str, str]]] = []  # as the model process read them

            def timings(leg: str) -> dict[str, Any] | None:
                """llama.cpp's counters of the leg's last answer, as its generator kept them
                (the model process sends them at the end of each streamed completion)."""
                if leg == "model process":
                    return remote.last_timings
                return dataclasses.asdict(local.last_timings) if local.last_timings else None

            for leg in LEGS:  # warm-up: models loaded, the first prompt read whole
                pipes[leg].answer("Who leads the working group?")
                first[leg] = timings(leg)
            for i, row in enumerate(rows):
                order = LEGS if i % 2 == 0 else LEGS[::-1]
                for leg in order:
                    local.last_timings = remote.last_timings = None
                    t0 = time.perf_counter()
                    answer = pipes[leg].answer(row["question"])
                    totals[leg].append(time.perf_counter() - t0)
                    fallbacks[leg] += int(answer.fallback)
                    texts[leg].append(answer.answer)
                    print(
                        f"{i + 1}/{len(rows)} {leg}: {totals[leg][-1]:.1f} s, "
                        f"{answer.trace.decision}",
                        file=sys.stderr,
                    )
                    if "generation" not in answer.trace.timings_ms:
                        continue  # abstained before asking the model
                    generation[leg].append(answer.trace.timings_ms["generation"] / 1000)
                    timing = timings(leg)
                    if timing:
                        cache[leg].append(timing)
                    if leg == "model process" and answer.trace.prompt:
                        prompts.append(answer.trace.prompt)

            # What the cache saves: prompts of the run again, their first line changed so
            # that nothing of them is in the cache; read through the model process.
            cold: list[dict[str, Any]] = []
            for prompt in prompts[: args.cold]:
                messages = [dict(m) for m in prompt]
                messages[0]["content"] = f"({time.time_ns()})\n" + messages[0]["content"]
                remote.last_timings = None
                generate(remote, messages, max_tokens=4, timeout_s=120)
                timing = remote.last_timings
                if timing:
                    cold.append(timing)
            name = local.name

    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    body = render(args, rows, name, totals, generation, cache, first, cold, load)
    same = sum(a == b for a, b in zip(*texts.values(), strict=True))
    body += (
        f"\nThe two legs gave the same answer text to {same} of {len(rows)} questions "
        "(where they differ, verification's work differs too).\n"
    )
    if any(fallbacks.values()):
        body += f"\nAnswers that fell back to quotes (the model failed): {fallbacks}.\n"
    update_section(args.out, "model_process", body)
    print(body)


def render(
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    model: str,
    totals: dict[str, list[float]],
    generation: dict[str, list[float]],
    cache: dict[str, list[dict[str, Any]]],
    first: dict[str, dict[str, Any] | None],
    cold: list[dict[str, Any]],
    load: str,
) -> str:
    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:.0f}"

    def med(items: list[dict[str, Any]], key: str) -> str:
        return f"{statistics.median(t[key] for t in items):.0f}" if items else "–"

    lines = [
        f"| {leg} | {len(totals[leg])} | {ms(totals[leg], 0.5)} | {ms(totals[leg], 0.95)} "
        f"| {ms(generation[leg], 0.5)} | {ms(generation[leg], 0.95)} |"
        for leg in LEGS
    ]
    base, other = (percentile(totals[leg], 0.5) for leg in LEGS)
    slower = (other / base - 1) * 100 if base else 0.0
    paired = [b - a for a, b in zip(totals[LEGS[0]], totals[LEGS[1]], strict=True)]
    cache_lines = []
    for leg in LEGS:
        start = first.get(leg) or {}
        cache_lines.append(
            f"| {leg}, first question after loading | {start.get('prompt_tokens', '–')} "
            f"| {start.get('cached_tokens', '–')} | {start.get('prompt_ms', '–')} |"
        )
        cache_lines.append(
            f"| {leg}, each later question (median of {len(cache[leg])}) "
            f"| {med(cache[leg], 'prompt_tokens')} | {med(cache[leg], 'cached_tokens')} "
            f"| {med(cache[leg], 'prompt_ms')} |"
        )
    cache_lines.append(
        f"| model process, cache defeated (first line changed; median of {len(cold)}) "
        f"| {med(cold, 'prompt_tokens')} | {med(cold, 'cached_tokens')} "
        f"| {med(cold, 'prompt_ms')} |"
    )
    return f"""## The model process beside the in-process model (`bench/model_process.py`)

Run {dt.datetime.now().isoformat(timespec="minutes")} on {os.cpu_count()} CPU ({cpu_name()}),
Python {platform.python_version()}, load average at the end {load} (the machine is shared);
{model}; {len(rows)} questions ({args.split} split of `{args.gold.name}`, no follow-ups), each
answered by both legs, interleaved, order alternating.
"model process" is what `rag serve` runs: the supervised `modelserver` child over HTTP on
127.0.0.1 (SSE), one llama.cpp context for every worker.

| generator | questions | answer p50 ms | answer p95 ms | generation p50 ms | generation p95 ms |
| --- | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(lines)}

Answer p50 through the model process: {slower:+.1f} % against in process (target: at most
+5 %); the median paired difference per question is {statistics.median(paired) * 1000:+.0f} ms.

The prompt-prefix cache (llama.cpp's own counters; questions that abstain before the model
are not counted):

| prompt | tokens | from the cache | read, ms |
| --- | ---: | ---: | ---: |
{chr(10).join(cache_lines)}
"""


if __name__ == "__main__":
    main()
