"""Where notebooks are executed: ``execute_notebook``, the one function every run calls.

It runs a notebook in a fresh kernel under a reader's conditions (sandbox.py: alone in an empty
folder, offline, this repository unimportable) and says how the run ended as an ``Outcome``.
Three callers decide what an error means:

- the build (``Executor``, below): runs what the cache lacks, in parallel; an error stops the
  build, reported as a ``Failure`` naming the notebook, the cell and the claims on it; a success is
  scrubbed (sanitize.py), cached (cache.py) and published to the executed tree with its
  "verified with" banner (publish/banner.py), written there once;
- the version matrix (``execute_into``, in each release's environment) lets every cell run and
  records the errors for judging/classify.py;
- the counterfactual runs do the same with one cell injected.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ExecutionError
from ..project import Project
from ..sources.notebooks import SourceNotebook, cell_tags, load_notebooks, read_notebook
from ..vocabulary import CELL_ERROR, KERNEL_DIED, NOT_EXECUTED, NOT_STARTED, RAN, RUN_ENDINGS, TIMEOUT
from .cache import CacheEntry, MissingDependencyError, environment_fingerprint, notebook_key
from .sandbox import CONDITIONS, Sandbox
from .sanitize import machine_paths, sanitize_outputs
from .versions import machine_record, version_record

DEFAULT_CELL_TIMEOUT = 300  # seconds per cell; a notebook may set metadata.factcheck.timeout
INJECTED_TAG = "injected"  # a cell a run added (a counterfactual's code)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Outcome:
    """How one execution ended."""

    status: str  # RAN, CELL_ERROR (errors not allowed), TIMEOUT, KERNEL_DIED or NOT_STARTED
    seconds: float
    cell: int | None = None  # 0-based index of the last cell started: where a stopped run stopped
    error: str | None = None  # one line: the error, the timeout, the crash

    @property
    def ok(self) -> bool:
        return self.status == RAN


def _short_error(ename: str, evalue: str, traceback: str = "") -> str:
    text = f"{ename}: {evalue}".strip()
    if not evalue and traceback:
        text = _ANSI.sub("", traceback).strip().splitlines()[-1]
    return text if len(text) < 600 else text[:600] + " ..."


def _crash_hint(nb) -> str:
    """Point at the usual culprit when a notebook loads both frameworks."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if "import torch" in code and ("import tensorflow" in code or "import keras" in code):
        return (
            "; this notebook loads both frameworks: import torch, torchvision and torch._inductor"
            " before tensorflow (see CONTRIBUTING.md)"
        )
    return ""


def execute_notebook(nb, sandbox: Sandbox, timeout: int = DEFAULT_CELL_TIMEOUT, allow_errors: bool = False) -> Outcome:
    """Execute ``nb`` (an nbformat notebook, changed in place) top to bottom in a fresh python3
    kernel started in ``sandbox`` (entered). With ``allow_errors`` every cell runs and errors stay
    in the outputs; without, the first error stops the run (``CELL_ERROR``)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    current: dict[str, int | None] = {"index": None}

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(sandbox.cwd)}},
        record_timing=True,
        allow_errors=allow_errors,
        on_cell_start=on_cell_start,
    )
    started = time.perf_counter()
    status, error = RAN, None
    try:
        client.execute(env=sandbox.env)
    except CellExecutionError as exc:
        status, error = CELL_ERROR, _short_error(exc.ename, exc.evalue, exc.traceback)
    except CellTimeoutError:
        status, error = TIMEOUT, f"no result within {timeout} s (cell timeout)"
    except DeadKernelError as exc:
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        status, error = KERNEL_DIED, f"the kernel died (a segfault, abort or out-of-memory kill){_crash_hint(nb)}"
        error += f": {first}" if first else ""
    except Exception as exc:  # noqa: BLE001 (the kernel did not start, or vanished)
        status = NOT_STARTED if current["index"] is None else KERNEL_DIED
        error = _short_error(type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
    return Outcome(status, time.perf_counter() - started, current["index"], error)


# -- runs that record errors (the version matrix, counterfactuals) -------------------------------


@dataclass(frozen=True)
class Task:
    """One notebook to execute with errors allowed, and where its executed copy goes (plain data:
    it crosses a process boundary). ``stop_after``: keep the cells up to this 0-based position
    only; ``inject``: (0-based position, code) cells added then."""

    src: str
    out: str
    timeout: int = DEFAULT_CELL_TIMEOUT
    exclusive: bool = False
    blocked: tuple[str, ...] = ()
    wheels: tuple[str, ...] = ()
    stop_after: int | None = None
    inject: tuple[tuple[int, str], ...] = ()


def _quiet_worker() -> None:
    """A worker process's kernels inherit its stderr: TensorFlow's native logs would flood the
    build's log (they never reach the notebook either way)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)


def _run_task(task: Task) -> Outcome:
    import nbformat

    _quiet_worker()
    nb = read_notebook(Path(task.src))
    if task.stop_after is not None:
        nb.cells = nb.cells[: task.stop_after + 1]
    for position, code in sorted(task.inject, reverse=True):
        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["tags"] = [INJECTED_TAG]
        nb.cells.insert(position, cell)
    with Sandbox([Path(p) for p in task.blocked], [Path(w) for w in task.wheels]) as sandbox:
        outcome = execute_notebook(nb, sandbox, task.timeout, allow_errors=True)
    out = Path(task.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    out.with_suffix(".outcome.json").write_text(json.dumps(asdict(outcome)))
    return outcome


def execute_into(tasks: Iterable[Task], jobs: int = 2, progress: Callable[[str], None] | None = None) -> dict:
    """Run ``tasks`` (``jobs`` at a time; exclusive ones alone, after), each executed copy written
    to its ``out`` with ``<out>.outcome.json`` beside it. Returns {out: Outcome}."""
    progress = progress or (lambda line: print(line, flush=True))
    tasks = list(tasks)
    shared, alone = [t for t in tasks if not t.exclusive], [t for t in tasks if t.exclusive]
    outcomes = {}
    for group, width in ((shared, jobs), (alone, 1)):
        if not group:
            continue
        with ProcessPoolExecutor(max_workers=max(1, min(width, len(group)))) as pool:
            futures = [(task, pool.submit(_run_task, task)) for task in group]
            for task, future in futures:
                try:
                    outcome = future.result()
                except Exception as exc:  # noqa: BLE001 (the worker process itself died)
                    outcome = Outcome(NOT_STARTED, 0.0, None, f"{type(exc).__name__}: {exc}"[:300])
                outcomes[task.out] = outcome
                progress(f"  {Path(task.src).name}: {outcome.status} in {outcome.seconds:.1f} s")
    return outcomes


# -- the build: behind the cache, errors stop it ------------------------------------------------


@dataclass
class Failure:
    notebook: str
    kind: str  # how the run ended (vocabulary.RUN_ENDINGS)
    cell: int | None  # 1-based position among all cells
    claims: list[str]
    error: str

    @property
    def message(self) -> str:
        where = f"cell {self.cell}" if self.cell else "before the first cell"
        claims = ", ".join(self.claims) if self.claims else "none (setup cell)"
        return f"notebooks/{self.notebook}: {where} {RUN_ENDINGS[self.kind]} (claims: {claims}): {self.error}"


@dataclass
class NotebookRun:
    """One notebook in a build: from the cache ("hit"), executed ("ran") or not ("failed")."""

    notebook: str
    status: str  # "hit" | "ran" | "failed"
    seconds: float
    key: str
    record: dict | None = None
    failure: Failure | None = None


@dataclass
class RunReport:
    results: list[NotebookRun] = field(default_factory=list)

    @property
    def failures(self) -> list[Failure]:
        return [r.failure for r in self.results if r.failure]

    @property
    def records(self) -> dict[str, dict]:
        """notebook -> its execution record, for every notebook published."""
        return {r.notebook: r.record for r in self.results if r.record is not None}

    def raise_for_failures(self) -> None:
        if self.failures:
            raise ExecutionError(self.failures)

    def as_json(self) -> dict:
        return {"results": [asdict(r) for r in self.results]}


@dataclass(frozen=True)
class Job:
    """One notebook for the build to run in a worker process (plain data)."""

    rel: str
    key: str
    src: str
    root: str
    cache_dir: str
    failed_path: str
    timeout: int
    exclusive: bool  # benchmarks run alone, so no other kernel shares the cores
    wheel: str | None  # fwbench's wheel, for a notebook that imports it


def _execute(job: Job) -> Outcome:
    """Run one notebook of the build (in a worker process); cache it when it passed."""
    import nbformat

    _quiet_worker()
    nb = read_notebook(Path(job.src))
    root = Path(job.root)
    with Sandbox([root / "src"], [Path(job.wheel)] if job.wheel else []) as sandbox:
        outcome = execute_notebook(nb, sandbox, job.timeout)
    if not outcome.ok:
        failed = Path(job.failed_path)
        failed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, failed)
        return outcome
    sanitize_outputs(nb, machine_paths(root))
    CacheEntry(Path(job.cache_dir), job.key).store_notebook(nb)
    return outcome


# A published notebook's banner: (notebook, its record) -> Markdown; None publishes none.
Banner = Callable[[str, dict], str] | None


class Executor:
    """Executes a project's notebooks; ``run()`` returns a ``RunReport``."""

    def __init__(
        self,
        project: Project,
        registry=None,
        jobs: int = 2,
        timeout: int = DEFAULT_CELL_TIMEOUT,
        progress: Callable[[str], None] | None = None,
        sources: dict[str, SourceNotebook] | None = None,
        banner: Banner = None,
    ):
        self.project = project
        self.registry = registry
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.progress = progress or (lambda line: print(line, file=sys.stderr, flush=True))
        self.sources = sources if sources is not None else load_notebooks(project.notebooks_dir)
        self.fingerprint = environment_fingerprint(project.lock_file)
        self.banner = banner

    def all_notebooks(self) -> list[str]:
        return sorted(self.sources)

    def _claims(self, rel: str, cell_index: int | None) -> list[str]:
        if self.registry is None:
            return []
        if cell_index is None:
            return self.registry.claims_for_notebook(rel)
        tags = cell_tags(self.sources[rel].nb.cells[cell_index])
        direct = self.registry.claims_for_cell(rel, tags)
        # An untagged setup cell takes every claim of its notebook down with it.
        return direct or self.registry.claims_for_notebook(rel)

    def _entry(self, key: str) -> CacheEntry:
        return CacheEntry(self.project.cache_dir, key)

    def _publish(self, rel: str, key: str, seconds: float, status: str) -> NotebookRun:
        """Copy the cached execution into the executed tree, with its banner, and its record."""
        entry = self._entry(key)
        if status == "ran":
            record = {
                "notebook": f"notebooks/{rel}",
                "key": key,
                "executed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "seconds": round(seconds, 2),
                "versions": version_record(),
                "machine": machine_record(),
                "conditions": CONDITIONS,
            }
            entry.store_record(record)
        else:
            record = entry.record()
        target = self.project.executed_notebook(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = entry.notebook.read_bytes()
        if self.banner is not None:
            import nbformat

            from ..publish.banner import with_banner

            nb = with_banner(nbformat.reads(data.decode("utf-8"), as_version=4), self.banner(rel, record))
            data = (nbformat.writes(nb) + "\n").encode("utf-8")
        if not target.exists() or target.read_bytes() != data:  # unchanged bytes: page caches hit
            target.write_bytes(data)
        self.project.record_path(rel).write_text(json.dumps(record, indent=2) + "\n")
        return NotebookRun(rel, status, seconds, key, record=record)

    def _wheel(self) -> str | None:
        """fwbench's wheel as the site publishes it (built once per key of its sources)."""
        from ..publish.wheel import build_wheel, fwbench_version, wheel_name

        package = self.project.fwbench_dir
        if not package.is_dir():
            return None
        version = fwbench_version(package)
        path = self.project.cache_dir / "wheels" / wheel_name(version)
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(build_wheel(package, version))
        return str(path)

    def run(
        self, notebooks: list[str] | None = None, shard: str | None = None, force: bool = False, run: bool = True
    ) -> RunReport:
        """Publish every notebook: from the cache, or executed now. ``run=False`` executes
        nothing: a notebook the cache lacks is a failure."""
        from ..sources.support import needs_fwbench

        rels = select_shard(notebooks if notebooks is not None else self.all_notebooks(), shard)
        report = RunReport()
        pending: list[Job] = []
        for rel in rels:
            source = self.sources.get(rel) or SourceNotebook.read(
                self.project.notebooks_dir, self.project.notebooks_dir / rel
            )
            try:
                key = notebook_key(source, self.project.root, self.fingerprint)
            except MissingDependencyError as exc:
                raise ExecutionError([Failure(rel, CELL_ERROR, None, [], str(exc))]) from None
            if self._entry(key).exists() and not force:
                report.results.append(self._publish(rel, key, 0.0, "hit"))
                self.progress(f"[factcheck] {rel}: cache hit")
                continue
            if not run:
                why = "not executed: the cache lacks this revision (run `make execute`)"
                failure = Failure(rel, NOT_EXECUTED, None, self._claims(rel, None), why)
                report.results.append(NotebookRun(rel, "failed", 0.0, key, failure=failure))
                continue
            settings = source.settings
            pending.append(
                Job(
                    rel=rel,
                    key=key,
                    src=str(source.path),
                    root=str(self.project.root),
                    cache_dir=str(self.project.cache_dir),
                    failed_path=str(self.project.failed_notebook(rel)),
                    timeout=int(settings.get("timeout", self.timeout)),
                    exclusive=bool(settings.get("exclusive", False)),
                    wheel=self._wheel() if needs_fwbench(source.nb) else None,
                )
            )
        if pending:
            self.project.cache_dir.mkdir(parents=True, exist_ok=True)
            self._run_batch([j for j in pending if not j.exclusive], self.jobs, report)
            self._run_batch([j for j in pending if j.exclusive], 1, report)
        order = {rel: i for i, rel in enumerate(rels)}
        report.results.sort(key=lambda r: order[r.notebook])
        return report

    def _run_batch(self, jobs: list[Job], workers: int, report: RunReport) -> None:
        if not jobs:
            return
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            futures = [(job, pool.submit(_execute, job)) for job in jobs]
            for job, future in futures:
                try:
                    outcome = future.result()
                except Exception as exc:  # noqa: BLE001 (the worker process itself died)
                    outcome = Outcome(KERNEL_DIED, 0.0, None, repr(exc))
                if not outcome.ok:
                    cell = outcome.cell
                    failure = Failure(
                        job.rel,
                        outcome.status,
                        None if cell is None else cell + 1,
                        self._claims(job.rel, cell),
                        outcome.error or "",
                    )
                    self.progress(f"[factcheck] {job.rel}: FAILED after {outcome.seconds:.1f} s: {failure.message}")
                    report.results.append(NotebookRun(job.rel, "failed", outcome.seconds, job.key, failure=failure))
                else:
                    report.results.append(self._publish(job.rel, job.key, outcome.seconds, "ran"))
                    self.progress(f"[factcheck] {job.rel}: cache miss, executed in {outcome.seconds:.1f} s")


def select_shard(notebooks: list[str], shard: str | None) -> list[str]:
    """``shard='2/3'`` keeps every third notebook starting from the second (1-based)."""
    if not shard:
        return notebooks
    m = re.fullmatch(r"(\d+)/(\d+)", shard)
    if not m or not (1 <= int(m[1]) <= int(m[2])):
        raise ValueError(f"--shard must look like i/n with 1 <= i <= n, not {shard!r}")
    i, n = int(m[1]), int(m[2])
    return [nb for k, nb in enumerate(sorted(notebooks)) if k % n == i - 1]
