"""Run published notebooks the way a reader runs a download: each copied alone into an empty folder
outside the checkout, executed by `jupyter nbconvert --execute` in a stock python3 kernel, with
none of the engine's settings, this repository's packages unimportable and the network closed.

The blocking is done by a ``sitecustomize`` module put first on the kernel's PYTHONPATH: an import
hook refuses any module that would load from this checkout's src/ (factcheck, fwbench), and
sockets refuse every address but loopback (the kernel talks to Jupyter over loopback). A
benchmark notebook gets the fwbench wheel the site publishes, unpacked into its own folder, as a
reader who followed the notebook's instructions would have it.

This run is also the second, independent execution that the determinism tests compare with the
engine's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from builders import REPO

from factcheck.reports.drift import output_text
from factcheck.run.executor import KERNEL_ENV
from factcheck.run.sanitize import machine_paths, sanitize_outputs
from factcheck.sources.notebooks import find_notebooks, notebook_settings, read_notebook
from factcheck.sources.support import needs_fwbench

OUT = REPO / "test-output" / "standalone"
NOTEBOOKS = REPO / "notebooks"

SITECUSTOMIZE = '''
"""Installed by tests/standalone.py: this repository's code is not importable, the network is closed."""
import importlib.abc
import socket
import sys

_REPO_SRC = {repo_src!r}


class _RepositoryBlocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in ("factcheck", "fwbench"):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is None:
                continue
            places = [spec.origin or "", *(spec.submodule_search_locations or [])]
            if any(str(place).startswith(_REPO_SRC) for place in places):
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: it lives in the checkout)", name=name)
            return None
        return None


sys.meta_path.insert(0, _RepositoryBlocker())
_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
        raise OSError(f"network closed for this notebook run (tried {{host}})")
    return _connect(self, address)


socket.socket.connect = _loopback_only
'''


@dataclass
class StandaloneRun:
    notebook: str  # relative to notebooks/
    returncode: int
    seconds: float
    log: str
    executed: Path


def published_copy(site_dir: Path, rel: str) -> Path:
    """The downloadable copy of a notebook: next to its page, as mkdocs-jupyter publishes it."""
    stem = rel.removesuffix(".ipynb")
    return site_dir / "notebooks" / stem / (Path(rel).name)


def fwbench_wheel(site_dir: Path) -> Path:
    wheels = sorted((site_dir / "downloads").glob("fwbench-*.whl"))
    assert len(wheels) == 1, f"the site publishes one fwbench wheel, found {wheels}"
    return wheels[0]


def _environment(workdir: Path, extra_path: list[Path]) -> dict:
    blocker = workdir / "_blocker"
    blocker.mkdir(exist_ok=True)
    (blocker / "sitecustomize.py").write_text(SITECUSTOMIZE.format(repo_src=str((REPO / "src").resolve())))
    env = {k: v for k, v in os.environ.items() if k not in KERNEL_ENV and k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in [blocker, *extra_path])
    env.update({"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "1"})
    return env


def run_alone(notebook: Path, rel: str, wheel: Path | None = None, timeout: int = 900) -> StandaloneRun:
    """Execute one notebook file alone in a fresh temporary folder; its executed copy is kept in
    test-output/standalone/<rel>."""
    target = OUT / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:  # named tmp…: the scrubbing masks it like any scratch folder
        work = Path(tmp)
        copy = work / Path(rel).name
        shutil.copyfile(notebook, copy)
        extra = []
        if wheel is not None:
            site_packages = work / "_wheels"
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(site_packages)
            extra.append(site_packages)
        jupyter = Path(sys.executable).with_name("jupyter")
        started = time.perf_counter()
        run = subprocess.run(
            [
                str(jupyter), "nbconvert", "--to", "notebook", "--execute", str(copy),
                "--output", copy.name, "--output-dir", str(work),
                f"--ExecutePreprocessor.timeout={timeout}", "--ExecutePreprocessor.kernel_name=python3",
            ],
            cwd=work, env=_environment(work, extra), capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        if copy.is_file():
            shutil.copyfile(copy, target)
    return StandaloneRun(rel, run.returncode, seconds, run.stderr[-4000:], target)


def run_all(site_dir: Path, jobs: int = 2) -> dict[str, StandaloneRun]:
    """Every published notebook; those marked exclusive (benchmarks) alone, the rest ``jobs`` at a time."""
    rels = [p.relative_to(NOTEBOOKS).as_posix() for p in find_notebooks(NOTEBOOKS)]
    wheel = fwbench_wheel(site_dir)

    def one(rel: str) -> StandaloneRun:
        nb = read_notebook(NOTEBOOKS / rel)
        return run_alone(published_copy(site_dir, rel), rel, wheel if needs_fwbench(nb) else None)

    alone = [r for r in rels if notebook_settings(read_notebook(NOTEBOOKS / r)).get("exclusive")]
    # Longest first (as long as the engine's run took), so the two workers end together.
    shared = sorted((r for r in rels if r not in alone), key=engine_seconds, reverse=True)
    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(one, shared))
    results += [one(r) for r in alone]
    timings = {r.notebook: round(r.seconds, 1) for r in results}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "timings.json").write_text(
        json.dumps({"wall_s": round(time.perf_counter() - started, 1), "notebooks": timings}, indent=1) + "\n"
    )
    return {r.notebook: r for r in results}


def engine_seconds(rel: str) -> float:
    """How long the engine's run of ``rel`` took (0 when it has no record)."""
    record = (REPO / "build" / "executed" / "notebooks" / rel).with_suffix(".record.json")
    try:
        return float(json.loads(record.read_text()).get("seconds") or 0)
    except (OSError, ValueError):
        return 0.0


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
