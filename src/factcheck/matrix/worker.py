"""The part of a matrix run that runs inside the run's environment (``python -m
factcheck.matrix.worker --out DIR NOTEBOOK...``): every notebook through the engine's one executor
(run/executor.py), errors allowed, two at a time; each executed copy goes to ``DIR/<rel>`` with its
outcome beside it (``.outcome.json``), for run.py to judge."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..publish.wheel import build_wheel, fwbench_version, wheel_name
from ..run.executor import DEFAULT_CELL_TIMEOUT, Task, execute_into
from ..sources.notebooks import notebook_settings, read_notebook
from ..sources.support import needs_fwbench
from . import ROOT


def tasks(rels: list[str], out_dir: Path, notebooks_dir: Path, root: Path = ROOT) -> list[Task]:
    """One task a notebook: its timeout and exclusivity from its settings, fwbench's wheel for a
    notebook that imports it (as the site publishes it), this checkout's code blocked."""
    package = root / "src" / "fwbench"
    wheel = out_dir / "_wheels" / wheel_name(fwbench_version(package)) if package.is_dir() else None
    out = []
    for rel in rels:
        nb = read_notebook(notebooks_dir / rel)
        settings = notebook_settings(nb)
        wheels = ()
        if wheel is not None and needs_fwbench(nb):
            if not wheel.is_file():
                wheel.parent.mkdir(parents=True, exist_ok=True)
                wheel.write_bytes(build_wheel(package, fwbench_version(package)))
            wheels = (str(wheel),)
        out.append(
            Task(
                src=str(notebooks_dir / rel),
                out=str(out_dir / rel),
                timeout=int(settings.get("timeout", DEFAULT_CELL_TIMEOUT)),
                exclusive=bool(settings.get("exclusive")),
                blocked=(str(root / "src"),),
                wheels=wheels,
            )
        )
    return out


def execute_notebooks(rels: list[str], out_dir: Path, jobs: int = 2, notebooks_dir: Path | None = None) -> None:
    execute_into(tasks(rels, Path(out_dir), Path(notebooks_dir or ROOT / "notebooks")), jobs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    execute_notebooks(args.notebooks, Path(args.out), args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
