"""The scale benchmark's report: the tables, how each cost grows, the verdicts on the issue's
targets, and the BENCHMARKS.md section (``bench/scale.py`` measures; this only formats)."""

from __future__ import annotations

import argparse
import math
import os
import platform
import textwrap
from typing import Any

from bench.report import cpu_name

STAGES = (
    ("embed", "query embedding"),
    ("dense", "dense"),
    ("bm25", "BM25"),
    ("fused", "fused"),
    ("rerank", "re-rank"),
    ("evidence", "evidence sentences"),
)
RECALL_K = 5
TARGET_P95_MS = 50.0
TARGET_RECALL_DROP = 0.05

# --- the report --------------------------------------------------------------------------------


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.1f}"


def _ms(stage: dict[str, float]) -> str:
    return f"{stage['p50']:.1f} / {stage['p95']:.1f}"


def _power(a: float, b: float, n_a: float, n_b: float) -> str:
    """How a cost scales with corpus size between two points: ×ratio and the exponent."""
    if a <= 0 or b <= 0 or n_b <= n_a:
        return "–"
    ratio = b / a
    return f"×{ratio:.2f} (∝n^{math.log(ratio) / math.log(n_b / n_a):.2f})"


def table(rows: list[dict[str, Any]]) -> str:
    stage_heads = " | ".join(f"{label} ms" for _, label in STAGES)
    lines = [
        f"| corpus | articles | chunks | ingest chunks/s | Chroma MB | BM25 MB | {stage_heads} "
        f"| RSS loaded MB | peak RSS MB | evidence recall@{RECALL_K} |",
        "| --- " + "| ---: " * (8 + len(STAGES)) + "|",
    ]
    for row in rows:
        lat = row["latency_ms"]
        label = row["label"] if row["target"] is None else f"{row['target']:,} target"
        rate = row["written"] / row["ingest_s"] if row["ingest_s"] else 0.0
        stages = " | ".join(_ms(lat[name]) for name, _ in STAGES)
        lines.append(
            f"| {label} | {row['articles']:,} | {row['chunks']:,} | {rate:.1f} "
            f"| {_mb(row['chroma_bytes'])} | {_mb(row['bm25_bytes'])} | {stages} "
            f"| {row['rss_loaded_mb']:,.0f} | {row['peak_rss_mb']:,.0f} | {row['recall']:.2f} |"
        )
    return "\n".join(lines)


def step_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| step | chunks written | ingest s | chunks/s | of which sync s | BM25 catch-up s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    previous = 0
    for row in rows:
        rate = row["written"] / row["ingest_s"] if row["ingest_s"] else 0.0
        lines.append(
            f"| {previous:,} → {row['chunks']:,} | {row['written']:,} | {row['ingest_s']:.1f} "
            f"| {rate:.1f} | {row['sync_s']:.1f} | {row['ingest_s'] - row['sync_s']:.1f} |"
        )
        previous = row["chunks"]
    return "\n".join(lines)


def growth_note(rows: list[dict[str, Any]]) -> str:
    """How each cost grows with the corpus, from the numbers: latency between the smallest and
    the largest synthetic size (×ratio and the exponent of n it implies), disk and memory per
    added chunk over the 5-article baseline."""
    base, first, last = rows[0], rows[1], rows[-1]
    n0, n1 = first["chunks"], last["chunks"]
    lat0, lat1 = first["latency_ms"], last["latency_ms"]
    parts = []
    if n1 > n0:
        stages = "; ".join(
            f"{label} p50 {lat0[name]['p50']:.1f} → {lat1[name]['p50']:.1f} ms "
            f"{_power(lat0[name]['p50'], lat1[name]['p50'], n0, n1)}"
            for name, label in STAGES
        )
        fused0, fused1 = lat0["fused"]["p95"], lat1["fused"]["p95"]
        parts.append(
            f"From {n0:,} to {n1:,} chunks (×{n1 / n0:.1f}): {stages}. "
            f"Fused p95 {fused0:.1f} → {fused1:.1f} ms "
            f"{_power(fused0, fused1, n0, n1)}."
        )
        # Linear at the measured rate: pessimistic for costs that grow slower than n.
        per_10k = (fused1 - fused0) / (n1 - n0) * 10_000
        if per_10k > 0 and fused1 < TARGET_P95_MS:
            at = n1 + (TARGET_P95_MS - fused1) / per_10k * 10_000
            reach = (
                f"about {at:,.0f} chunks" if at <= 100 * n1 else f"more than {100 * n1:,} chunks"
            )
            parts.append(
                f"Growing linearly at that rate ({per_10k:.2f} ms per 10k chunks), fused p95 "
                f"would reach {TARGET_P95_MS:.0f} ms at {reach}."
            )
    else:
        parts.append("One size only: no latency trend to fit.")
    added = max(1, n1 - base["chunks"])
    chroma_kb = (last["chroma_bytes"] - base["chroma_bytes"]) / added / 1024
    bm25_kb = (last["bm25_bytes"] - base["bm25_bytes"]) / added / 1024
    rss_mb = (last["rss_loaded_mb"] - base["rss_loaded_mb"]) / added * 10_000
    rates = ", ".join(f"{r['written'] / r['ingest_s']:.0f}" for r in rows[1:] if r["ingest_s"])
    recalls = ", ".join(f"{r['recall']:.2f}" for r in rows[1:])
    parts.append(
        f"Each added chunk costs {chroma_kb:.1f} KB on disk in Chroma and {bm25_kb:.1f} KB in "
        f"the BM25 folder, and {rss_mb:,.0f} MB of resident memory per 10k chunks once the "
        f"service has loaded ({base['rss_loaded_mb']:,.0f} MB for the 5 articles, "
        f"{last['rss_loaded_mb']:,.0f} MB at {n1:,} chunks). Ingest ran at {rates} chunks/s "
        "per step. "
        f"Evidence recall@{RECALL_K}: {base['recall']:.2f} on the 5 articles, {recalls} with "
        "the distractors."
    )
    return " ".join(parts)


def verdicts(rows: list[dict[str, Any]], update: dict[str, Any]) -> str:
    base, last = rows[0], rows[-1]
    fused = last["latency_ms"]["fused"]["p95"]
    drop = max(base["recall"] - r["recall"] for r in rows[1:])
    ratio = update["incremental_s"] / update["full_s"] if update["full_s"] else float("inf")

    def ok(passed: bool) -> str:
        return "**met**" if passed else "**missed**"

    return (
        f"- retrieval p95 before the second stage ≤ {TARGET_P95_MS:.0f} ms at "
        f"{last['chunks']:,} chunks: {fused:.1f} ms, {ok(fused <= TARGET_P95_MS)};\n"
        f"- evidence recall@{RECALL_K} drops ≤ {TARGET_RECALL_DROP} from the 5-article corpus: "
        f"largest drop {drop:+.2f} ({base['recall']:.2f} → "
        f"{min(r['recall'] for r in rows[1:]):.2f}), {ok(drop <= TARGET_RECALL_DROP + 1e-9)};\n"
        f"- BM25 update on ingest is incremental, not a rebuild: {update['incremental_s']:.2f} s "
        f"against {update['full_s']:.2f} s for a full rebuild ({ratio:.0%}; met below half), "
        f"{ok(ratio < 0.5)}."
    )


def noisy(rows: list[dict[str, Any]]) -> str:
    if max(r["others_cpu"] for r in rows) < 0.1:
        return ""
    return (
        "; above ~10 % the latencies include waiting for the CPU (the models run 2 threads): "
        "rerun on an idle machine before reading them"
    )


def body(args: argparse.Namespace, rows: list[dict[str, Any]], extra: dict[str, Any]) -> str:
    update, llm = extra["bm25_update"], extra.get("llm")
    last = rows[-1]
    lat = last["latency_ms"]
    llm_line = (
        f"The embedded LLM ({llm['llm']}) adds {llm['added_mb']:,.0f} MB to the service "
        "process, whatever the corpus size (measured once, after one short answer)."
        if llm
        else "The embedded LLM (Qwen2.5-Coder-1.5B Q4_K_M) adds about 1.8 GB to the service "
        "process whatever the corpus size (not measured in this run: --no-llm-memory)."
    )
    return f"""## Scale (`bench/scale.py`)

Run {extra["started"]} on {os.cpu_count()} CPU ({cpu_name()}), Python
{platform.python_version()}, seed {args.seed}, sizes {args.sizes}; {extra["wall_min"]:.0f} min.
Synthetic news (`bench/synth.py`: datelines, quotes, reported speech, numbers, dates,
officials; {args.related_share:.0%} of the articles on the real corpus's topics: Ukraine,
Russia, France, security guarantees, ceasefire, troops, talks, sanctions, drones; the rest
economy, weather, sport, technology; `--related-share`) grown in one store around the 5 real
articles; each step a plain `ingest`.

Latency cells are p50 / p95 in ms over {lat["fused"]["n"]} timed queries per size (the
{last["questions"]} dev questions about the bundled articles, follow-ups left out, after a
warm-up on 10), in a fresh process per size. "Fused" is `HybridRetriever.retrieve` without its
second stage (embedding, dense and BM25 legs, convex fusion, date bonus, dedupe), "re-rank"
that stage (`rag/rerank.py`, proximity of the question's terms, with an empty stem cache:
chunks no question reached before), "evidence sentences" what the pipeline runs on the top
{extra["k"]} (sentence scoring with a cold cache). Memory is that process's
(`service.root.Parts` without the LLM): RSS once loaded and one question retrieved
(models, Chroma's vector index, the BM25 index: what grows
with the corpus), and its peak after the queries, which adds the embedder's working memory:
with bfloat16 it grows with each new input shape (sentence batch and length) seen, up to about
0.5 GB more, whatever the corpus size. Evidence recall@{RECALL_K}: share of the
{last["answerable"]} answerable dev questions whose gold quote is in a chunk of a gold article
among the first {RECALL_K} of the re-ranked ranking (`eval.metrics.evidence_rank`).

{table(rows)}

CPU taken by other processes while the queries were timed (share of the machine, per row):
{", ".join(f"{r['others_cpu']:.0%}" for r in rows)}{noisy(rows)}.

Ingest per step (chunks/s over the whole `ingest` call, model load included; the BM25
catch-up is the call's time after the sync):

{step_table(rows)}

BM25 after changing one article at {update["chunks"]:,} chunks: the update `ingest` runs
(`ensure_lexical_index` after the sync) took {update["incremental_s"]:.2f} s (in step, the same
call takes {update["noop_s"]:.2f} s: load and compare), a full rebuild
{update["full_s"]:.2f} s (fetch all chunks {update["fetch_s"]:.2f} s, index
{update["build_s"]:.2f} s); the updated index holds the same chunks as the rebuild:
{"yes" if update["same_chunks"] else "NO"}, same top-10 scores on {update["same_top10"]} of
{update["questions"]} dev questions. The whole `ingest` of the changed file took
{update["ingest_s"]:.1f} s.

{llm_line}

How cost grows: {growth_note(rows)}

Targets on 2 cores:

{verdicts(rows, update)}
"""


def reflow(text: str, width: int = 96) -> str:
    """Paragraphs and list items rewrapped (values of any length were put into them); tables
    and headings are left as they are."""
    blocks = []
    for block in text.strip().split("\n\n"):
        if block.startswith(("|", "#")):
            blocks.append(block)
        elif block.startswith("- "):
            items = ("\n" + block).split("\n- ")[1:]
            blocks.append(
                "\n".join(
                    textwrap.fill(
                        " ".join(item.split()),
                        width,
                        initial_indent="- ",
                        subsequent_indent="  ",
                        break_on_hyphens=False,
                    )
                    for item in items
                )
            )
        else:
            blocks.append(textwrap.fill(" ".join(block.split()), width, break_on_hyphens=False))
    return "\n\n".join(blocks) + "\n"
