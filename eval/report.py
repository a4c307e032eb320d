"""``report.html``: the headline table, scores by question type, three plots (PNG, embedded) and
every case, failures first. One self-contained file: it opens anywhere, offline."""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from typing import Any

from eval.runner import CaseResult
from eval.summary import STAGES, label_rows

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;
 padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td{background:#fff4f2}.reason{color:#a01b00;font-weight:600}
.plots{display:flex;flex-wrap:wrap;gap:1rem}.plots figure{margin:0;flex:1 1 320px}
.plots img{width:100%;border:1px solid #eee}small{color:#666}
details summary{cursor:pointer;color:#245}
"""


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def plots(results: list[CaseResult]) -> dict[str, str]:
    """Base64 PNGs: score by question type, latency by stage, rank of the gold evidence."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in CI
    import matplotlib.pyplot as plt

    out = {}
    types = sorted({r.type for r in results})
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    scores = []
    for t in types:
        rs = [r for r in results if r.type == t]
        # Unanswerable questions score by abstaining; the others by must-contain.
        ok = [r.abstained if not r.answerable else r.scores.get("must_contain", 0) for r in rs]
        scores.append(sum(ok) / len(ok))
    ax.bar(types, scores, color="#4c78a8")
    for i, (t, s) in enumerate(zip(types, scores, strict=True)):
        n = sum(r.type == t for r in results)
        ax.text(i, s + 0.02, f"{s:.2f}\nn={n}", ha="center", fontsize=8)
    ax.set_ylim(0, 1.2)
    ax.set_ylabel("share correct")
    ax.set_title("Correct by question type (unanswerable: abstained)")
    ax.tick_params(axis="x", labelrotation=20)
    out["by_type"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    stages = [s for s in STAGES if any(s in r.timings_ms for r in results)]
    data = [[r.timings_ms[s] / 1000 for r in results if s in r.timings_ms] for s in stages]
    ax.boxplot(data, tick_labels=stages, vert=False, showfliers=True)
    ax.set_xlabel("seconds")
    ax.set_title("Latency by stage")
    out["latency"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ranks = Counter(
        r.evidence_rank if r.evidence_rank is not None and r.evidence_rank <= 10 else 0
        for r in results
        if r.answerable and not r.error
    )
    labels = [str(i) for i in range(1, 11)] + ["not in top 10"]
    counts = [ranks.get(i, 0) for i in range(1, 11)] + [ranks.get(0, 0)]
    ax.bar(labels, counts, color=["#59a14f"] * 10 + ["#e15759"])
    ax.set_xlabel("rank of the first chunk holding a gold quote")
    ax.set_ylabel("questions")
    ax.set_title("Where the gold evidence was retrieved")
    ax.tick_params(axis="x", labelrotation=30)
    out["evidence_rank"] = _png(fig)
    plt.close(fig)
    return out


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def render_html(summary: dict[str, Any], results: list[CaseResult]) -> str:
    esc = html.escape
    run = summary["run"]
    head_rows = "".join(
        f"<tr><td>{esc(label)}</td><td class=n>{_fmt(v)}</td></tr>"
        for _, label, v in label_rows(summary)
    )
    lat_rows = "".join(
        f"<tr><td>{esc(s)}</td><td class=n>{v['p50']:.0f}</td><td class=n>{v['p95']:.0f}</td></tr>"
        for s, v in summary["latency_ms"].items()
    )
    type_rows = "".join(
        f"<tr><td>{esc(t)}</td><td class=n>{v['n']}</td>"
        f"<td class=n>{_fmt(v.get('must_contain'))}</td><td class=n>{_fmt(v.get('token_f1'))}</td>"
        f"<td class=n>{_fmt(v.get('citation_recall_product'))}</td>"
        f"<td class=n>{_fmt(v.get('abstain_recall') if t == 'unanswerable' else None)}</td></tr>"
        for t, v in summary["by_type"].items()
    )
    images = plots(results)
    figures = "".join(
        f'<figure><img alt="{esc(name)}" src="data:image/png;base64,{b64}"></figure>'
        for name, b64 in images.items()
    )
    ordered = sorted(results, key=lambda r: (not r.failure, r.id))
    case_rows = []
    for r in ordered:
        cites = "".join(
            f"<li>[{c['n']}] <code>{esc(c['doc_id'])}</code> “{esc(c['quote'])}”</li>"
            for c in r.citations
        )
        asked = esc(r.question)
        if r.standalone_question and r.standalone_question != r.question:
            asked += f"<br><small>searched as: {esc(r.standalone_question)}</small>"
        details = (
            f"<details><summary>{len(r.citations)} citations</summary><ul>{cites}</ul></details>"
            if cites
            else ""
        )
        case_rows.append(
            f"<tr class={'fail' if r.failure else 'ok'}><td>{esc(r.id)}<br><small>{esc(r.type)}"
            f"</small></td><td>{asked}</td><td>{esc(r.answer) or '<em>(no answer)</em>'}"
            f"{details}"
            f"</td><td>{esc(r.reference)}</td>"
            f"<td class=reason>{esc(r.failure or '')}{esc(' ' + r.error) if r.error else ''}"
            f"{f'<br><small>{esc(r.decision)}</small>' if r.failure and r.decision else ''}</td>"
            f"<td class=n>{r.evidence_rank or '–'}</td>"
            f"<td class=n>{r.timings_ms.get('total', 0) / 1000:.1f}</td></tr>"
        )
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><title>RAG evaluation: {esc(run["gold"])}</title>
<meta name=viewport content="width=device-width,initial-scale=1"><style>{_CSS}</style></head>
<body>
<h1>Evaluation report</h1>
<p>{run["cases"]} cases from <code>{esc(run["gold"])}</code> via {esc(run["backend"])},
k = {run.get("k")}, finished {esc(run["finished"])}.
<strong>{run["failures"]} failed</strong>, {run["errors"]} errors.</p>
<h2>Headline</h2>
<table><tr><th>metric</th><th>value</th></tr>{head_rows}</table>
<h2>By question type</h2>
<table><tr><th>type</th><th>n</th><th>must-contain</th><th>token F1</th>
<th>citation recall</th><th>abstention recall</th></tr>{type_rows}</table>
<h2>Latency (ms)</h2>
<table><tr><th>stage</th><th>p50</th><th>p95</th></tr>{lat_rows}</table>
<h2>Plots</h2><div class=plots>{figures}</div>
<h2>Cases, failures first</h2>
<table><tr><th>id</th><th>question</th><th>answer</th><th>reference</th><th>failure</th>
<th>evidence rank</th><th>s</th></tr>{"".join(case_rows)}</table>
</body></html>
"""
