"""The version matrix: every evidence notebook on every minor release of each framework.

One *run* executes every evidence notebook with one release of one framework (the newest patch
of a minor release) and the other framework beside it, in a fresh virtual environment, and
writes ``data/version-matrix/<framework>-<minor>.json`` (the format: judging/results.py and
schemas/result.schema.json). Runs resume: a run whose file exists (and parses) is skipped unless
``--force``; the file is written atomically at the end, so a crash loses at most the run in
progress. By job:

    discovery.py     which releases exist (PyPI), the plan of runs
    pip.py           pip calls into a managed wheelhouse, constraints, disk watching
    environments.py  a run's environment: the core first, then each evidence library; checks
    run.py           one run: build, execute (run/executor.py, in the run's environment), judge
    worker.py        the part that runs inside the run's environment
    cli.py           python -m factcheck matrix ...
"""

from __future__ import annotations

import time
from pathlib import Path

# The checkout the matrix runs from (the package is installed from it in editable mode).
ROOT = Path(__file__).resolve().parents[3]
OUT_DIR = ROOT / "data" / "version-matrix"
CACHE = ROOT / ".cache"
WHEELHOUSE = CACHE / "matrix-wheels"
ENVS = CACHE / "matrix-envs"
LOGS = CACHE / "matrix-logs"

_PROGRESS_T0 = time.monotonic()


def say(run: str, message: str) -> None:
    print(f"[matrix {time.monotonic() - _PROGRESS_T0:7.1f}s] {run}: {message}", flush=True)
