"""Execute notebooks with nbclient, in parallel, behind the cache (cache.py).

Each notebook to run becomes a ``Job``; a worker process runs it in a fresh kernel and returns an
``Outcome``. Failures come back as data (``Failure``), one per notebook, naming the cell and the
claims that rest on it; the caller decides to stop the build. A successful run is scrubbed
(sanitize.py), stored in the cache and published to the executed tree (project.py's layout).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ExecutionError
from ..project import Project
from ..sources.notebooks import SourceNotebook, cell_tags, load_notebooks, read_notebook
from .cache import CacheEntry, MissingDependencyError, environment_fingerprint, notebook_key
from .sanitize import machine_paths, sanitize_outputs
from .versions import machine_record, version_record

DEFAULT_CELL_TIMEOUT = 300  # seconds per cell; a notebook may set metadata.factcheck.timeout

# What the kernel inherits: quiet TensorFlow logs, fixed hashing, no GPU probing noise.
KERNEL_ENV = {
    "PYTHONHASHSEED": "0",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
FAILURE_KINDS = {
    "error": "raised",
    "timeout": "timed out",
    "dead-kernel": "killed its kernel",
    "kernel-start": "could not start a kernel",
}


@dataclass
class Failure:
    notebook: str
    kind: str  # a key of FAILURE_KINDS
    cell: int | None  # 1-based position among all cells
    claims: list[str]
    error: str

    @property
    def message(self) -> str:
        where = f"cell {self.cell}" if self.cell else "before the first cell"
        claims = ", ".join(self.claims) if self.claims else "none (setup cell)"
        return f"notebooks/{self.notebook}: {where} {FAILURE_KINDS[self.kind]} (claims: {claims}): {self.error}"


@dataclass
class RunResult:
    notebook: str
    status: str  # "hit" | "ran" | "failed"
    seconds: float
    key: str
    record: dict | None = None
    failure: Failure | None = None


@dataclass
class RunReport:
    results: list[RunResult] = field(default_factory=list)

    @property
    def failures(self) -> list[Failure]:
        return [r.failure for r in self.results if r.failure]

    def raise_for_failures(self) -> None:
        if self.failures:
            raise ExecutionError(self.failures)

    def as_json(self) -> dict:
        return {"results": [asdict(r) for r in self.results]}


@dataclass(frozen=True)
class Job:
    """One notebook to run in a worker process (plain data: it crosses a process boundary)."""

    rel: str
    key: str
    src: str
    root: str
    cache_dir: str
    failed_path: str
    timeout: int
    exclusive: bool  # benchmarks run alone, so no other kernel shares the cores


@dataclass(frozen=True)
class Outcome:
    seconds: float
    cell: int | None  # 0-based index of the last cell started
    failure: tuple[str, str] | None = None  # (kind, error)


def select_shard(notebooks: list[str], shard: str | None) -> list[str]:
    """``shard='2/3'`` keeps every third notebook starting from the second (1-based)."""
    if not shard:
        return notebooks
    m = re.fullmatch(r"(\d+)/(\d+)", shard)
    if not m or not (1 <= int(m[1]) <= int(m[2])):
        raise ValueError(f"--shard must look like i/n with 1 <= i <= n, not {shard!r}")
    i, n = int(m[1]), int(m[2])
    return [nb for k, nb in enumerate(sorted(notebooks)) if k % n == i - 1]


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


def _execute(job: Job) -> Outcome:
    """Run one notebook in a fresh kernel (called in a worker process)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    os.environ.update(KERNEL_ENV)
    # The kernel inherits this worker's stderr; TensorFlow's native logs would flood the build log.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    src = Path(job.src)
    nb = read_notebook(src)
    current: dict[str, int | None] = {"index": None}

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        timeout=job.timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(src.parent)}},
        record_timing=True,
        allow_errors=False,
        on_cell_start=on_cell_start,
    )
    started = time.perf_counter()
    failure = None
    try:
        client.execute()
    except CellExecutionError as exc:
        failure = ("error", _short_error(exc.ename, exc.evalue, exc.traceback))
    except CellTimeoutError:
        failure = ("timeout", f"no result within {job.timeout} s (cell timeout)")
    except DeadKernelError:
        failure = ("dead-kernel", "the kernel died (a segfault, abort or out-of-memory kill)" + _crash_hint(nb))
    except RuntimeError as exc:
        kind = "kernel-start" if current["index"] is None else "dead-kernel"
        failure = (kind, _short_error(type(exc).__name__, str(exc)))
    outcome = Outcome(time.perf_counter() - started, current["index"], failure)
    if failure:
        failed = Path(job.failed_path)
        failed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, failed)
        return outcome
    sanitize_outputs(nb, machine_paths(Path(job.root)))
    CacheEntry(Path(job.cache_dir), job.key).store_notebook(nb)
    return outcome


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
    ):
        self.project = project
        self.registry = registry
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.progress = progress or (lambda line: print(line, file=sys.stderr, flush=True))
        self.sources = sources if sources is not None else load_notebooks(project.notebooks_dir)
        self.fingerprint = environment_fingerprint(project.lock_file)

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

    def _publish(self, rel: str, key: str, seconds: float, status: str) -> RunResult:
        """Copy the cached execution into the executed tree and return its record."""
        entry = self._entry(key)
        if status == "ran":
            record = {
                "notebook": f"notebooks/{rel}",
                "key": key,
                "executed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "seconds": round(seconds, 2),
                "versions": version_record(),
                "machine": machine_record(),
            }
            entry.store_record(record)
        else:
            record = entry.record()
        target = self.project.executed_notebook(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != entry.notebook.read_bytes():
            shutil.copyfile(entry.notebook, target)
        self.project.record_path(rel).write_text(json.dumps(record, indent=2) + "\n")
        return RunResult(rel, status, seconds, key, record=record)

    def run(self, notebooks: list[str] | None = None, shard: str | None = None, force: bool = False) -> RunReport:
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
                raise ExecutionError([Failure(rel, "error", None, [], str(exc))]) from None
            if self._entry(key).exists() and not force:
                report.results.append(self._publish(rel, key, 0.0, "hit"))
                self.progress(f"[factcheck] {rel}: cache hit")
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
                except Exception as exc:  # the worker process itself died
                    outcome = Outcome(0.0, None, ("dead-kernel", repr(exc)))
                if outcome.failure:
                    kind, error = outcome.failure
                    cell = outcome.cell
                    failure = Failure(
                        job.rel, kind, None if cell is None else cell + 1, self._claims(job.rel, cell), error
                    )
                    self.progress(f"[factcheck] {job.rel}: FAILED after {outcome.seconds:.1f} s: {failure.message}")
                    report.results.append(RunResult(job.rel, "failed", outcome.seconds, job.key, failure=failure))
                else:
                    report.results.append(self._publish(job.rel, job.key, outcome.seconds, "ran"))
                    self.progress(f"[factcheck] {job.rel}: cache miss, executed in {outcome.seconds:.1f} s")
