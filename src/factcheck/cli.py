"""Command line: ``python -m factcheck execute|check``.

execute [--shard i/n] [--jobs N] [--force] [NOTEBOOK ...]   run what the cache lacks
check                                                       registry, pages, hygiene and asserts, no execution
sync [--check]                                              rebuild notebooks' generated cells
drift --latest DIR --run-result FILE                        compare a newest-release run with the pinned one
matrix [...]                                                the version matrix (factcheck/matrix/cli.py)
counterfactuals [...]                                       each claim's evidence seen to fail (counterfactuals/cli.py)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from . import site as pipeline
from .errors import EvidenceError, FactcheckError
from .evidence.checks import source_problems
from .pages.placement import place_claims, scan_pages
from .project import Project
from .sources.datafiles import load_changes
from .sources.notebooks import find_notebooks, outputs_present, read_notebook


def _execute(sources: pipeline.Sources, args) -> int:
    report = pipeline.execute(
        sources, jobs=args.jobs, notebooks=args.notebooks or None, shard=args.shard, force=args.force
    )
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report.as_json(), indent=2) + "\n")
    ran = sum(r.status == "ran" for r in report.results)
    hits = sum(r.status == "hit" for r in report.results)
    failed = report.failures
    print(
        f"[factcheck] {len(report.results)} notebooks: {ran} executed, {hits} from cache, {len(failed)} failed",
        file=sys.stderr,
    )
    if failed:
        print("\nFAILED:\n" + "\n".join(f.message for f in failed), file=sys.stderr)
        return 1
    return 0


def _check(sources: pipeline.Sources, project: Project) -> int:
    place_claims(scan_pages(project.docs_dir), sources.registry)
    weak = source_problems(sources.registry, sources.notebooks)  # asserts that cannot fail, before running
    if weak:
        raise EvidenceError("\n".join(weak))
    dirty = []
    for path in find_notebooks(project.notebooks_dir):
        cells = outputs_present(read_notebook(path))
        if cells:
            dirty.append(f"notebooks/{project.rel_notebook(path)}: outputs stored in cells {[c + 1 for c in cells]}")
    if dirty:
        raise FactcheckError("notebooks must be stored without outputs (run nbstripout):\n" + "\n".join(dirty))
    # Every verdict is the one the changes log last records (a changed verdict needs an entry).
    changes = project.root / "data" / "changes.yaml"
    if changes.is_file():
        load_changes(changes, sources.registry)
    # Every difference across releases is declared history or not checkable, never unexplained.
    from .reports.history import release_problems
    from .reports.releases import Matrix, current_hashes

    matrix = Matrix.load(project.root / "data" / "version-matrix")
    unexplained = release_problems(sources.registry, matrix, current_hashes(sources.notebooks))
    if unexplained:
        raise EvidenceError(
            "the version matrix shows changes no declared history explains (declare the era under the claim's "
            "'history', or fix the cell if the difference is our evidence's):\n" + "\n".join(unexplained)
        )
    print(f"[factcheck] {len(sources.registry)} claims, pages and notebooks are consistent", file=sys.stderr)
    return 0


def _drift(sources: pipeline.Sources, project: Project, args) -> int:
    from .reports.drift import RunTree, drift_report, write_report

    report = drift_report(
        sources.registry,
        RunTree.load(project.executed_dir),
        RunTree.load(args.latest, args.run_result),
        dt.date.today().isoformat(),
    )
    md, js = write_report(report, args.out)
    c = report["counts"]
    print(
        f"[factcheck] drift: {c['fails']} fail, {c['changed']} changed, {c['same']} same -> {md}, {js}", file=sys.stderr
    )
    return 0


def _sync(project: Project, args) -> int:
    """Rebuild the generated cells of every notebook (support.py); --check only reports."""
    from .sources.support import sync_notebooks

    out_of_date = [f"notebooks/{rel}" for rel in sync_notebooks(project, check=args.check)]
    verb = "out of date" if args.check else "rewritten"
    print(f"[factcheck] generated cells {verb}: {', '.join(out_of_date) or 'none'}", file=sys.stderr)
    return 1 if args.check and out_of_date else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["matrix"]:  # its own options: python -m factcheck matrix --help
        from .matrix.cli import main as matrix_main

        return matrix_main(argv[1:])
    if argv[:1] == ["counterfactuals"]:
        from .counterfactuals.cli import main as counterfactuals_main

        return counterfactuals_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="factcheck", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: current folder)")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="execute notebooks the cache lacks")
    ex.add_argument("notebooks", nargs="*", help="paths relative to notebooks/ (default: all)")
    ex.add_argument("--shard", help="run shard i of n, e.g. 1/3")
    ex.add_argument("--jobs", type=int, default=2, help="notebooks run in parallel (default 2)")
    ex.add_argument("--force", action="store_true", help="ignore the cache")
    ex.add_argument("--cache-dir", type=Path, help="cache folder (default .cache/factcheck)")
    ex.add_argument("--executed-dir", type=Path, help="where executed copies go (default build/executed)")
    ex.add_argument("--report", type=Path, help="also write the run report (JSON) here")
    sub.add_parser("check", help="check registry, pages and notebook hygiene without executing")
    sy = sub.add_parser("sync", help="rebuild each notebook's generated cells (Colab setup, helpers, data)")
    sy.add_argument("--check", action="store_true", help="only report notebooks whose generated cells are stale")
    dr = sub.add_parser("drift", help="compare a run on the newest releases with the pinned run")
    dr.add_argument("--latest", type=Path, required=True, help="executed folder of the newest-release run")
    dr.add_argument("--run-result", type=Path, required=True, help="that run's result, in the version matrix's format")
    dr.add_argument("--out", type=Path, default=Path("build/drift"), help="where drift.md and drift.json go")
    args = parser.parse_args(argv)
    overrides = {k: getattr(args, k) for k in ("cache_dir", "executed_dir") if getattr(args, k, None)}
    project = Project.at(args.root, **overrides)
    if args.command == "sync":  # runs before the engine's hygiene checks, which it repairs
        return _sync(project, args)
    try:
        sources = pipeline.load(project)
        if args.command == "execute":
            args.notebooks = [n.removeprefix("notebooks/") for n in args.notebooks]
            return _execute(sources, args)
        if args.command == "drift":
            return _drift(sources, project, args)
        return _check(sources, project)
    except FactcheckError as exc:
        print(f"[factcheck] {type(exc).__name__}:\n{exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
