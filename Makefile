# Framework Facts: one command to serve the site, one to run every test.
#   make serve   set up, execute what the cache lacks, serve on http://127.0.0.1:8000/
#   make test    set up, then every test (unit, notebooks, strict site build, real browser)

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true
export PYTHONUNBUFFERED := 1

.PHONY: setup notebooks execute build serve test test-fast test-latest lab bench browser lighthouse lighthouse-tools check lint lock urls clean

## setup: create the virtual environment with exactly the locked packages
setup: $(STAMP)
$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

## notebooks: rebuild each notebook's generated cells (Colab setup, helpers, embedded data files)
notebooks: setup
	$(BIN)/python -m factcheck sync

## execute: run the notebooks the cache lacks (NB=paradigm/x.ipynb for one, SHARD=1/3 for a shard)
execute: notebooks
	$(BIN)/python -m factcheck execute $(NB) $(if $(SHARD),--shard $(SHARD))

## build: the static site in site/ (strict: any warning fails). The MkDocs plugin brings the
## generated cells up to date and executes what the cache lacks, in the same process.
build: setup
	FACTCHECK_SYNC=true $(BIN)/mkdocs build --strict

## serve: build and serve on 127.0.0.1:8000, rebuilding on edits to docs/, claims/, notebooks/, data/
serve: execute
	SITE_URL=http://127.0.0.1:8000/ FACTCHECK_SYNC=true $(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

## test: set up (timed), then lint and every test (timed); pytest collecting nothing (exit 5) fails
test:
	@t0=$$(date +%s); $(MAKE) --no-print-directory setup browser lighthouse-tools || exit 1; t1=$$(date +%s); \
	echo "[test] setup took $$((t1 - t0)) s"; \
	$(BIN)/ruff check src tests notebooks tools bench; lint=$$?; \
	$(BIN)/python -m pytest; rc=$$?; t2=$$(date +%s); \
	echo "[test] setup $$((t1 - t0)) s, tests $$((t2 - t1)) s (lint exit $$lint, pytest exit $$rc)"; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; \
	[ $$lint -eq 0 ] || exit $$lint; exit $$rc

## test-fast: the tests that need no notebook execution, site build or browser
test-fast: setup
	$(BIN)/python -m pytest -m "not site and not browser"

## test-latest: every notebook on the newest releases (both frameworks and every evidence library,
## resolved core-first by the matrix runner (src/factcheck/matrix/), which says which package is held back and why), then a
## drift report against the pinned run: build/drift/drift.md and .json, build/drift/newest.json
test-latest: execute
	$(BIN)/python -m factcheck matrix --newest build/drift/newest.json --keep-executed build/latest; \
	$(BIN)/python -m factcheck drift --latest build/latest --run-result build/drift/newest.json --out build/drift

## lab: JupyterLab on the notebooks, in the same environment
lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks

## browser: Debian's Chromium for the real-browser tests (installed when missing; needs root)
browser:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

## lighthouse-tools: npm's Lighthouse, pinned in tools/lighthouse (Node.js and npm from Debian when missing)
LIGHTHOUSE := tools/lighthouse/node_modules/lighthouse/cli/index.js
lighthouse-tools: $(LIGHTHOUSE)
$(LIGHTHOUSE): tools/lighthouse/package-lock.json
	@command -v npm >/dev/null || { \
	  echo "Installing Debian's nodejs and npm for the Lighthouse tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	cd tools/lighthouse && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## lighthouse: measure performance (home, every section, two notebooks; RUNS=3 for medians) with this
## machine's benchmark index -> reports/lighthouse/summary.md (a measurement, not a test)
lighthouse: build browser lighthouse-tools
	$(BIN)/python tools/lighthouse_report.py --runs $(or $(RUNS),1)

## bench: the full benchmark (about 5 minutes on 2 cores) -> bench/results/full.json
bench: setup
	$(BIN)/python bench/run.py --full

## urls: record every public URL of the built site in public-urls.txt (commit it; a test keeps
## each listed URL alive, so a moved page needs a redirect in mkdocs.yml)
urls: build
	cp build/public-urls.txt public-urls.txt

## check: registry, pages and notebook hygiene without executing anything
check: setup
	$(BIN)/python -m factcheck check

lint: setup
	$(BIN)/ruff check src tests notebooks tools bench

## matrix: the version matrix (src/factcheck/matrix/): every run whose data/version-matrix/ file is missing,
## or one with FRAMEWORK=torch VERSION=2.3 (FORCE=1 redoes an existing one); minutes of both cores per run.
## REFRESH=1: re-execute only the notebooks changed since each existing run, with that run's packages
## counterfactuals: each claim side's evidence run with its fact flipped, what is missing or stale
## (CLAIM=id for one, SHARD=1/4 for a shard, FORCE=1 to redo) -> data/counterfactuals/
.PHONY: counterfactuals
counterfactuals: setup
	$(BIN)/python -m factcheck counterfactuals $(if $(CLAIM),--claim $(CLAIM)) $(if $(SHARD),--shard $(SHARD)) $(if $(FORCE),--force)

.PHONY: matrix
matrix: setup
	$(BIN)/python -m factcheck matrix $(if $(FRAMEWORK),--framework $(FRAMEWORK)) $(if $(VERSION),--version $(VERSION)) $(if $(FORCE),--force) $(if $(REFRESH),--refresh)

## lock: re-resolve requirements.in into requirements.lock (then commit both)
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip==25.3
	.venv-lock/bin/python -m pip install --quiet -r requirements.in
	{ echo "# Exact versions of every package in the project environment (Python 3.11, Linux x86_64)."; \
	  echo "# Generated by 'make lock' from requirements.in; installed with 'pip install --no-deps -r requirements.lock'."; \
	  .venv-lock/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' | sed -E 's/\+(cu[0-9]+|cpu)$$//'; } > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf site build .cache test-output
