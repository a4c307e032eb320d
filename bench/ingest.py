"""Ingest throughput beside the raw embedding throughput of the same model on the same chunks.

Corpus: the five bundled articles plus N CACM abstracts (read in place from
../shared/benchmarks/cacm, written as JSON lines to a temporary folder, never into the
project). Same process, same warm model, same batch size for both measurements:

* ingest: a full ``rag ingest`` into a fresh embedded Chroma (load, clean, chunk, embed, write);
* raw: ``embedder.embed_documents(the chunk texts that ingest stored)``, right after it;
* both repeated in interleaved rounds, medians reported, so machine noise hits both alike;
* rerun: the same ingest again, which must find everything unchanged.

Writes its section of BENCHMARKS.md between ``<!-- bench:ingest -->`` markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import cpu_name, peak_rss_mb, update_section  # noqa: E402
from ingest.sync import sync  # noqa: E402
from service.root import build_chunker, build_embedder, open_store  # noqa: E402
from service.settings import Settings  # noqa: E402


def write_corpus(folder: Path, cacm: Path, n_docs: int) -> None:
    for article in sorted((ROOT / "data").glob("*.txt")):
        shutil.copy(article, folder / article.name)
    with (cacm / "corpus.jsonl").open() as src, (folder / "cacm.jsonl").open("w") as out:
        for i, line in enumerate(src):
            if i >= n_docs:
                break
            doc = json.loads(line)
            out.write(
                json.dumps(
                    {
                        "id": doc["_id"],
                        "title": doc["title"],
                        "text": f"{doc['title']}\n\n{doc['text']}",
                    }
                )
                + "\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cacm", type=Path, default=ROOT.parent / "shared/benchmarks/cacm")
    parser.add_argument("--docs", type=int, default=600, help="CACM abstracts to add")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        folder = Path(tmp)
        data = folder / "data"
        data.mkdir()
        write_corpus(data, args.cacm, args.docs)
        settings = Settings(
            data_dir=data,
            chroma_path=folder / "chroma",
            cache_dir=ROOT / ".rag/cache",
            _env_file=None,
        )  # type: ignore[call-arg]
        embedder = build_embedder(settings)
        chunker = build_chunker(settings, embedder)
        embedder.embed_documents(["warm up the model"] * 8)

        raw_s: list[float] = []
        ingest_s: list[float] = []
        texts: list[str] = []
        for round_ in range(args.rounds):
            # A fresh store each round; the raw baseline embeds the very chunks ingest stored.
            round_settings = settings.model_copy(
                update={"chroma_path": folder / f"chroma-{round_}"}
            )
            store = open_store(round_settings, embedder)
            t0 = time.perf_counter()
            first = sync(data, embedder, store, chunker, group_chunks=settings.ingest_group_chunks)
            ingest_s.append(time.perf_counter() - t0)
            texts = [c.text for c in store.all_chunks()]
            assert len(texts) == first.chunks_written
            t0 = time.perf_counter()
            embedder.embed_documents(texts)
            raw_s.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        second = sync(data, embedder, store, chunker)
        rerun_s = time.perf_counter() - t0
        assert second.unchanged == first.added and second.chunks_written == 0

    n = len(texts)
    raw_med, ingest_med = statistics.median(raw_s), statistics.median(ingest_s)
    raw_rate, ingest_rate = n / raw_med, n / ingest_med
    ratios = sorted(r / i for r, i in zip(raw_s, ingest_s, strict=True))
    peak_mb = peak_rss_mb()
    ratio = ingest_rate / raw_rate
    body = f"""## Ingest throughput (`bench/ingest.py`)

Run {dt.datetime.now().isoformat(timespec="minutes")} on {os.cpu_count()} CPU ({cpu_name()}),
Python {platform.python_version()}, model {embedder.model_id} ({settings.embedding_dtype}),
batch {settings.embedding_batch_size}, chunks of ≤ {settings.chunk_tokens} word pieces.
Corpus: the 5 bundled articles + {args.docs} CACM abstracts = {first.added} articles, {n} chunks.

| measurement | seconds | chunks/s |
| --- | ---: | ---: |
| raw embedding of the same chunks (baseline) | {raw_med:.1f} | {raw_rate:.1f} |
| full ingest into a fresh Chroma (load, clean, chunk, embed, write) | {ingest_med:.1f} \
| {ingest_rate:.1f} |
| re-run, all unchanged (nothing embedded or written) | {rerun_s:.2f} | – |

Medians of {args.rounds} interleaved rounds (ingest into a fresh store, then the raw baseline).
Ingest runs at **{ratio:.0%}** of the raw embedding rate (target ≥ 80 %); per round
{", ".join(f"{r:.0%}" for r in ratios)}.
Peak resident memory of the whole run: {peak_mb:.0f} MB.
"""
    update_section(args.out, "ingest", body)
    print(body)


if __name__ == "__main__":
    main()
