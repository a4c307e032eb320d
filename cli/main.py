"""The ``rag`` command: a thin adapter over ``Service``'s typed calls (and eval, the API
server and the Slack bot, which it starts).

Errors the library raises on purpose (``RagError``) become one line on stderr and an exit code
chosen in ``EXIT_CODES``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from eval.gate import Comparison

from rag.errors import ConfigError, InvalidRequestError, ModelUnavailableError, RagError
from service.settings import load_settings

app = typer.Typer(
    help="Question answering over news articles, with citations you can check.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EXIT_CODES: dict[type[RagError], int] = {
    ConfigError: 2,
    InvalidRequestError: 2,
    ModelUnavailableError: 3,
}
VERDICTS = {
    "supported": "Supported by the articles.",
    "contradicted": "Contradicted by the articles.",
    "not_found": "Not found in the articles: no passage states it or its opposite.",
}


@app.command()
def ingest(
    path: Annotated[
        Path | None, typer.Argument(help="File or folder to ingest (default: RAG_DATA_DIR).")
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove stored articles whose files are gone.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Load, clean, chunk and embed articles into Chroma; unchanged articles are skipped."""
    from service.core import Service

    report = Service.from_settings(load_settings()).ingest_path(
        path, prune=prune, progress=not quiet
    )
    for skipped in report.skipped:
        typer.echo(f"warning: skipped {skipped.path}: {skipped.reason}", err=True)
    typer.echo(report.summary())


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what the store holds: collection, model, and each article."""
    from service.core import Service

    service = Service.from_settings(load_settings())
    info = service.describe()
    articles = service.articles()
    if as_json:
        info["documents"] = [a.model_dump(mode="json") for a in articles]
        typer.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    for key, value in info.items():
        typer.echo(f"{key:>16}: {value}")
    if articles:
        typer.echo("")
        typer.echo(f"{'document':<26} {'published':<10} {'chunks':>6}  {'source':<18} title")
        for a in articles:
            title = a.title if len(a.title) <= 60 else a.title[:59] + "…"
            typer.echo(
                f"{a.doc_id:<26} {a.published.isoformat() if a.published else '-':<10} "
                f"{a.n_chunks:>6}  {(a.source or '-')[:18]:<18} {title}"
            )


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole Answer as JSON.")
    ] = False,
    k: Annotated[int | None, typer.Option("--k", help="Chunks to retrieve.")] = None,
    since: Annotated[
        dt.datetime | None,
        typer.Option(
            help="Only articles published on or after (YYYY-MM-DD).", formats=["%Y-%m-%d"]
        ),
    ] = None,
    until: Annotated[
        dt.datetime | None,
        typer.Option(help="Only articles published on or before.", formats=["%Y-%m-%d"]),
    ] = None,
    doc: Annotated[
        list[str] | None, typer.Option("--doc", help="Only this document id (repeatable).")
    ] = None,
) -> None:
    """Answer a question from the articles, with verified citations."""
    from rag.types import Filters
    from service.core import Service

    if k is not None and k < 1:
        raise ConfigError("--k must be at least 1.")
    filters = Filters(
        doc_ids=doc or None,
        since=since.date() if since else None,
        until=until.date() if until else None,
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise ConfigError("--since is after --until: no article can match.")
    answer = Service.from_settings(load_settings()).answer(question, filters=filters, k=k)
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
        return
    typer.echo(answer.answer)
    if answer.fallback:
        typer.echo("\n(The LLM was unavailable: these are quotes, not a written answer.)")
    elif answer.partial:
        typer.echo("\n(Partially supported: sentences the articles do not back were removed.)")
    if answer.citations:
        typer.echo("\nSources:")
        for c in answer.citations:
            date = f", {c.published.isoformat()}" if c.published else ""
            typer.echo(f"[{c.n}] {c.doc_id}{date} — {c.title}")
            typer.echo(f"    “{c.quote}” (characters {c.start}–{c.end})")


@app.command()
def verify(
    claim: Annotated[str, typer.Argument(help="The statement to check, in quotes.")],
    doc: Annotated[
        list[str] | None, typer.Option("--doc", help="Only this document id (repeatable).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole Verdict (trace included) as JSON.")
    ] = False,
) -> None:
    """Check a statement against the articles: supported, contradicted or not found, with
    the exact passage. The exit code is 0 whatever the verdict."""
    from service.core import Service

    verdict = Service.from_settings(load_settings()).verify(claim, doc_ids=doc or None)
    if as_json:
        typer.echo(verdict.model_dump_json(indent=2))
        return
    typer.echo(VERDICTS[verdict.verdict])
    for c in verdict.citations:
        date = f", {c.published.isoformat()}" if c.published else ""
        typer.echo(f"\n{c.doc_id}{date} — {c.title}")
        typer.echo(f"    “{c.quote}” (characters {c.start}–{c.end})")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: RAG_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: RAG_PORT.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
) -> None:
    """Start the HTTP service (API, web chat page, OpenAI-compatible endpoint)."""
    import uvicorn

    settings = load_settings()
    if workers > 1 and not settings.chroma_url:
        # Several processes writing one embedded Chroma folder is not safe; a server is.
        raise ConfigError(
            "Several workers need a Chroma server: set RAG_CHROMA_URL (e.g. start one with "
            "`.venv/bin/chroma run --path .rag/chroma-server --port 8001`)."
        )
    bind = host or settings.host
    if not settings.keys and bind not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(
            f"No RAG_API_KEYS set: serving on 127.0.0.1 only, not {bind}. "
            "Set RAG_API_KEYS to listen elsewhere.",
            err=True,
        )
        bind = "127.0.0.1"
    elif not settings.keys:
        typer.echo("No RAG_API_KEYS set: serving on 127.0.0.1 only, without keys.", err=True)
    chosen = port or settings.port
    from modelserver.launch import model_process

    # One model process for every worker, started (and stopped) here in the parent; the
    # workers, this process too with one worker, find it through the environment.
    with model_process(settings) as supervisor:
        if supervisor is not None:
            os.environ.update(supervisor.client_env())
            typer.echo(
                f"Model process pid {supervisor.pid} on {supervisor.base_url}, supervised: "
                "restarted if it dies.",
                err=True,
            )
        typer.echo(f"Serving on http://{bind}:{chosen}/ (chat page), API docs at /docs", err=True)
        uvicorn.run(
            "api.app:create_app", factory=True, host=bind, port=chosen, workers=workers,
            log_level="info",
        )  # fmt: skip


@app.command(name="eval")
def evaluate(
    gold: Annotated[Path, typer.Option(help="Gold Q&A (JSON lines).")] = Path(
        "eval/data/gold.jsonl"
    ),
    out: Annotated[Path, typer.Option(help="Folder for summary, results and report.")] = Path(
        ".rag/eval"
    ),
    url: Annotated[
        str | None, typer.Option(help="Ask a running service (e.g. http://127.0.0.1:8000).")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="RAG_EVAL_API_KEY", help="Bearer key for --url.")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="Compare with this summary.json; exit 1 on regression.")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N cases.")] = None,
    split: Annotated[str, typer.Option(help="dev, test or all.")] = "all",
    tolerance: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.10,
) -> None:
    """Score answers, citations, retrieval and abstention against gold Q&A; write a report."""
    from tqdm import tqdm

    from eval import headline, run_eval

    _check_split(split)
    outcome = run_eval(
        load_settings(),
        gold=gold,
        out=out,
        url=url,
        api_key=api_key,
        baseline=baseline,
        limit=limit,
        split=split,
        tolerance=tolerance,
        progress=lambda cases: tqdm(cases, desc="eval", unit="q", file=sys.stderr),
    )
    typer.echo(headline(outcome.summary))
    typer.echo(f"\nReport: {out / 'report.html'}  (summary.json, results.jsonl beside it)")
    _gate(outcome.comparisons, outcome.regressed, tolerance)


def _check_split(split: str, splits: tuple[str, ...] = ("dev", "test", "all")) -> None:
    if split not in splits:
        raise typer.BadParameter(f"choose {', '.join(splits)}", param_hint="--split")


def _gate(comparisons: list[Comparison], regressed: bool, tolerance: float) -> None:
    """The comparison with the baseline, and exit 1 on a regression (CI's gate)."""
    from eval.gate import render

    if comparisons:
        typer.echo(render(comparisons, tolerance))
        if regressed:
            typer.echo("Regression against the baseline.", err=True)
            raise typer.Exit(1)


@app.command(name="eval-claims")
def evaluate_claims(
    claims: Annotated[
        Path | None,
        typer.Option(
            help="Labelled claims (JSON lines); default eval/data/claims.jsonl, or "
            "eval/data/claims_holdout.jsonl for --split holdout."
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for claims.json and results.")] = Path(
        ".rag/eval"
    ),
    baseline: Annotated[
        Path | None, typer.Option(help="Compare with this claims.json; exit 1 on regression.")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N claims.")] = None,
    every: Annotated[
        int, typer.Option(min=1, help="Every N-th claim (a sample of all classes).")
    ] = 1,
    split: Annotated[str, typer.Option(help="dev, test, holdout or all.")] = "all",
    tolerance: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.10,
) -> None:
    """Score the claim verifier: false-support rate and supported recall, by class."""
    from tqdm import tqdm

    from eval.claims import claim_headline, claims_file
    from eval.claims_run import run_claims_eval

    _check_split(split, ("dev", "test", "holdout", "all"))
    claims = claims or claims_file(split)
    outcome = run_claims_eval(
        load_settings(),
        claims=claims,
        out=out,
        split=split,
        limit=limit,
        every=every,
        baseline=baseline,
        tolerance=tolerance,
        progress=lambda cases: tqdm(list(cases), desc="claims", unit="claim", file=sys.stderr),
    )
    typer.echo(f"{len(outcome.results)} claims from {claims} ({split})")
    typer.echo(claim_headline(outcome.summary["metrics"]))
    typer.echo(f"\nResults: {out / 'claims.json'}, {out / 'claims_results.jsonl'}")
    _gate(outcome.comparisons, outcome.regressed, tolerance)


slack_app = typer.Typer(
    help="The Slack bot: Socket Mode, and the 👎 answers for review (docs/slack.md).",
    no_args_is_help=False,
)
app.add_typer(slack_app, name="slack")


@slack_app.callback(invoke_without_command=True)
def slack(
    ctx: typer.Context,
    socket: Annotated[
        bool, typer.Option("--socket", help="Connect over Socket Mode (RAG_SLACK_APP_TOKEN).")
    ] = False,
) -> None:
    """Run the Slack bot over Socket Mode; the Events API is served by `rag serve`."""
    if ctx.invoked_subcommand is not None:
        return
    if not socket:
        typer.echo(
            "Use `rag slack --socket` for Socket Mode, or `rag serve` with RAG_SLACK_BOT_TOKEN "
            "and RAG_SLACK_SIGNING_SECRET set for the Events API at /slack/events.",
            err=True,
        )
        raise typer.Exit(2)
    import logging

    from api.slack.socket_mode import run_socket_mode
    from modelserver.launch import model_process, served_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = load_settings()
    with model_process(settings) as supervisor:  # the model in a supervised child, as served
        run_socket_mode(served_settings(settings, supervisor) if supervisor else settings)


@slack_app.command("export-feedback")
def export_feedback(
    out: Annotated[Path, typer.Option(help="Where to write the JSON lines.")] = Path(
        ".rag/slack_feedback.jsonl"
    ),
) -> None:
    """Write the 👎 answers as gold JSON lines (eval/schema.py) for review."""
    from api.slack.feedback import FeedbackStore
    from api.slack.feedback import export_feedback as export

    settings = load_settings()
    if not settings.slack_feedback_db.exists():
        raise ConfigError(f"No Slack feedback yet: {settings.slack_feedback_db} does not exist.")
    n = export(FeedbackStore(settings.slack_feedback_db), out)
    typer.echo(f"{n} 👎 answer{'s' if n != 1 else ''} written to {out}")


@app.command()
def models(
    check: Annotated[
        bool, typer.Option("--check", help="Also load the LLM and generate in a child process.")
    ] = False,
) -> None:
    """List the packaged models and whether they are installed; --check runs the LLM."""
    import importlib.metadata

    from rag.models.registry import MODELS, distribution_of

    for spec in MODELS.values():
        missing = []
        for req in spec.requirements:
            try:
                importlib.metadata.version(distribution_of(req))
            except importlib.metadata.PackageNotFoundError:
                missing.append(req)
        state = "installed" if not missing else f"missing: {spec.install_hint()}"
        typer.echo(f"{spec.name:<38} {spec.kind:<9} {state}")
    if check:  # a failure is one sentence naming the cause (rag.models.selfcheck)
        from rag.models.selfcheck import check_settings

        result = check_settings(load_settings())
        typer.echo(result.summary() if result else "model check: skipped, RAG_LLM_BASE_URL is set")


def main() -> None:
    try:
        app()
    except RagError as exc:
        typer.echo(f"error: {exc}", err=True)
        code = next((c for cls, c in EXIT_CODES.items() if isinstance(exc, cls)), 1)
        sys.exit(code)


if __name__ == "__main__":
    main()
