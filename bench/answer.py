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
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import cpu_name, update_section  # noqa: E402
from eval.metrics import contains_all, percentile  # noqa: E402
from ingest import ingest  # noqa: E402
from rag.abstention import model_declined  # noqa: E402
from rag.generation import generate  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from rag.prompting import answer_messages  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.types import Passage, ScoredChunk, Sentence  # noqa: E402

HEADER = (
    "| | retrieval p50 ms | retrieval p95 ms | answer p50 ms | answer p95 ms "
    "| must-contain (answerable) | abstained (unanswerable) | false abstention |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def baseline_answer(pipe: Pipeline, question: str, k: int) -> tuple[str, float, float]:
    """Dense-only top-k, whole chunks as passages, same LLM. Returns (raw, retrieval s, total s)."""
    t0 = time.perf_counter()
    retriever = pipe.retriever
    chunks: list[ScoredChunk] = retriever.store.query(retriever.embedder.embed_query(question), k)
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
        pipe.generator,
        answer_messages(question, passages),
        max_tokens=pipe.settings.llm_max_tokens,
        timeout_s=pipe.settings.llm_timeout_s,
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
    rows = [json.loads(line) for line in args.gold.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.get("split") == args.split and not r.get("history")]
    if args.limit:
        rows = rows[: args.limit]

    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        settings = Settings(
            data_dir=ROOT / "data",
            chroma_path=Path(tmp) / "chroma",
            cache_dir=ROOT / ".rag/cache",
            _env_file=None,
        )  # type: ignore[call-arg]
        ingest(settings)
        pipe = Pipeline.from_settings(settings)
        k = settings.retrieval_k
        pipe.answer("Who leads the working group?")  # warm up models and caches
        baseline_answer(pipe, "Who leads the working group?", k)

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
        for row in rows:
            q = row["question"]
            t0 = time.perf_counter()
            pipe.retriever.retrieve(q, k)
            ours["retrieval"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            answer = pipe.answer(q)
            ours["total"].append(time.perf_counter() - t0)
            raw, t_ret, t_total = baseline_answer(pipe, q, k)
            base["retrieval"].append(t_ret)
            base["total"].append(t_total)
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
Python {platform.python_version()}; LLM {pipe.generator.name}, k = {k}; {len(rows)} questions
({args.split} split of `{args.gold.name}`), warmed up, interleaved.

{HEADER}
{table}

Targets on 2 cores: retrieval p95 ≤ 50 ms, full answer p50 ≤ 3 s. The baseline abstains only
when the model writes NOT IN ARTICLES; its citations are not checked at all.
"""
    update_section(args.out, "answer", body)
    print(body)


if __name__ == "__main__":
    main()
