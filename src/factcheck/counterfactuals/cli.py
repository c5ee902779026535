"""``python -m factcheck counterfactuals`` (``make counterfactuals``): run what is missing or
stale, one notebook at a time (its counterfactuals in parallel), each notebook's results written
as soon as they are judged, so a stopped run resumes where it stopped.

    python -m factcheck counterfactuals                  # everything missing or stale
    python -m factcheck counterfactuals --shard 2/4      # a CI shard (by notebook)
    python -m factcheck counterfactuals --claim ID       # one claim's (with --force: again)
    python -m factcheck counterfactuals --list           # what would run
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..run.cache import code_hash
from ..run.executor import select_shard
from ..sources.notebooks import read_notebook
from ..sources.registry import load_registry
from . import results
from .runner import current, items_by_notebook, run_notebook

OUT_DIR = Path("data") / "counterfactuals"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="factcheck counterfactuals", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: current folder)")
    parser.add_argument("--shard", help="run shard i of n (by notebook), e.g. 1/4")
    parser.add_argument("--claim", help="only this claim's counterfactuals")
    parser.add_argument("--jobs", type=int, default=2, help="counterfactuals run in parallel (default 2)")
    parser.add_argument("--force", action="store_true", help="run even what is current")
    parser.add_argument("--list", action="store_true", help="print what would run, run nothing")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    out_dir = root / OUT_DIR
    registry = load_registry(root / "claims", root / "notebooks")
    planned = items_by_notebook(registry, args.claim)
    todo = []
    for rel in select_shard(sorted(planned), args.shard):
        items = planned[rel]
        recorded = results.read(out_dir, rel)
        notebook_hash = code_hash(read_notebook(root / "notebooks" / rel))
        if args.force or not current(recorded, items, notebook_hash):
            todo.append(rel)
    if args.list:
        for rel in todo:
            print(f"{rel}: {len(planned[rel])} counterfactuals")
        return 0
    for rel in todo:
        items = planned[rel]
        print(f"[counterfactuals] {rel}: {len(items)} to run", flush=True)
        fresh = run_notebook(rel, items, root, args.jobs)
        recorded = results.read(out_dir, rel)
        if args.claim and recorded is not None and recorded.code_hash == fresh.code_hash:
            keep = [r for r in recorded.results if r.claim != args.claim]
            fresh.results = sorted(keep + fresh.results, key=lambda r: (r.claim, r.side, r.index))
        results.write(out_dir, fresh)
        for r in fresh.results:
            where = f" at {r.cell}" if r.cell else ""
            print(f"  {r.claim} ({r.side}) #{r.index}: {r.outcome}{where}: {r.error or ''}"[:200], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
