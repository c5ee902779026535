"""``python -m factcheck matrix``: the version matrix's runs (``make matrix``).

python -m factcheck matrix                       # every missing run, oldest first
python -m factcheck matrix --framework torch --version 2.3
python -m factcheck matrix --list                # the plan, and which runs exist
python -m factcheck matrix --refresh             # re-execute notebooks changed since each run
python -m factcheck matrix --reclassify          # judge committed results again, no execution
python -m factcheck matrix --newest RESULT       # the drift run (make test-latest)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from ..judging.results import read_result, stale_notebooks, write_result
from . import CACHE, ENVS, OUT_DIR, ROOT, say
from .discovery import FRAMEWORKS, fetch_json, plan
from .pip import DiskFullError
from .run import Run, notebook_state, reclassify


def newest_run(runs, pypi, target: Path, keep_executed: Path | None) -> int:
    """The drift run: the newest torch release, TensorFlow at its newest (see ``Run``)."""
    fw, minor, version = [r for r in runs if r[0] == "torch"][-1]
    run = Run(fw, minor, version, pypi, target.parent, newest=True, keep_executed=keep_executed)
    run.name = "newest"
    run.env_dir = ENVS / "newest"
    run.python = run.env_dir / "bin" / "python"
    result = run.execute()
    write_result(result, target)
    c = result.counts()
    say(
        "newest",
        f"{result.status}: {c['holds']} holds, {c['fails']} fails, {c['could-not-run']} could not run -> {target}",
    )
    return 0 if result.status == "complete" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="factcheck matrix", description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=sorted(FRAMEWORKS))
    parser.add_argument("--version", help="a minor release (2.3); with --framework")
    parser.add_argument("--force", action="store_true", help="redo runs whose result file exists")
    parser.add_argument("--list", action="store_true", help="print the plan and which results exist")
    parser.add_argument(
        "--github-matrix", action="store_true", help="print the runs to do as a GitHub Actions job matrix (JSON)"
    )
    parser.add_argument(
        "--reclassify",
        action="store_true",
        help="judge existing result files again from their recorded cell errors (no execution)",
    )
    parser.add_argument("--out-dir", default=str(OUT_DIR))
    parser.add_argument(
        "--newest",
        metavar="RESULT",
        help="the drift run: both frameworks at their newest releases; write its result to RESULT",
    )
    parser.add_argument("--keep-executed", help="with --newest: keep the executed notebooks in this folder")
    parser.add_argument("--max-runs", type=int, default=0, help="stop after this many runs (0: all)")
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="re-execute only the notebooks changed since each existing run, with the run's recorded packages",
    )
    parser.add_argument(
        "--notebook",
        action="append",
        default=[],
        metavar="REL",
        help="with --refresh: re-execute this notebook too, though unchanged (a measurement that shared the"
        " machine with another run); repeatable",
    )
    args = parser.parse_args(argv)

    out_dir = Path(args.out_dir)
    if args.reclassify:
        return reclassify(out_dir, args.framework, args.version)
    pypi = {p: fetch_json(p) for p in ("torch", "torchvision", "tensorflow-cpu", "keras")}
    runs = plan(pypi)
    if args.newest:
        return newest_run(runs, pypi, Path(args.newest), Path(args.keep_executed) if args.keep_executed else None)
    if args.framework:
        runs = [r for r in runs if r[0] == args.framework]
    if args.version:
        wanted = ".".join(args.version.split(".")[:2])
        runs = [r for r in runs if r[1] == wanted]
        if not runs:
            print(f"no {args.framework or ''} minor release {wanted} with Python 3.11 wheels", file=sys.stderr)
            return 2
    if args.github_matrix:
        print(json.dumps({"include": github_jobs(runs, out_dir, args.force)}))
        return 0
    if args.list:
        for fw, minor, version in runs:
            existing = read_result(out_dir / f"{fw}-{minor}.json")
            state = f"done ({existing.date}, {existing.status})" if existing else "missing"
            print(f"{fw:11} {minor:6} {version:8} {state}")
        return 0
    # One runner at a time (the runs take both cores and most of the disk); then clear what a
    # stopped runner left (its environment; executed copies live in a temporary folder).
    import fcntl

    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "matrix.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("another matrix runner is running here (.cache/matrix.lock): one at a time", file=sys.stderr)
            return 3
        shutil.rmtree(ENVS, ignore_errors=True)
        if args.refresh:
            return _refresh_all(runs, out_dir, pypi, args)
        return _run_all(runs, out_dir, pypi, args)


def _run_all(runs, out_dir: Path, pypi, args) -> int:
    done = 0
    for fw, minor, version in runs:
        target = out_dir / f"{fw}-{minor}.json"
        if read_result(target) is not None and not args.force:
            say(
                f"{fw}-{minor}",
                f"skipped: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target} exists",
            )
            continue
        run = Run(fw, minor, version, pypi, out_dir)
        before = read_result(target)
        try:
            result = run.execute()
        except DiskFullError as exc:  # the machine's limit: the run's file stays as it was
            say(run.name, f"stopped, nothing written: {exc}")
            return 1
        write_result(result, target)
        _propose(before, result)
        say(run.name, f"{result.status}: {_counts(result)} in {result.wall['total']:.0f} s -> {target}")
        done += 1
        if args.max_runs and done >= args.max_runs:
            break
    return 0


PROPOSED = ROOT / "build" / "proposed-changes.yaml"


def _propose(before, after) -> None:
    """Entries for data/changes.yaml where the run moved an outcome, appended to
    build/proposed-changes.yaml for a person to review (a changed verdict without an entry fails
    the build)."""
    import datetime as dt

    from ..reports.releases import proposed_changes

    entries = proposed_changes(before, after, dt.date.today().isoformat())
    if entries:
        PROPOSED.parent.mkdir(parents=True, exist_ok=True)
        with PROPOSED.open("a") as out:
            out.write("".join(entries))
        say(after.name, f"{len(entries)} outcomes moved: proposed entries in {PROPOSED.relative_to(ROOT)}")


def _counts(result) -> str:
    c = result.counts()
    return (
        f"{c['holds']} holds, {c['fails']} fails, {c['could-not-run']} could not run (decided {c['decided_share']:.0%})"
    )


def current_hashes() -> dict[str, str]:
    """Every evidence notebook -> the hash of its code cells now (what a run records)."""
    return notebook_state()[2]


def github_jobs(runs, out_dir: Path, force: bool) -> list[dict]:
    """The workflow's jobs: ``mode: run`` for each release without a result (every release with
    ``force``), ``mode: refresh`` for each complete run whose notebooks changed since it ran."""
    hashes, jobs = None, []
    for fw, minor, version in runs:
        job = {"framework": fw, "version": minor, "release": version}
        existing = None if force else read_result(out_dir / f"{fw}-{minor}.json")
        if existing is None:
            jobs.append(dict(job, mode="run"))
            continue
        hashes = hashes if hashes is not None else current_hashes()
        if existing.status == "complete" and existing.environment and stale_notebooks(existing, hashes):
            jobs.append(dict(job, mode="refresh"))
    return jobs


def _refresh_all(runs, out_dir: Path, pypi, args) -> int:
    """``--refresh``: each existing, complete run whose notebooks changed since it ran."""
    hashes = current_hashes()
    done = 0
    for fw, minor, version in runs:
        target = out_dir / f"{fw}-{minor}.json"
        previous = read_result(target)
        if previous is None or previous.status != "complete" or previous.environment is None:
            say(f"{fw}-{minor}", "no complete run to refresh: `make matrix` makes one")
            continue
        stale = stale_notebooks(previous, hashes)
        again = [rel for rel in args.notebook if rel in previous.notebooks and rel not in stale]
        if not stale and not again:
            say(f"{fw}-{minor}", "current: every notebook is the one that ran")
            continue
        run = Run(fw, minor, version, pypi, out_dir)
        try:
            result = run.refresh(previous, stale, again)
        except (RuntimeError, DiskFullError) as exc:  # the run's file stays as it was
            say(run.name, f"not refreshed: {exc}")
            continue
        write_result(result, target)
        _propose(previous, result)
        say(run.name, f"refreshed {len(stale + again)} notebooks: {_counts(result)} in {result.wall['refresh']:.0f} s")
        done += 1
        if args.max_runs and done >= args.max_runs:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
