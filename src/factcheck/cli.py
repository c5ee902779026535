"""Command line: ``python -m factcheck execute|check``.

execute [--shard i/n] [--jobs N] [--force] [NOTEBOOK ...]   run what the cache lacks
check                                                       registry, pages and hygiene, no execution
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .engine import Engine
from .errors import FactcheckError
from .notebooks import find_notebooks, outputs_present, read_notebook
from .pages import claim_pages, scan_pages
from .project import Project


def _execute(engine: Engine, args) -> int:
    report = engine.executor.run(notebooks=args.notebooks or None, shard=args.shard, force=args.force)
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


def _check(engine: Engine, project: Project) -> int:
    claim_pages(scan_pages(project.docs_dir), engine.registry)
    dirty = []
    for path in find_notebooks(project.notebooks_dir):
        cells = outputs_present(read_notebook(path))
        if cells:
            dirty.append(f"notebooks/{project.rel_notebook(path)}: outputs stored in cells {[c + 1 for c in cells]}")
    if dirty:
        raise FactcheckError("notebooks must be stored without outputs (run nbstripout):\n" + "\n".join(dirty))
    print(f"[factcheck] {len(engine.registry)} claims, pages and notebooks are consistent", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
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
    sub.add_parser("check", help="check registry, pages and notebook hygiene without executing")
    args = parser.parse_args(argv)
    project = Project.at(args.root)
    try:
        engine = Engine(project, jobs=getattr(args, "jobs", 2))
        if args.command == "execute":
            args.notebooks = [n.removeprefix("notebooks/") for n in args.notebooks]
            return _execute(engine, args)
        return _check(engine, project)
    except FactcheckError as exc:
        print(f"[factcheck] {type(exc).__name__}:\n{exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
