"""Execute notebooks with nbclient, in parallel, behind a cache.

The cache key covers what can change a notebook's outputs: its code cells (source and
tags), its kernelspec, the files it declares in ``metadata.factcheck.depends``, the
locked dependency set and the Python version. Markdown edits therefore re-execute
nothing, and a lock-file change re-executes everything.

Failures come back as data (``Failure``), one per notebook, naming the cell and the
claims that rest on it; the caller decides to stop the build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from .errors import ExecutionError
from .notebooks import cell_tags, find_notebooks, notebook_settings, read_notebook
from .project import Project

DEFAULT_CELL_TIMEOUT = 300  # seconds per cell; a notebook may set metadata.factcheck.timeout
KEY_VERSION = "5"  # bump to invalidate every cache entry after a change to execution itself

# What the kernel inherits: quiet TensorFlow logs, fixed hashing, no GPU probing noise.
KERNEL_ENV = {
    "PYTHONHASHSEED": "0",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Failure:
    notebook: str
    kind: str  # "error" | "timeout" | "dead-kernel" | "kernel-start"
    cell: int | None  # 1-based position among all cells
    claims: list[str]
    error: str

    @property
    def message(self) -> str:
        where = f"cell {self.cell}" if self.cell else "before the first cell"
        claims = ", ".join(self.claims) if self.claims else "none (setup cell)"
        what = {
            "error": "raised",
            "timeout": "timed out",
            "dead-kernel": "killed its kernel",
            "kernel-start": "could not start a kernel",
        }[self.kind]
        return f"notebooks/{self.notebook}: {where} {what} (claims: {claims}): {self.error}"


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


def environment_fingerprint(lock_file: Path) -> str:
    """Hash of the locked dependency set, the packages actually installed, and the Python version.

    The installed set matters when one checkout executes in two environments (the pinned one
    and `make test-latest`'s newest releases): the lock file alone would not tell them apart.
    """
    h = hashlib.sha256()
    h.update(f"python {platform.python_implementation()} {platform.python_version()}\n".encode())
    h.update(Path(lock_file).read_bytes() if Path(lock_file).is_file() else b"<no lock file>")
    installed = sorted(
        f"{d.metadata['Name'].lower()}=={d.version}"
        for d in metadata.distributions()
        if d.metadata["Name"] and d.metadata["Name"].lower() != "factcheck"
    )
    h.update("\n".join(installed).encode())
    return h.hexdigest()


def notebook_key(nb_path: Path, project: Project, env_fingerprint: str) -> str:
    nb = read_notebook(nb_path)
    h = hashlib.sha256()
    h.update(f"factcheck-key {KEY_VERSION}\n{env_fingerprint}\n".encode())
    h.update(json.dumps(nb.metadata.get("kernelspec", {}), sort_keys=True).encode())
    settings = notebook_settings(nb)
    # "measurements" only changes how the drift report reads outputs, not what runs.
    h.update(json.dumps({k: v for k, v in settings.items() if k != "measurements"}, sort_keys=True).encode())
    for cell in nb.cells:
        if cell.cell_type == "code":
            h.update(json.dumps([cell.source, sorted(cell_tags(cell))]).encode())
    # A notebook that imports the repository's benchmark package depends on all of its code.
    from .support import imported_modules

    if "fwbench" in imported_modules("\n".join(c.source for c in nb.cells if c.cell_type == "code")):
        for path in sorted((project.root / "src" / "fwbench").rglob("*.py")):
            h.update(path.relative_to(project.root).as_posix().encode() + b"\0" + path.read_bytes())
    for dep in settings.get("depends", []):
        dep_path = project.root / dep
        if not dep_path.is_file():
            raise ExecutionError(
                [Failure(project.rel_notebook(nb_path), "error", None, [], f"declared dependency {dep} does not exist")]
            )
        h.update(dep.encode() + b"\0" + dep_path.read_bytes())
    return h.hexdigest()[:32]


def machine_record() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.system()}


def _version(*dists: str) -> str | None:
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


EVIDENCE_PACKAGES = (
    "numpy", "torchvision", "keras-hub", "transformers", "jax", "executorch", "litert-torch",
    "ai-edge-litert", "onnxruntime", "onnxscript", "tf2onnx", "scikit-learn", "skorch", "scikeras",
    "tensorboard", "gymnasium",
)  # fmt: skip


def version_record() -> dict:
    """The versions a run used: the two frameworks, Keras, Python and every evidence library."""
    record = {
        "python": platform.python_version(),
        "tensorflow": _version("tensorflow-cpu", "tensorflow"),
        "torch": _version("torch"),
        "keras": _version("keras"),
    }
    record.update({name: _version(name) for name in EVIDENCE_PACKAGES})
    return record


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


_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,16}\b")
_TEMP_NAME = re.compile(r"(\$TMPDIR/)tmp[\w-]{6,}")
_KERNEL_PID = re.compile(r"\bipykernel_\d+\b")  # the kernel's code-cell files live under ipykernel_<pid>
# TensorFlow's C++ log lines (written before Python logging starts): timestamps and thread ids
# that change every run and say nothing about the claims.
_NATIVE_LOG = re.compile(
    r"^(?:[IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\] .*|WARNING: All log messages before absl::InitializeLog\(\).*)\n?",
    re.MULTILINE,
)


def machine_paths(project_root: Path) -> list[tuple[str, str]]:
    """Build-machine paths that must not reach the site, longest first, with their stand-ins."""
    import tempfile

    pairs = {
        str(Path(sys.prefix).resolve()): "$VENV",
        str(Path(sys.base_prefix).resolve()): "$PYTHON_HOME",
        str(Path(project_root).resolve()): "$REPO",
        str(Path(tempfile.gettempdir()).resolve()): "$TMPDIR",
        str(Path.home()): "$HOME",
    }
    return sorted(((k, v) for k, v in pairs.items() if len(k) > 1), key=lambda kv: -len(kv[0]))


def sanitize_text(text: str, paths: list[tuple[str, str]]) -> str:
    for path, stand_in in paths:
        # Only whole path components: "/tmp" must not eat the start of "/tmp_x1y2".
        text = re.sub(re.escape(path) + r"(?![\w.…-])", lambda _m, s=stand_in: s, text)
    text = _TEMP_NAME.sub(r"\1tmp…", text)  # mkdtemp() names differ on every run
    text = _KERNEL_PID.sub("ipykernel_…", text)
    return _ADDRESS.sub("0x…", text)


def sanitize_outputs(nb, paths: list[tuple[str, str]]) -> None:
    """Replace machine paths and memory addresses in text outputs (they vary per machine and run)."""
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        for output in outputs:
            if output.get("name") == "stderr":
                output["text"] = _NATIVE_LOG.sub("", output["text"])
            if "text" in output:
                output["text"] = sanitize_text(output["text"], paths)
            if output.get("output_type") == "error":
                output["traceback"] = [sanitize_text(line, paths) for line in output.get("traceback", [])]
            for mime in ("text/plain", "text/html"):
                if mime in output.get("data", {}):
                    output["data"][mime] = sanitize_text(output["data"][mime], paths)
        if outputs:
            cell["outputs"] = [o for o in outputs if not (o.get("name") == "stderr" and not o["text"].strip())]


def _crash_hint(nb) -> str:
    """Point at the usual culprit when a notebook loads both frameworks."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if "import torch" in code and ("import tensorflow" in code or "import keras" in code):
        return (
            "; this notebook loads both frameworks: import torch, torchvision and torch._inductor"
            " before tensorflow (see CONTRIBUTING.md)"
        )
    return ""


def _execute(job: dict) -> dict:
    """Run one notebook in a fresh kernel (called in a worker process)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    os.environ.update(KERNEL_ENV)
    # The kernel inherits this worker's stderr; TensorFlow's native logs would flood the build log.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    src = Path(job["src"])
    nb = read_notebook(src)
    current = {"index": None}

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        timeout=job["timeout"],
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
        failure = ("timeout", f"no result within {job['timeout']} s (cell timeout)")
    except DeadKernelError:
        failure = ("dead-kernel", "the kernel died (a segfault, abort or out-of-memory kill)" + _crash_hint(nb))
    except RuntimeError as exc:
        if current["index"] is None:
            failure = ("kernel-start", _short_error(type(exc).__name__, str(exc)))
        else:
            failure = ("dead-kernel", _short_error(type(exc).__name__, str(exc)))
    seconds = time.perf_counter() - started
    out = {"seconds": seconds, "cell": current["index"]}
    if failure:
        out["failure"] = failure
        failed = Path(job["failed_path"])
        failed.parent.mkdir(parents=True, exist_ok=True)
        import nbformat

        nbformat.write(nb, failed)
        return out
    import nbformat

    sanitize_outputs(nb, machine_paths(Path(job["root"])))
    cache_nb = Path(job["cache_nb"])
    cache_nb.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_nb.with_suffix(".tmp")
    nbformat.write(nb, tmp)
    tmp.replace(cache_nb)
    return out


class Executor:
    """Executes a project's notebooks; ``run()`` returns a ``RunReport``."""

    def __init__(
        self,
        project: Project,
        registry=None,
        jobs: int = 2,
        timeout: int = DEFAULT_CELL_TIMEOUT,
        progress: Callable[[str], None] | None = None,
    ):
        self.project = project
        self.registry = registry
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.progress = progress or (lambda line: print(line, file=sys.stderr, flush=True))
        self.fingerprint = environment_fingerprint(project.lock_file)

    def all_notebooks(self) -> list[str]:
        return [self.project.rel_notebook(p) for p in find_notebooks(self.project.notebooks_dir)]

    def _claims(self, rel: str, cell_index: int | None) -> list[str]:
        if self.registry is None:
            return []
        if cell_index is None:
            return self.registry.claims_for_notebook(rel)
        nb = read_notebook(self.project.notebooks_dir / rel)
        tags = cell_tags(nb.cells[cell_index])
        direct = self.registry.claims_for_cell(rel, tags)
        # An untagged setup cell takes every claim of its notebook down with it.
        return direct or self.registry.claims_for_notebook(rel)

    def _publish(self, rel: str, key: str, seconds: float, status: str) -> RunResult:
        """Copy the cached execution into the build folder and return its record."""
        cache_nb = self.project.cache_dir / f"{key}.ipynb"
        record_file = self.project.cache_dir / f"{key}.json"
        if status == "ran":
            record = {
                "notebook": f"notebooks/{rel}",
                "key": key,
                "executed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "seconds": round(seconds, 2),
                "versions": version_record(),
                "machine": machine_record(),
            }
            record_file.write_text(json.dumps(record, indent=2) + "\n")
        else:
            record = json.loads(record_file.read_text())
        target = self.project.executed_notebook(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != cache_nb.read_bytes():
            shutil.copyfile(cache_nb, target)
        self.project.record_path(rel).write_text(json.dumps(record, indent=2) + "\n")
        return RunResult(rel, status, seconds, key, record=record)

    def _cached(self, key: str) -> bool:
        return (self.project.cache_dir / f"{key}.ipynb").is_file() and (
            self.project.cache_dir / f"{key}.json"
        ).is_file()

    def run(self, notebooks: list[str] | None = None, shard: str | None = None, force: bool = False) -> RunReport:
        rels = select_shard(notebooks if notebooks is not None else self.all_notebooks(), shard)
        report = RunReport()
        pending = []
        for rel in rels:
            src = self.project.notebooks_dir / rel
            key = notebook_key(src, self.project, self.fingerprint)
            if self._cached(key) and not force:
                result = self._publish(rel, key, 0.0, "hit")
                self.progress(f"[factcheck] {rel}: cache hit")
                report.results.append(result)
                continue
            nb = read_notebook(src)
            settings = notebook_settings(nb)
            pending.append(
                {
                    "rel": rel,
                    "key": key,
                    "src": str(src),
                    "root": str(self.project.root),
                    "exclusive": bool(settings.get("exclusive", False)),
                    "timeout": int(settings.get("timeout", self.timeout)),
                    "cache_nb": str(self.project.cache_dir / f"{key}.ipynb"),
                    "failed_path": str(self.project.executed_dir / "failed" / rel),
                }
            )
        if pending:
            self.project.cache_dir.mkdir(parents=True, exist_ok=True)
            # Benchmarks ask to run alone, so they do not share the cores with another kernel.
            shared = [j for j in pending if not j["exclusive"]]
            alone = [j for j in pending if j["exclusive"]]
            self._run_batch(shared, self.jobs, report)
            self._run_batch(alone, 1, report)
        order = {rel: i for i, rel in enumerate(rels)}
        report.results.sort(key=lambda r: order[r.notebook])
        return report

    def _run_batch(self, jobs: list[dict], workers: int, report: RunReport) -> None:
        if not jobs:
            return
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            futures = [(job, pool.submit(_execute, job)) for job in jobs]
            for job, future in futures:
                rel = job["rel"]
                try:
                    out = future.result()
                except Exception as exc:  # the worker process itself died
                    out = {"seconds": 0.0, "cell": None, "failure": ("dead-kernel", repr(exc))}
                if "failure" in out:
                    kind, error = out["failure"]
                    cell = out["cell"]
                    failure = Failure(rel, kind, None if cell is None else cell + 1, self._claims(rel, cell), error)
                    self.progress(f"[factcheck] {rel}: FAILED after {out['seconds']:.1f} s: {failure.message}")
                    report.results.append(RunResult(rel, "failed", out["seconds"], job["key"], failure=failure))
                else:
                    result = self._publish(rel, job["key"], out["seconds"], "ran")
                    self.progress(f"[factcheck] {rel}: cache miss, executed in {out['seconds']:.1f} s")
                    report.results.append(result)
