"""Run the notebooks the way a reader does: `jupyter nbconvert --execute`, a stock python3
kernel, none of the engine's settings (no fixed PYTHONHASHSEED, no quieted logs, no cache).

This second, independent execution is what the determinism tests compare with the engine's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from builders import REPO

from factcheck.drift import output_text
from factcheck.executor import KERNEL_ENV, machine_paths, sanitize_outputs
from factcheck.notebooks import find_notebooks, notebook_settings, read_notebook

OUT = REPO / "test-output" / "plain-kernel"
NOTEBOOKS = REPO / "notebooks"


@dataclass
class PlainRun:
    notebook: str  # relative to notebooks/
    returncode: int
    seconds: float
    log: str

    @property
    def executed(self) -> Path:
        return OUT / self.notebook


def _run_one(rel: str) -> PlainRun:
    src = NOTEBOOKS / rel
    target = OUT / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in KERNEL_ENV}
    jupyter = Path(sys.executable).with_name("jupyter")
    started = time.perf_counter()
    run = subprocess.run(
        [
            str(jupyter), "nbconvert", "--to", "notebook", "--execute", str(src),
            "--output", target.name, "--output-dir", str(target.parent),
            "--ExecutePreprocessor.timeout=900", "--ExecutePreprocessor.kernel_name=python3",
        ],
        cwd=src.parent, env=env, capture_output=True, text=True,
    )  # fmt: skip
    return PlainRun(rel, run.returncode, time.perf_counter() - started, run.stderr[-4000:])


def run_all(jobs: int = 2) -> dict[str, PlainRun]:
    """Every notebook; those marked exclusive (benchmarks) alone, the rest ``jobs`` at a time."""
    rels = [str(p.relative_to(NOTEBOOKS)) for p in find_notebooks(NOTEBOOKS)]
    alone = [r for r in rels if notebook_settings(read_notebook(NOTEBOOKS / r)).get("exclusive")]
    shared = [r for r in rels if r not in alone]
    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(_run_one, shared))
    results += [_run_one(r) for r in alone]
    return {r.notebook: r for r in results}


def text_outputs(path: Path, mask_numbers: bool = False, scrub: bool = False) -> dict[int, str]:
    """Cell position -> the text a reader sees, read as the drift report reads it; ``scrub``
    applies the engine's scrubbing (machine paths, addresses) to a run made outside the engine."""
    nb = read_notebook(path)
    if scrub:
        sanitize_outputs(nb, machine_paths(REPO))
    return {
        i: output_text(cell.get("outputs", []), masked=mask_numbers)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
    }
