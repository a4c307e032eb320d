"""Retrieval quality on a public test collection in the BEIR layout, beside its published BM25.

    python bench/ir.py [COLLECTION] [--write BENCHMARKS.md] [--check-bm25]

COLLECTION is a folder with ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl``
(``_id``, ``text``) and ``qrels/<split>.tsv`` (``query-id corpus-id score``, header line); it
is read in place (default: ../shared/benchmarks/cacm) and never copied into the project.

What runs, all in one process on one fresh Chroma store:

1. the corpus goes through the product's own ingest (JSON lines loader, cleaning, chunking,
   MiniLM embeddings, Chroma, BM25 index), timed;
2. every query goes through each retrieval configuration the product has: BM25 as Anserini
   runs it (Lucene's stop words in the query: the published figure's setup), BM25 as the
   product runs it (``BM25Params.query_stopwords``), dense alone, the fused hybrid (convex
   combination), and that re-ranked by ``rag.rerank`` (the product's default: its whole
   ranking is scored; the answer's context is that ranking's top k with near-duplicates
   removed, which the timing includes);
3. chunks are turned into documents (a document scores as its best chunk) and scored with
   ir-measures (trec_eval underneath): MAP, P@30, nDCG@10, R@100 over the judged queries.

``--check-gain 0.10`` exits 1 unless the default beats the product's BM25 by 10 % on MAP and
nDCG@10. ``--check-bm25`` exits 1 when the Anserini-setup BM25 leg's MAP is more than
``--tolerance`` from the published figure (known for CACM; pass ``--published-map`` for
another collection).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import cpu_name, peak_rss_mb, update_section  # noqa: E402
from eval.metrics import percentile  # noqa: E402
from ingest.loaders import jsonl_doc_id  # noqa: E402
from rag.lexical import LexicalIndex  # noqa: E402
from rag.types import BM25Params, ScoredChunk  # noqa: E402
from service.core import Service  # noqa: E402
from service.root import Parts, build_retriever  # noqa: E402
from service.settings import Settings  # noqa: E402

# Published BM25 runs (Anserini regressions: k1=0.9, b=0.4, Lucene English analyzer).
PUBLISHED = {"cacm": {"MAP": 0.3123, "P@30": 0.1942}}
MEASURES = {"MAP": "AP", "P@30": "P@30", "nDCG@10": "nDCG@10", "R@100": "R@100"}


@dataclass
class Leg:
    name: str
    search: Callable[[str], list[ScoredChunk]]
    run: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    per_query: dict[str, float] = field(default_factory=dict)  # AP


def read_jsonl(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as f:
        rows = csv.reader(f, delimiter="\t")
        for row in rows:
            if not row or row[0] == "query-id":
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def documents(
    chunks: list[ScoredChunk], to_corpus_id: dict[str, str], depth: int
) -> dict[str, float]:
    """Chunks in rank order -> documents scored by their best chunk (first appearance)."""
    ranked: dict[str, float] = {}
    for chunk in chunks:
        doc = to_corpus_id.get(chunk.doc_id)
        if doc is not None and doc not in ranked:
            ranked[doc] = float(depth - len(ranked))  # strictly decreasing: no tie reordering
        if len(ranked) == depth:
            break
    return ranked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "collection", type=Path, nargs="?", default=ROOT.parent / "shared/benchmarks/cacm"
    )
    parser.add_argument("--split", default="test", help="qrels/<split>.tsv")
    parser.add_argument("--depth", type=int, default=100, help="documents ranked per query")
    parser.add_argument(
        "--chunk-depth", type=int, default=300, help="chunks fetched per leg to rank documents"
    )
    parser.add_argument("--bm25-k1", type=float, default=None, help="default: the product's")
    parser.add_argument("--bm25-b", type=float, default=None, help="default: the product's")
    parser.add_argument("--rerank-weight", type=float, default=None, help="default: the product's")
    parser.add_argument("--store", type=Path, default=None, help="keep the store here")
    parser.add_argument("--write", type=Path, default=None, help="update this BENCHMARKS.md")
    parser.add_argument("--per-query", type=Path, default=None, help="write AP per query (JSON)")
    parser.add_argument("--check-bm25", action="store_true")
    parser.add_argument("--published-map", type=float, default=None)
    parser.add_argument("--tolerance", type=float, default=0.01)
    parser.add_argument(
        "--check-gain",
        type=float,
        default=None,
        help="exit 1 unless the default beats BM25 by this relative MAP and nDCG@10 (0.10)",
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import ir_measures

    name = args.collection.resolve().name
    corpus_file = args.collection / "corpus.jsonl"
    queries = {q["_id"]: q["text"] for q in read_jsonl(args.collection / "queries.jsonl")}
    qrels = read_qrels(args.collection / "qrels" / f"{args.split}.tsv")
    judged = [q for q in queries if q in qrels]
    # Map the loader's document ids back to the collection's.
    to_corpus_id = {
        jsonl_doc_id(corpus_file.stem, d["_id"], i): str(d["_id"])
        for i, d in enumerate(read_jsonl(corpus_file), start=1)
    }

    with tempfile.TemporaryDirectory(prefix="rag-ir-") as tmp:
        store_dir = args.store or Path(tmp) / "chroma"
        base = Settings(_env_file=None)  # type: ignore[call-arg]
        settings = base.model_copy(
            update={
                "data_dir": corpus_file,
                "chroma_path": store_dir,
                "cache_dir": (ROOT / base.cache_dir).resolve(),
                "collection": f"ir-{name}",
                "bm25_k1": args.bm25_k1 if args.bm25_k1 is not None else base.bm25_k1,
                "bm25_b": args.bm25_b if args.bm25_b is not None else base.bm25_b,
                "rerank_weight": args.rerank_weight
                if args.rerank_weight is not None
                else base.rerank_weight,
                "retrieval_candidates": args.chunk_depth,
            }
        )
        parts = Parts(settings)
        embedder, store = parts.embedder, parts.store
        t0 = time.perf_counter()  # what `rag ingest` does, on the objects the queries reuse
        report = Service(parts).ingest_path(corpus_file)
        lexical = parts.index.current
        ingest_s = time.perf_counter() - t0
        gc.collect()  # ingest's garbage is not the queries' cost
        # The product's retriever (re-ranked), and the same without its second stage.
        reranked = parts.retriever
        hybrid = build_retriever(
            settings.model_copy(update={"rerank_weight": 0.0}), embedder, store, parts.index
        )
        n_chunks = sum(len(ids) for ids in store.chunk_ids_by_doc().values())

        # The published run's setup: Lucene's stop words in the query too (the check's leg).
        lucene = BM25Params(k1=settings.bm25_k1, b=settings.bm25_b, query_stopwords="lucene")
        anserini = LexicalIndex(lexical.parts, lucene)
        anserini_leg = Leg(
            "BM25 as Anserini runs it", lambda q: anserini.search(q, args.chunk_depth)
        )
        bm25_leg = Leg(
            f"BM25, {settings.bm25_query_stopwords.upper()} stop words in the query",
            lambda q: lexical.search(q, args.chunk_depth),
        )
        default_leg = Leg(
            "hybrid + proximity re-rank — the default",
            lambda q: reranked.retrieve(q, settings.retrieval_k).ranking,
        )
        legs = [
            anserini_leg,
            bm25_leg,
            Leg(
                "dense (MiniLM-L6)",
                lambda q: hybrid.dense(embedder.embed_query(q), None),
            ),
            Leg(
                f"hybrid: {settings.fusion_bm25_weight:g} BM25 + dense, fused",
                lambda q: hybrid.retrieve(q, settings.retrieval_k).ranking,
            ),
            default_leg,
        ]
        embedder.embed_query("warm up")
        for qid in judged:  # legs interleaved per query: machine noise hits all alike
            for leg in legs:
                t0 = time.perf_counter()
                chunks = leg.search(queries[qid])
                leg.seconds.append(time.perf_counter() - t0)
                leg.run[qid] = documents(chunks, to_corpus_id, args.depth)
        for leg in legs:
            measures = [ir_measures.parse_measure(m) for m in MEASURES.values()]
            agg = ir_measures.calc_aggregate(measures, qrels, leg.run)
            leg.scores = {
                label: float(agg[ir_measures.parse_measure(m)]) for label, m in MEASURES.items()
            }
            ap = ir_measures.parse_measure("AP")
            leg.per_query = {
                r.query_id: r.value for r in ir_measures.iter_calc([ap], qrels, leg.run)
            }

    published = dict(PUBLISHED.get(name, {}))
    if args.published_map is not None:
        published["MAP"] = args.published_map
    anserini_bm25, bm25, default = anserini_leg.scores, bm25_leg.scores, default_leg.scores
    lines = [
        f"## Retrieval on {name} (`bench/ir.py`)",
        "",
        f"Run {dt.datetime.now().isoformat(timespec='minutes')} on {os.cpu_count()} CPU "
        f"({cpu_name()}). {len(to_corpus_id)} documents ingested through `rag ingest` as "
        f"{n_chunks} chunks in {ingest_s:.0f} s ({report.added} added); {len(judged)} judged "
        f"queries; BM25 k1={settings.bm25_k1}, b={settings.bm25_b}; a document scores as its "
        f"best chunk; {args.chunk_depth} chunks per leg, {args.depth} documents ranked. "
        "Scored with ir-measures (trec_eval).",
        "",
        "| configuration | MAP | P@30 | nDCG@10 | R@100 | query p50 ms | query p95 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    if published:
        cells = " | ".join(f"{published[m]:.4f}" if m in published else "–" for m in MEASURES)
        lines.append(f"| published BM25 (Anserini) | {cells} | – | – |")
    for leg in legs:
        cells = " | ".join(f"{leg.scores[m]:.4f}" for m in MEASURES)
        p50 = percentile(leg.seconds, 0.5) * 1000
        p95 = percentile(leg.seconds, 0.95) * 1000
        lines.append(f"| {leg.name} | {cells} | {p50:.1f} | {p95:.1f} |")
    gain = {m: default[m] / bm25[m] - 1 if bm25[m] else 0.0 for m in ("MAP", "nDCG@10")}
    diffs = [d - bm25_leg.per_query.get(q, 0.0) for q, d in default_leg.per_query.items()]
    better = sum(d > 1e-9 for d in diffs)
    worse = sum(d < -1e-9 for d in diffs)
    lines += [
        "",
        "The default against the product's BM25 alone: "
        + ", ".join(f"{m} {g:+.1%}" for m, g in gain.items())
        + f" (target +10 %); per query AP better on {better}, worse on {worse}, "
        f"equal on {len(diffs) - better - worse}. Peak resident memory: "
        f"{peak_rss_mb():.0f} MB.",
    ]
    body = "\n".join(lines) + "\n"
    if args.per_query:
        args.per_query.write_text(
            json.dumps(
                {
                    q: {leg.name: leg.per_query.get(q) for leg in legs} | {"query": queries[q]}
                    for q in judged
                },
                indent=1,
            )
        )
    print(body)
    if args.write:
        update_section(args.write, f"ir-{name}", body)
    if args.check_bm25:
        if "MAP" not in published:
            print(f"no published MAP for {name}: pass --published-map", file=sys.stderr)
            return 2
        drift = abs(anserini_bm25["MAP"] - published["MAP"])
        if drift > args.tolerance:
            print(
                f"BM25 MAP {anserini_bm25['MAP']:.4f} drifts {drift:.4f} from the published "
                f"{published['MAP']:.4f} (tolerance {args.tolerance})",
                file=sys.stderr,
            )
            return 1
        print(f"BM25 MAP within {drift:.4f} of the published {published['MAP']:.4f}.")
    if args.check_gain is not None and min(gain.values()) < args.check_gain:
        print(f"the default beats BM25 by less than {args.check_gain:.0%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
