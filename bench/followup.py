"""Follow-up questions in a chat: one cached prompt per system prompt against one in all.

A follow-up is condensed under the condense system prompt, then answered (and verified) under
the answer system prompt. With one cached prompt the condense step evicts the answer's prefix
and each step re-reads its system prompt; ``LlamaCppGenerator(kept_prompts=2)`` parks the
context's state per system prompt (``rag/generation/prefixes.py``).

Questions: every gold case with a history (both splits: this times the chat path, it tunes
nothing). For each, as in a chat: the history's question is asked, then the follow-up, by each
leg in turn (order alternating); both legs are separate llama.cpp contexts of the same model.
Writes its section of BENCHMARKS.md between ``<!-- bench:followup -->`` markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import (  # noqa: E402
    answer_settings,
    cpu_name,
    gold_questions,
    ingest_gold_corpus,
    peak_rss_mb,
    update_section,
)
from eval.metrics import percentile  # noqa: E402
from rag.conversation import Turn  # noqa: E402
from rag.generation.llama import LlamaCppGenerator  # noqa: E402
from service.core import Service  # noqa: E402
from service.root import Parts  # noqa: E402

LEGS = {"one cached prompt": 1, "one per system prompt": 2}
HEADER = (
    "| leg | follow-ups | answer p50 ms | answer p95 ms | condense p50 ms | generation p50 ms "
    "| verification p50 ms |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=ROOT / "eval/data/gold.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = gold_questions(args.gold, "all", follow_ups=True)

    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        settings = answer_settings(ROOT, Path(tmp) / "chroma")
        base = Service(Parts(settings))
        ingest_gold_corpus(base, ROOT)
        model = base.parts.generator
        assert isinstance(model, LlamaCppGenerator)
        legs = {
            leg: base.with_generator(
                LlamaCppGenerator(
                    model.model_path, threads=settings.threads, context=settings.llm_context,
                    kept_prompts=kept,
                )
            )
            for leg, kept in LEGS.items()
        }  # fmt: skip
        total: dict[str, list[float]] = {leg: [] for leg in legs}
        stages: dict[str, dict[str, list[float]]] = {leg: {} for leg in legs}
        texts: dict[str, list[str]] = {leg: [] for leg in legs}
        for svc in legs.values():  # warm-up: model loaded, the answer prompt read once
            svc.answer("Who leads the working group?")
        for i, row in enumerate(rows):
            history = [Turn(**t) for t in row["history"]]
            order = list(legs) if i % 2 == 0 else list(legs)[::-1]
            for leg in order:
                legs[leg].answer(history[0].content)  # the chat's previous turn
                t0 = time.perf_counter()
                answer = legs[leg].answer(row["question"], history=history)
                total[leg].append(time.perf_counter() - t0)
                texts[leg].append(answer.answer)
                for stage, took in answer.trace.timings_ms.items():
                    stages[leg].setdefault(stage, []).append(took / 1000)
                print(f"{i + 1}/{len(rows)} {leg}: {total[leg][-1]:.1f} s", file=sys.stderr)

    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    same = sum(a == b for a, b in zip(*texts.values(), strict=True))

    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:.0f}" if values else "–"

    table = "\n".join(
        f"| {leg} | {len(total[leg])} | {ms(total[leg], 0.5)} | {ms(total[leg], 0.95)} "
        f"| {ms(stages[leg].get('condense', []), 0.5)} "
        f"| {ms(stages[leg].get('generation', []), 0.5)} "
        f"| {ms(stages[leg].get('verification', []), 0.5)} |"
        for leg in legs
    )
    body = f"""## Follow-up questions: a cached prompt per system prompt (`bench/followup.py`)

Run {dt.datetime.now().isoformat(timespec="minutes")} on {os.cpu_count()} CPU ({cpu_name()}),
Python {platform.python_version()}, load average at the end {load}; {model.name}; the
{len(rows)} gold questions with a history (dev and test), each after its history's question,
both legs interleaved, order alternating. Peak memory of the run (both legs' contexts and
the models): {peak_rss_mb():.0f} MB.

{HEADER}
{table}

The two legs gave the same answer text to {same} of {len(rows)} follow-ups (where they
differ, the restored KV cells were computed in other batches than a fresh read and greedy
decoding took another token).
"""
    update_section(args.out, "followup", body)
    print(body)


if __name__ == "__main__":
    main()
