"""Answer latency (and a quality glance) of the pipeline beside a plain baseline, same run.

Pipeline: hybrid retrieval (dense + BM25, RRF, date preference, dedupe), evidence sentences,
Qwen2.5-1.5B via llama.cpp, citation verification, evidence-based abstention.
Baseline: dense-only top-k chunks from the same Chroma and MiniLM, the whole chunks in the
same prompt file, the same LLM; no BM25, no rerank, no evidence selection, no verification.

Questions: the dev split of eval/data/gold.jsonl, without the follow-ups (they need a history).
Both are warmed up first and run interleaved, question by question, so noise hits both alike.
Writes its section of BENCHMARKS.md between ``<!-- bench:answer -->`` markers.
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
    update_section,
)
from eval.metrics import contains_all, percentile  # noqa: E402
from rag.abstention import model_declined  # noqa: E402
from rag.generation import generate  # noqa: E402
from rag.prompting import answer_messages  # noqa: E402
from rag.types import Passage, ScoredChunk, Sentence  # noqa: E402
from service.core import Service  # noqa: E402
from service.root import Parts  # noqa: E402

HEADER = (
    "| | retrieval p50 ms | retrieval p95 ms | answer p50 ms | answer p95 ms "
    "| must-contain (answerable) | abstained (unanswerable) | false abstention |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def baseline_answer(parts: Parts, question: str, k: int) -> tuple[str, float, float]:
    """Dense-only top-k, whole chunks as passages, same LLM. Returns (raw, retrieval s, total s)."""
    t0 = time.perf_counter()
    chunks: list[ScoredChunk] = parts.store.query(parts.embedder.embed_query(question), k)
    t_retrieval = time.perf_counter() - t0
    passages = [
        Passage(
            n=i,
            doc_id=c.doc_id,
            chunk_id=c.chunk_id,
            title=c.title,
            published=c.published,
            sentences=[
                Sentence(
                    doc_id=c.doc_id,
                    chunk_id=c.chunk_id,
                    text=c.text,
                    start=c.start,
                    end=c.end,
                    score=0.0,
                )
            ],
        )
        for i, c in enumerate(chunks, start=1)
    ]
    raw = generate(
        parts.generator,
        answer_messages(question, passages),
        max_tokens=parts.settings.llm_max_tokens,
        timeout_s=parts.settings.llm_timeout_s,
    )
    return raw, t_retrieval, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=ROOT / "eval/data/gold.jsonl")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = gold_questions(args.gold, args.split, args.limit)

    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        settings = answer_settings(ROOT, Path(tmp) / "chroma")
        parts = Parts(settings)
        service = Service(parts)
        ingest_gold_corpus(service, ROOT)
        k = settings.retrieval_k
        service.answer("Who leads the working group?")  # warm up models and caches
        baseline_answer(parts, "Who leads the working group?", k)

        ours: dict[str, list[float]] = {"retrieval": [], "total": []}
        base: dict[str, list[float]] = {"retrieval": [], "total": []}
        quality: dict[str, dict[str, int]] = {
            n: {
                "right": 0,
                "answerable": 0,
                "abstained_u": 0,
                "unanswerable": 0,
                "false_abstain": 0,
            }
            for n in ("ours", "base")
        }
        for i, row in enumerate(rows):
            q = row["question"]
            t0 = time.perf_counter()
            service.retrieve(q, k=k)
            ours["retrieval"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            answer = service.answer(q)
            ours["total"].append(time.perf_counter() - t0)
            raw, t_ret, t_total = baseline_answer(parts, q, k)
            base["retrieval"].append(t_ret)
            base["total"].append(t_total)
            print(
                f"{i + 1}/{len(rows)}: pipeline {ours['total'][-1]:.1f} s "
                f"({answer.trace.decision}), baseline {t_total:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            for name, abstained, text in (
                ("ours", answer.abstained, answer.answer),
                ("base", model_declined(raw), raw),
            ):
                qs = quality[name]
                if row["answerable"]:
                    qs["answerable"] += 1
                    qs["right"] += int(not abstained and contains_all(text, row["must_contain"]))
                    qs["false_abstain"] += int(abstained)
                else:
                    qs["unanswerable"] += 1
                    qs["abstained_u"] += int(abstained)

    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:.0f}"

    def share(a: int, b: int) -> str:
        return f"{a / b:.2f}" if b else "–"

    table = "\n".join(
        f"| {label} | {ms(d['retrieval'], 0.5)} | {ms(d['retrieval'], 0.95)} | "
        f"{ms(d['total'], 0.5)} | {ms(d['total'], 0.95)} | "
        f"{share(quality[key]['right'], quality[key]['answerable'])} | "
        f"{share(quality[key]['abstained_u'], quality[key]['unanswerable'])} | "
        f"{share(quality[key]['false_abstain'], quality[key]['answerable'])} |"
        for label, key, d in (
            ("pipeline", "ours", ours),
            ("baseline: dense top-k, whole chunks", "base", base),
        )
    )
    body = f"""## Answer latency (`bench/answer.py`)

Run {dt.datetime.now().isoformat(timespec="minutes")} on {os.cpu_count()} CPU ({cpu_name()}),
load average at the end {" / ".join(f"{x:.1f}" for x in os.getloadavg())},
Python {platform.python_version()}; LLM {parts.generator.name}, k = {k}; {len(rows)} questions
({args.split} split of `{args.gold.name}`), warmed up, interleaved.

{HEADER}
{table}

The pipeline's answer includes verification: every sentence through the claim verifier (its
LLM judge reads the cached answer prompt) and, when the whole draft fails, the judge on the
3 best evidence sentences. Targets on 2 cores: retrieval p95 ≤ 50 ms, full answer p50 ≤ 3 s,
p95 ≤ 6 s. The baseline abstains only when the model writes NOT IN ARTICLES; its citations are
not checked at all.
"""
    update_section(args.out, "answer", body)
    print(body)


if __name__ == "__main__":
    main()
