"""Which retrieval stages help, and where the abstention and support thresholds sit.

On the dev split of eval/data/gold.jsonl (no LLM needed):

* retrieval by document: hit@1, hit@4 and MRR of the first gold document, for dense only,
  BM25 only, RRF, the shipped ranking (convex combination, date bonus, proximity re-rank),
  and RRF + date + a sentence-level re-scorer (max MiniLM cosine of the question to a
  sentence of the chunk, fused as a third ranking);
* the best evidence score of answerable vs unanswerable questions (for ``abstain_below``);
* support scores of gold quotes for their reference answers vs the same answers against a
  wrong article's best sentence (for ``support_threshold``).

Writes its section of BENCHMARKS.md between ``<!-- bench:calibrate -->`` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import NoLLM, update_section  # noqa: E402
from rag.types import ScoredChunk  # noqa: E402
from service.core import Service  # noqa: E402
from service.root import Parts  # noqa: E402
from service.settings import Settings  # noqa: E402


def _doc_ranks(chunks: list[ScoredChunk]) -> list[str]:
    return list(dict.fromkeys(c.doc_id for c in chunks))


def _metrics(rankings: list[tuple[list[str], set[str]]]) -> dict[str, float]:
    hit1 = hit4 = rr = 0.0
    for docs, gold in rankings:
        first = next((i for i, d in enumerate(docs) if d in gold), None)
        hit1 += first == 0
        hit4 += first is not None and first < 4
        rr += 1.0 / (first + 1) if first is not None else 0.0
    n = max(1, len(rankings))
    return {"hit@1": hit1 / n, "hit@4": hit4 / n, "MRR": rr / n}


RRF_K = 60  # Cormack et al. (2009); what the retriever fused with before the convex combination


def _fuse(lists: list[list[ScoredChunk]], bonus: dict[str, float]) -> list[ScoredChunk]:
    score: dict[str, float] = {}
    by_id: dict[str, ScoredChunk] = {}
    for ranked in lists:
        for rank, c in enumerate(ranked, start=1):
            score[c.chunk_id] = score.get(c.chunk_id, 0.0) + 1.0 / (RRF_K + rank)
            by_id[c.chunk_id] = c
    for cid in score:
        score[cid] += bonus.get(cid, 0.0)
    return [by_id[c] for c in sorted(score, key=lambda c: -score[c])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=ROOT / "eval/data/gold.jsonl")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = [json.loads(x) for x in args.gold.read_text().splitlines() if x.strip()]
    bundled = {p.stem for p in (ROOT / "data").iterdir()}
    rows = [  # questions about the bundled articles: eval/data/articles are not ingested here
        r
        for r in rows
        if r.get("split") == args.split
        and not r.get("history")
        and set(r.get("doc_ids", [])) <= bundled
        and not r.get("must_not_contain")
    ]

    with tempfile.TemporaryDirectory(prefix="rag-cal-") as tmp:
        settings = Settings(
            data_dir=ROOT / "data",
            chroma_path=Path(tmp) / "chroma",
            cache_dir=ROOT / ".rag/cache",
            _env_file=None,
        )  # type: ignore[call-arg]
        parts = Parts(settings, generator=NoLLM())
        Service(parts).ingest_path()
        r, evidence, bm25 = parts.retriever, parts.evidence, parts.index.current
        systems: dict[str, list[tuple[list[str], set[str]]]] = {
            k: []
            for k in ("dense", "bm25", "rrf", "shipped: convex+date+proximity", "rrf+date+rescore")
        }
        best_answerable, best_unanswerable = [], []
        for row in rows:
            q = row["question"]
            shipped = r.retrieve(q, 50)
            vector = shipped.query_vector
            dense = parts.store.query(vector, r.candidates)
            lexical = bm25.search(q, r.candidates)
            bonus = {c.chunk_id: c.scores["date_bonus"] for c in shipped.chunks}
            top = r.retrieve(q, settings.retrieval_k)
            _, scored = evidence.select(q, top)
            best = scored[0].score if scored else 0.0
            (best_answerable if row["answerable"] else best_unanswerable).append(best)
            if not row["answerable"]:
                continue
            gold = set(row["doc_ids"])
            pool = shipped.chunks[:8]
            sentences = evidence.sentences(pool)
            sims = evidence._vectors(sentences) @ vector if sentences else []
            best_by_chunk: dict[str, float] = {}
            for (s, _, _), sim in zip(sentences, sims, strict=True):
                best_by_chunk[s.chunk_id] = max(best_by_chunk.get(s.chunk_id, -1.0), float(sim))
            rescored = sorted(pool, key=lambda c: -best_by_chunk.get(c.chunk_id, -1.0))
            systems["dense"].append((_doc_ranks(dense), gold))
            systems["bm25"].append((_doc_ranks(lexical), gold))
            systems["rrf"].append((_doc_ranks(_fuse([dense, lexical], {})), gold))
            systems["shipped: convex+date+proximity"].append((_doc_ranks(shipped.chunks), gold))
            systems["rrf+date+rescore"].append(
                (_doc_ranks(_fuse([dense, lexical, rescored], bonus)), gold)
            )
        # Support: reference answer vs its gold quote, and vs the best sentence of another doc.
        checker = parts.checker
        right, wrong = [], []
        docs = {c.doc_id: c for c in bm25.chunks}
        for row in rows:
            if not row["answerable"] or not row.get("quotes"):
                continue
            right.append(checker.check(row["answer"], [row["quotes"][0]], row["question"]).score)
            other = next(d for d in sorted(docs) if d not in row["doc_ids"])
            wrong.append(checker.check(row["answer"], [docs[other].text], row["question"]).score)

    def dist(values: list[float]) -> str:
        v = sorted(values)
        if not v:
            return "–"
        return f"min {v[0]:.2f}, median {v[len(v) // 2]:.2f}, max {v[-1]:.2f} (n={len(v)})"

    lines = "\n".join(
        f"| {name} | {m['hit@1']:.2f} | {m['hit@4']:.2f} | {m['MRR']:.2f} |"
        for name, m in ((n, _metrics(v)) for n, v in systems.items())
    )
    body = f"""## Calibration on the {args.split} questions (`bench/calibrate.py`)

Retrieval, by first gold document ({len(systems["dense"])} answerable questions):

| ranking | hit@1 | hit@4 | MRR |
| --- | ---: | ---: | ---: |
{lines}

Best evidence score (abstain below `abstain_below` = {settings.abstain_below}):
answerable {dist(best_answerable)}; unanswerable {dist(best_unanswerable)}.

Support score (`support_threshold` = {settings.support_threshold}): reference answer vs its gold
quote {dist(right)}; vs the best chunk of a wrong article {dist(wrong)}.
"""
    update_section(args.out, "calibrate", body)
    print(body)


if __name__ == "__main__":
    main()
