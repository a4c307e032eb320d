"""Scale: ingest, store size, retrieval latency per stage, memory and evidence recall as the
corpus grows from the five real articles to 100k chunks of synthetic news around them.

The corpus (``bench/synth.py``, seeded) is grown cumulatively in one store: the five articles
of ``data/`` alone (the baseline), then new JSON-lines files up to each size in ``--sizes``;
each step is a plain ``ingest.ingest`` (unchanged files are skipped, only the new part is
embedded, the BM25 index catches up). Articles per step are aimed from the chunks per article
seen so far; the table reports the counts the store really holds.

At every size a fresh child process builds the service's retrieval side
(``service.root.Parts`` without the LLM), warms it up on 10 dev questions, then times each
stage over at least ``--min-queries`` questions (the dev questions of ``eval/data/gold.jsonl``
about the bundled articles, without follow-ups, repeated in whole rounds): the query
embedding, the dense leg (``HybridRetriever.dense``: Chroma nearest plus payloads), BM25
(``LexicalIndex.search``), fused (``HybridRetriever.retrieve`` without its second stage:
embedding, both legs, convex fusion, date bonus, dedupe), the second stage
(``rerank.ProximityReranker`` with an empty stem cache, and dedupe) and evidence selection
after it (``EvidenceSelector.select`` on the top k, with a cold sentence cache as for a new
question). Its memory is the service process's less the LLM
(RSS once loaded, and peak after the queries); the LLM's share is measured once in a child of
its own. It also records how much CPU other processes took while it timed, since the models'
two threads stall badly when a core is busy. Evidence recall@5: share of the answerable dev
questions for which a chunk of one of the question's gold articles among the first 5 of the
re-ranked ranking holds a gold quote (``eval.metrics.evidence_rank``, as ``rag eval`` scores it; a
distractor that happens to repeat a quote's words does not count).

After the last size, one article is changed and the BM25 update ``ingest`` runs
(``ensure_lexical_index`` after the sync) is timed against a full rebuild
(``LexicalIndex.build(store.all_chunks())``).

    python bench/scale.py --sizes 5000,50000,100000 --seed 7 --write BENCHMARKS.md

Writes its section of BENCHMARKS.md between ``<!-- bench:scale -->`` markers (with --write);
prints the section either way. ``--json`` keeps every number.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import NoLLM, peak_rss_mb, update_section  # noqa: E402
from bench.scale_report import RECALL_K, STAGES, body, reflow  # noqa: E402
from bench.synth import RELATED_SHARE, article, write_articles  # noqa: E402
from eval.metrics import evidence_rank, percentile  # noqa: E402
from eval.schema import load_gold  # noqa: E402
from ingest.cleaning import clean_text  # noqa: E402
from ingest.sync import sync  # noqa: E402
from rag.lexical import LexicalIndex  # noqa: E402
from rag.lexical_sync import ensure_lexical_index  # noqa: E402
from service.core import Service  # noqa: E402
from service.root import Parts, build_chunker, build_embedder, open_store  # noqa: E402
from service.settings import Settings  # noqa: E402

ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def log(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def make_settings(data_dir: Path, chroma_path: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        chroma_path=chroma_path,
        cache_dir=ROOT / ".rag/cache",  # model files are shared, not rebuilt
        _env_file=None,
    )  # type: ignore[call-arg]


def dev_cases(gold: Path, real: set[str]) -> list[dict[str, Any]]:
    """The dev questions about the bundled articles, read once per run: no follow-ups (they
    need the LLM to be condensed first), none needing articles outside ``real`` (the doc ids of
    ``--articles``) or testing injected instructions (``must_not_contain``)."""
    return [
        {
            "question": c.question,
            "answerable": c.answerable,
            "doc_ids": c.doc_ids,
            "quotes": c.quotes,
        }
        for c in load_gold(gold)
        if c.split == "dev"
        and not c.history
        and set(c.doc_ids) <= real
        and not getattr(c, "must_not_contain", None)
    ]


def disk_bytes(folder: Path, exclude: Path | None = None) -> int:
    """Allocated bytes under ``folder`` (as ``du`` counts them), without ``exclude``."""
    total = 0
    for path in folder.rglob("*"):
        if exclude is not None and path.is_relative_to(exclude):
            continue
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_blocks * 512
    return total


def rss_now_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, CPU seconds of this process) so far."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    busy = (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    own = resource.getrusage(resource.RUSAGE_SELF)
    return busy, own.ru_utime + own.ru_stime


# --- the children: a clean process per measurement --------------------------------------------


def measure(config: dict[str, Any]) -> dict[str, Any]:
    """Latency per stage, evidence recall@5, store counts and the memory of this process."""
    from rag.evidence import EvidenceSelector
    from rag.rerank import ProximityReranker
    from rag.retrieval import Retrieved

    settings = make_settings(Path(config["data_dir"]), Path(config["chroma_path"]))
    t0 = time.perf_counter()
    parts = Parts(settings, generator=NoLLM())
    parts.pipeline.warm_up()
    r, k = parts.retriever, settings.retrieval_k
    r.retrieve(config["cases"][0]["question"], k)  # Chroma loads its vector index on first use
    load_s = time.perf_counter() - t0
    rss_loaded = rss_now_mb()
    ev = parts.evidence
    embedder, store, bm25 = parts.embedder, parts.store, parts.index.current

    def cold_selector() -> EvidenceSelector:
        # Same parameters as the pipeline's; a new one has an empty sentence-vector cache.
        return EvidenceSelector(
            ev.embedder,
            ev.counter,
            budget_tokens=ev.budget_tokens,
            max_sentences=ev.max_sentences,
            max_gap=ev.max_gap,
        )

    # The retriever without its second stage, and that stage with an empty stem cache (as for
    # chunks no question has reached yet), so each is timed on its own.
    plain = copy.copy(r)
    plain.reranker = None
    assert isinstance(r.reranker, ProximityReranker)
    stage = r.reranker

    def cold_reranker() -> ProximityReranker:
        return ProximityReranker(stage.weight)

    cases = config["cases"]
    questions = [c["question"] for c in cases]
    for q in questions[:10]:  # warm-up: Chroma's index, BM25 arrays, caches, the allocator
        cold_selector().select(q, r.retrieve(q, k))
        bm25.search(q, r.candidates)
    times: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    wanted = config["min_queries"]
    if wanted < len(questions):  # a quick run: the first few questions once
        timed = questions[:wanted]
    else:  # whole rounds, so every question weighs the same
        timed = questions * math.ceil(wanted / len(questions))
    busy0, own0 = cpu_seconds()
    timed_from = time.perf_counter()
    for q in timed:
        t0 = time.perf_counter()
        vector = embedder.embed_query(q)
        t1 = time.perf_counter()
        r.dense(vector, None)
        t2 = time.perf_counter()
        bm25.search(q, r.candidates)
        t3 = time.perf_counter()
        fused = plain.retrieve(q, k)
        t4 = time.perf_counter()
        ranking = cold_reranker().rerank(q, fused.ranking, bm25)
        retrieved = Retrieved(r.dedupe.top(ranking, k), ranking, fused.query_vector, fused.hints)
        t5 = time.perf_counter()
        selector = cold_selector()
        t6 = time.perf_counter()
        selector.select(q, retrieved)
        t7 = time.perf_counter()
        for (name, _), seconds in zip(
            STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t7 - t6), strict=True
        ):
            times[name].append(seconds * 1000)
    busy1, own1 = cpu_seconds()
    # CPU that other processes took while the queries were timed, as a share of the machine:
    # the models run 2 threads, so anything else running makes their latencies jump.
    others = max(0.0, (busy1 - busy0) - (own1 - own0))
    others_share = others / ((time.perf_counter() - timed_from) * (os.cpu_count() or 1))

    hits = loose = 0
    answerable = [c for c in cases if c["answerable"]]
    missed = []
    for case in answerable:
        ranking = r.retrieve(case["question"], k).ranking
        gold_only = [(c.doc_id, c.text if c.doc_id in case["doc_ids"] else "") for c in ranking]
        rank = evidence_rank(gold_only, case["quotes"])
        hits += rank is not None and rank <= RECALL_K
        if rank is None or rank > RECALL_K:
            missed.append({"question": case["question"], "rank": rank})
        any_doc = evidence_rank([(c.doc_id, c.text) for c in ranking], case["quotes"])
        loose += any_doc is not None and any_doc <= RECALL_K
    stored = store.articles()
    return {
        "chunks": store.ping(),
        "articles": len(stored),
        "bm25_chunks": len(bm25.by_id),
        "real_present": all(doc_id in stored for doc_id in config["real"]),
        "latency_ms": {
            name: {
                "p50": percentile(values, 0.5),
                "p95": percentile(values, 0.95),
                "n": len(values),
            }
            for name, values in times.items()
        },
        "questions": len(questions),
        "answerable": len(answerable),
        "recall": hits / len(answerable) if answerable else 0.0,
        "recall_any_doc": loose / len(answerable) if answerable else 0.0,
        "missed": missed,
        "load_s": load_s,
        "others_cpu": others_share,
        "rss_loaded_mb": rss_loaded,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure_llm(config: dict[str, Any]) -> dict[str, Any]:
    """What the embedded LLM adds to the service process: RSS after one short answer."""
    from rag.generation import generate
    from service.root import build_generator

    settings = make_settings(Path(config["data_dir"]), Path(config["chroma_path"]))
    before = rss_now_mb()
    generator = build_generator(settings)
    load = getattr(generator, "load", None)
    if callable(load):
        load()
    generate(
        generator,
        [{"role": "user", "content": "In one word: the capital of France?"}],
        max_tokens=8,
        timeout_s=120,
    )
    return {"llm": generator.name, "added_mb": rss_now_mb() - before}


def run_child(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    proc = subprocess.run(
        command,
        input=json.dumps(config),
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"the {kind} child process failed with exit code {proc.returncode}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# --- the parent: grow, ingest, measure ---------------------------------------------------------


def chunks_per_article(settings: Settings, seed: int, share: float, sample: int = 60) -> float:
    """Estimated from the first ``sample`` articles, chunked as ingest chunks them."""
    chunker = build_chunker(settings, build_embedder(settings))  # the tokenizer only
    counts = []
    for i in range(sample):
        record = article(seed, i, related_share=share)
        text = clean_text(f"{record['title']}\n\n{record['text']}").text
        counts.append(len(chunker.split("sample", "v", text)))
    return sum(counts) / len(counts)


@contextmanager
def timed() -> Iterator[list[float]]:
    box: list[float] = []
    t0 = time.perf_counter()
    yield box
    box.append(time.perf_counter() - t0)


def ingest_and_measure(
    settings: Settings, label: str, target: int | None, config: dict[str, Any]
) -> dict[str, Any]:
    with timed() as wall:
        report = Service.from_settings(settings).ingest_path()
    log(
        f"{label}: ingest wrote {report.chunks_written} chunks in {wall[0]:.1f} s "
        f"({report.summary()}); measuring in a fresh process"
    )
    row: dict[str, Any] = {
        "label": label,
        "target": target,
        "written": report.chunks_written,
        "added": report.added,
        "ingest_s": wall[0],
        "sync_s": report.seconds,
        "chroma_bytes": disk_bytes(settings.chroma_path, exclude=settings.lexical_dir),
        "bm25_bytes": disk_bytes(settings.lexical_dir),
    }
    row.update(run_child("measure", config))
    lat = row["latency_ms"]
    log(
        f"{label}: {row['chunks']} chunks, fused p95 {lat['fused']['p95']:.1f} ms, "
        f"recall@{RECALL_K} {row['recall']:.2f}, peak RSS {row['peak_rss_mb']:.0f} MB"
    )
    return row


def change_article(path: Path, line: int, note: str) -> None:
    """Append a sentence to one article (line ``line``, wrapping round) of a JSON-lines file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    line %= len(lines)
    record = json.loads(lines[line])
    record["text"] += f"\n\nCorrection: {note}"
    lines[line] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def bm25_update(settings: Settings, changed_file: Path, questions: list[str]) -> dict[str, Any]:
    """One article changed: the BM25 update ingest runs, against a full rebuild."""
    embedder = build_embedder(settings)
    store = open_store(settings, embedder)
    chunker = build_chunker(settings, embedder)
    embedder.embed_documents(["load the model before anything is timed"])
    folder, params = settings.lexical_dir, settings.bm25
    with timed() as noop:
        ensure_lexical_index(store, folder, params)  # in step: load and compare only
    change_article(changed_file, 0, "an earlier version of this article misstated a figure.")
    with timed() as synced:
        report = sync(changed_file, embedder, store, chunker)
    if report.updated != 1:
        raise SystemExit(f"expected one updated article, got: {report.summary()}")
    with timed() as incremental:
        updated = ensure_lexical_index(store, folder, params)
    with timed() as fetch:
        chunks = store.all_chunks()
    with timed() as build:
        full = LexicalIndex.build(chunks, params)
    # Scores, not ids: chunks tied at the 10th place may be cut differently.
    same_top = sum(
        [round(c.scores["bm25"], 4) for c in updated.search(q, 10)]
        == [round(c.scores["bm25"], 4) for c in full.search(q, 10)]
        for q in questions
    )
    # The product's whole call for one changed article, for the record.
    change_article(changed_file, 1, "a quote was attributed to the wrong official.")
    with timed() as whole:
        again = Service.from_settings(settings).ingest_path(changed_file)
    return {
        "chunks": len(chunks),
        "noop_s": noop[0],
        "sync_s": synced[0],
        "incremental_s": incremental[0],
        "fetch_s": fetch[0],
        "build_s": build[0],
        "full_s": fetch[0] + build[0],
        "same_chunks": updated.fingerprint == full.fingerprint,
        "same_top10": same_top,
        "questions": len(questions),
        "ingest_s": whole[0],
        "ingest_updated": again.updated,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000,100000", help="chunk counts, rising")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", type=Path, help="update this BENCHMARKS.md section")
    parser.add_argument("--json", type=Path, help="also write every number here")
    parser.add_argument("--gold", type=Path, default=ROOT / "eval/data/gold.jsonl")
    parser.add_argument(
        "--articles", type=Path, default=ROOT / "data", help="folder of the real *.txt articles"
    )
    parser.add_argument("--min-queries", type=int, default=100, help="timed queries per size")
    parser.add_argument("--per-file", type=int, default=500, help="articles per JSON-lines file")
    parser.add_argument(
        "--related-share",
        type=float,
        default=RELATED_SHARE,
        help="share of synthetic articles on the real corpus's topics (the hard distractors)",
    )
    parser.add_argument("--workdir", type=Path, help="keep corpus and store here (must be new)")
    parser.add_argument("--no-llm-memory", action="store_true", help="do not load the LLM")
    parser.add_argument("--child", choices=("measure", "llm"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.update(ENV)
    if args.child:
        config = json.loads(sys.stdin.read())
        result = measure(config) if args.child == "measure" else measure_llm(config)
        print(json.dumps(result))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or sizes != sorted(set(sizes)):
        parser.error("--sizes must be distinct chunk counts in rising order")
    if not 0.0 <= args.related_share <= 1.0:
        parser.error("--related-share must be between 0 and 1")

    started = time.perf_counter()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=False)
        work, cleanup = args.workdir, False
    else:
        work, cleanup = Path(tempfile.mkdtemp(prefix="rag-scale-")), True
    try:
        rows, extra = run(args, sizes, work)
    finally:
        if cleanup:
            shutil.rmtree(work, ignore_errors=True)
    extra["wall_min"] = (time.perf_counter() - started) / 60
    text = reflow(body(args, rows, extra))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, **extra}, indent=1))
    if args.write:
        update_section(args.write, "scale", text)
    print(text)


def run(
    args: argparse.Namespace, sizes: list[int], work: Path
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    data = work / "data"
    data.mkdir()
    real = sorted(args.articles.glob("*.txt"))
    for path in real:
        shutil.copy(path, data / path.name)
    settings = make_settings(data, work / "chroma")
    cases = dev_cases(args.gold, {p.stem for p in real})
    config = {
        "data_dir": str(data),
        "real": [p.stem for p in real],
        "chroma_path": str(settings.chroma_path),
        "cases": cases,
        "min_queries": args.min_queries,
    }
    extra: dict[str, Any] = {
        "started": dt.datetime.now().isoformat(timespec="minutes"),
        "k": settings.retrieval_k,
    }
    rows = [ingest_and_measure(settings, f"{len(real)} real articles (baseline)", None, config)]
    real_chunks = rows[0]["chunks"]
    estimate = chunks_per_article(settings, args.seed, args.related_share)
    log(f"about {estimate:.2f} chunks per synthetic article (from a sample of 60)")
    n_synth = 0
    files: list[Path] = []
    for target in sizes:
        current = rows[-1]["chunks"]
        if n_synth:
            estimate = max(1.0, (current - real_chunks) / n_synth)
        count = max(1, round((target - current) / estimate))
        if target <= current:
            log(f"{target:,}: the store already holds {current:,} chunks; adding one article")
        files += write_articles(
            data,
            args.seed,
            n_synth,
            count,
            per_file=args.per_file,
            related_share=args.related_share,
        )
        n_synth += count
        log(f"{target:,}: wrote {count:,} articles (~{count * estimate:,.0f} chunks)")
        rows.append(ingest_and_measure(settings, f"{target:,}", target, config))
    questions = [c["question"] for c in cases]
    log("BM25: changing one article, incremental update against a full rebuild")
    extra["bm25_update"] = bm25_update(settings, files[-1], questions)
    if not args.no_llm_memory:
        log("measuring the LLM's memory in a child process")
        extra["llm"] = run_child("llm", config)
    return rows, extra


if __name__ == "__main__":
    main()
