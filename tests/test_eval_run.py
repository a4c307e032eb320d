"""`rag eval` as a user runs it: real process, real store, real models, a small gold file.

A normal run writes summary, results and report; the same cases run deliberately worse (every
question refused by an absurd abstention threshold) fail the gate against it with exit 1.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from eval.schema import load_gold
from tests.conftest import ROOT, VENV_BIN

pytestmark = pytest.mark.slow


def rag(*args: str | Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "rag"), *map(str, args)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture
def env(tmp_path: Path, data_dir: Path, cache_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(data_dir),
        "RAG_CHROMA_PATH": str(tmp_path / "db"),
        "RAG_CACHE_DIR": str(cache_dir),
    }
    assert rag("ingest", "-q", env=env, cwd=tmp_path).returncode == 0
    return env


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    cases = {c.id: c for c in load_gold(ROOT / "eval/data/gold.jsonl")}
    # Two answerable (one a follow-up with history) and one unanswerable case.
    chosen = [cases["q001"], cases["q007"], cases["q003"]]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(c.model_dump_json(exclude_defaults=False) + "\n" for c in chosen))
    return path


def test_eval_writes_a_report_and_the_gate_catches_a_worse_run(
    tmp_path: Path, env: dict[str, str], gold: Path
) -> None:
    out = tmp_path / "run1"
    first = rag("eval", "--gold", gold, "--out", out, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "3 cases from" in first.stdout
    assert "answer: must-contain accuracy" in first.stdout
    assert "latency total" in first.stdout

    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["case_ids"] == ["q001", "q007", "q003"]
    assert summary["metrics"]["abstain_recall"] == 1.0  # the population of Ukraine
    assert summary["metrics"]["doc_hit@1"] == 1.0
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["q001", "q007", "q003"]
    follow_up = rows[1]
    assert follow_up["standalone_question"] != follow_up["question"]  # condensed with history
    assert rows[0]["scores"]["must_contain"] == 1.0
    assert rows[0]["citations"] and rows[0]["citations"][0]["doc_id"].startswith("00")
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 3
    assert "Cases, failures first" in report

    same = rag(
        "eval", "--gold", gold, "--out", tmp_path / "run2", "--baseline", out / "summary.json",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert same.returncode == 0, same.stdout + same.stderr
    assert "Compared with the baseline" in same.stdout

    worse_env = {**env, "RAG_ABSTAIN_BELOW": "0.99"}  # refuses every question
    worse = rag(
        "eval", "--gold", gold, "--out", tmp_path / "run3", "--baseline", out / "summary.json",
        env=worse_env, cwd=tmp_path,
    )  # fmt: skip
    assert worse.returncode == 1
    assert "must_contain" in worse.stdout and "REGRESSED" in worse.stdout
    assert "Regression against the baseline." in worse.stderr


def test_bad_gold_and_mismatched_baseline_are_clear_errors(
    tmp_path: Path, env: dict[str, str], gold: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(gold.read_text().splitlines()[0] + "\n{oops\n")
    result = rag("eval", "--gold", bad, "--out", tmp_path / "o", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"{bad}:2: invalid JSON" in result.stderr
    missing = rag(
        "eval", "--gold", gold, "--baseline", tmp_path / "none.json", env=env, cwd=tmp_path
    )
    assert missing.returncode == 1 and "Cannot read the baseline" in missing.stderr


def test_eval_over_http_against_a_running_service(
    tmp_path: Path, env: dict[str, str], gold: Path, data_dir: Path, cache_dir: Path
) -> None:
    """`rag eval --url`: the same cases asked of a real uvicorn server, scored the same way."""
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    from api.app import create_app
    from service.settings import Settings

    settings = Settings(
        data_dir=data_dir, chroma_path=tmp_path / "db", cache_dir=cache_dir, _env_file=None
    )  # type: ignore[call-arg]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        out = tmp_path / "http"
        result = rag(
            "eval", "--gold", gold, "--out", out, "--url", f"http://127.0.0.1:{port}",
            env=env, cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert f"via HTTP http://127.0.0.1:{port}" in result.stdout
        rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
        assert [r["id"] for r in rows] == ["q001", "q007", "q003"]
        assert not any(r["error"] for r in rows)
        assert rows[0]["scores"]["must_contain"] == 1.0
        assert rows[0]["scores"]["doc_hit@1"] == 1.0  # the trace came over HTTP too
        assert rows[1]["standalone_question"] != rows[1]["question"]  # history sent and used
        assert rows[2]["abstained"]
    finally:
        server.should_exit = True
        thread.join(timeout=30)

    unreachable = rag(
        "eval", "--gold", gold, "--out", tmp_path / "x", "--url", f"http://127.0.0.1:{port}",
        "--limit", "1", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert unreachable.returncode == 1  # before any question is asked
    assert f"The service at http://127.0.0.1:{port} is not reachable" in unreachable.stderr
