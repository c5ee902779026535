"""Run the whole benchmark: parity first, one worker process per framework, and on request the
data-parallel runs. Returns one JSON-ready dict (the results document, :data:`SCHEMA`).

The workers start together (:class:`Workers`): each loads its framework and does its untimed part
(for a framework worker: one training run whose peak memory is recorded; for a data-parallel
worker: the reference and the data-parallel training) at the same time as the others and as the
caller's parity check, then waits. The timed parts run strictly one after the other, once every
worker is waiting, so nothing of ours competes with a process while it is timed.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import select
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path

import fwbench
from fwbench.config import Mode, get_mode, thread_env, threads_from_env
from fwbench.machine import machine_info, versions
from fwbench.parity import ParityResult, require
from fwbench.worker import GO, READY

SCHEMA = 2
PARTS = ("ceiling", "pytorch", "tensorflow", "memory")
FRESH_CACHE = "FWBENCH_FRESH_CACHE_ROOT"
QUIET_RATIO = 0.75  # a worker whose own NumPy yardstick fell below 75% of the other's was disturbed


def _env(threads: dict, cache_dir: str | None) -> dict:
    """The workers' environment: the threads, this fwbench first on the path, and for a fresh
    compile cache (``cache_dir``, unless FWBENCH_KEEP_INDUCTOR_CACHE is set) an empty folder."""
    env = dict(os.environ)
    env.update(thread_env(threads))
    src = str(Path(fwbench.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if cache_dir and not env.get("FWBENCH_KEEP_INDUCTOR_CACHE"):
        env[FRESH_CACHE] = cache_dir  # each worker gets an empty cache below it: compile times are cold
    return env


class WorkerError(RuntimeError):
    pass


class _Proc:
    """One worker subprocess; its standard output carries only 'ready'."""

    def __init__(self, task: str, mode: Mode, env: dict, tmp: str, attempt: int, wait: bool):
        self.task, self.attempt = task, attempt
        if env.get(FRESH_CACHE):  # every process compiles from its own empty cache, re-runs included
            env = {**env, "TORCHINDUCTOR_CACHE_DIR": os.path.join(env[FRESH_CACHE], f"{task}-{attempt}")}
        self.out = os.path.join(tmp, f"{task}-{attempt}.json")
        self.err_path = os.path.join(tmp, f"{task}-{attempt}.stderr")
        cmd = [sys.executable, "-m", "fwbench.worker", task, "--mode", mode.name, "--out", self.out]
        if wait:
            cmd.append("--wait")
        self.err = open(self.err_path, "w")  # a file, not a pipe: a chatty worker cannot block
        self.proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, text=True
        )
        self.ready = not wait

    def wait_ready(self, timeout: float) -> bool:
        """Block until the worker waits for its turn; False if it ended first."""
        if not self.ready:
            readable, _, _ = select.select([self.proc.stdout], [], [], timeout)
            if not readable:
                self.proc.kill()
                raise WorkerError(f"worker {self.task!r} was not ready after {timeout:.0f} s:\n{self.stderr_tail()}")
            self.ready = self.proc.stdout.readline().strip() == READY
        return self.ready

    def go(self, timeout: float) -> int:
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.write(GO + "\n")
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._close()

    def _close(self) -> None:
        for stream in (self.err, self.proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()

    def stderr_tail(self, n: int = 15) -> str:
        try:
            return "\n".join(Path(self.err_path).read_text().strip().splitlines()[-n:])
        except OSError:
            return ""

    def cancel(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # end of input without 'go': the worker exits
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._close()


class Workers:
    """Worker processes started at once; :meth:`result` runs their timed parts one at a time."""

    def __init__(self, tasks: list[str], mode: Mode, env: dict, tmp: str, timeout: int = 900):
        self.mode, self.env, self.tmp, self.timeout = mode, env, tmp, timeout
        self.procs = {t: _Proc(t, mode, env, tmp, 1, wait=True) for t in tasks}
        self.attempts: dict[str, int] = dict.fromkeys(tasks, 1)
        self._finalizer = weakref.finalize(self, _cancel_all, list(self.procs.values()))

    def _all_waiting(self) -> None:
        for p in self.procs.values():
            p.wait_ready(self.timeout)  # a worker that ended early is reported by result()

    def result(self, task: str) -> dict:
        """Give ``task`` its turn once every worker waits, and return what it wrote. A worker killed
        by a signal (seen once: TensorFlow's MirroredStrategy, SIGSEGV on a loaded machine) is run
        again once, alone; the crash is recorded."""
        self._all_waiting()
        proc = self.procs.pop(task)
        rc = proc.go(self.timeout)
        crashes = []
        if rc < 0:
            crashes.append(rc)
            proc = self.run_alone(task)
            rc = proc.proc.returncode
        if rc != 0 or not os.path.exists(proc.out):
            raise WorkerError(f"worker {task!r} failed (exit {rc}):\n{proc.stderr_tail()}")
        result = json.loads(Path(proc.out).read_text())
        result["crashed_attempts"] = crashes
        return result

    def run_alone(self, task: str) -> _Proc:
        """Run ``task`` again in a fresh process, without waiting for anyone."""
        self.attempts[task] = self.attempts.get(task, 1) + 1
        proc = _Proc(task, self.mode, self.env, self.tmp, self.attempts[task], wait=False)
        proc.go(self.timeout)
        return proc

    def rerun(self, task: str) -> dict:
        proc = self.run_alone(task)
        if proc.proc.returncode != 0 or not os.path.exists(proc.out):
            raise WorkerError(f"worker {task!r} failed (exit {proc.proc.returncode}):\n{proc.stderr_tail()}")
        return json.loads(Path(proc.out).read_text())

    def cancel(self) -> None:
        self._finalizer()


def _cancel_all(procs: list[_Proc]) -> None:
    for p in procs:
        p.cancel()


def _header(mode: Mode, threads: dict) -> dict:
    return {
        "schema": SCHEMA,
        "tool": f"fwbench {fwbench.__version__}",
        "mode": mode.name,
        "config": mode.as_dict(),
        "created_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine_info(),
        "versions": versions(),
        "threads": threads,
        "worker_env": thread_env(threads),
    }


def yardstick(result: dict) -> float:
    """The NumPy BLAS figure measured inside a framework's worker (largest size: least noisy)."""
    rows = [r for r in result["rows"] if r["framework"] == "numpy"]
    return max(rows, key=lambda r: r["size"])["value"]


def _rerun_disturbed(results: dict, mode: Mode, workers: Workers, log, timings: dict) -> list[dict]:
    """Guard against load from other jobs on a shared machine.

    Each framework's worker also times NumPy's matmul, a yardstick that does not depend on the
    framework. When one worker's yardstick came out below ``QUIET_RATIO`` of the other's, that
    worker ran while something else used the CPU: it is run again (at most ``mode.retries``
    times) and the attempt with the higher yardstick is kept. Every attempt is recorded.
    """
    attempts = [
        {"task": t, "attempt": 1, "ceiling_gflops": yardstick(results[t]), "kept": True}
        for t in ("pytorch", "tensorflow")
    ]
    for _ in range(mode.retries):
        kept = {a["task"]: a for a in attempts if a["kept"]}
        low, high = sorted(kept.values(), key=lambda a: a["ceiling_gflops"])
        if low["ceiling_gflops"] >= QUIET_RATIO * high["ceiling_gflops"]:
            break
        task = low["task"]
        log(
            f"[fwbench] {mode.name}: {task} again (its NumPy yardstick was {low['ceiling_gflops']:.0f} "
            f"against {high['ceiling_gflops']:.0f} GFLOP/s) ..."
        )
        t0 = time.perf_counter()
        res = workers.rerun(task)
        timings[f"{task}-attempt-{workers.attempts[task]}"] = time.perf_counter() - t0
        new = {"task": task, "attempt": workers.attempts[task], "ceiling_gflops": yardstick(res), "kept": False}
        if new["ceiling_gflops"] > low["ceiling_gflops"]:
            low["kept"], new["kept"] = False, True
            results[task] = res
        attempts.append(new)
    return attempts


def run_parity(mode: Mode | str | None = None, *, in_process: bool = False) -> list[dict]:
    """The cross-framework equality check (see :mod:`fwbench.parity`), as rows; raises if anything
    differs. ``in_process`` runs it here (the process then holds both frameworks, PyTorch first)."""
    mode = get_mode(mode)
    if in_process:
        from fwbench import parity

        return [r.as_dict() for r in parity.check(mode)]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "parity.json")
        env = _env(threads_from_env(), os.path.join(tmp, "inductor"))
        proc = subprocess.run(
            [sys.executable, "-m", "fwbench.parity", "--mode", mode.name, "--json", out],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if not os.path.exists(out):
            raise RuntimeError("parity check crashed:\n" + "\n".join(proc.stderr.strip().splitlines()[-15:]))
        rows = json.loads(Path(out).read_text())
    require([_parity_result(r) for r in rows])
    return rows


def _parity_result(row: dict) -> ParityResult:
    return ParityResult(row["workload"], row["quantity"], row["max_rel_diff"], row["tolerance"], row.get("worst"))


class SuiteRun:
    """A benchmark run under way: its workers are loading (:func:`start_suite`); :meth:`finish`
    times them once the parity check has passed and returns the results document."""

    def __init__(self, mode: Mode | str | None = None, *, parts=PARTS, log=print):
        self.mode = get_mode(mode)
        self.parts, self.log = tuple(parts), log
        self.threads = threads_from_env()
        self.t_start = time.perf_counter()
        self._tmp = tempfile.TemporaryDirectory(prefix="fwbench-")
        fresh = os.path.join(self._tmp.name, "inductor-cache") if self.mode.fresh_compile_cache else None
        self.env = _env(self.threads, fresh)
        self.cold_compiles = bool(self.env.get(FRESH_CACHE))
        self.tasks = [t for t in ("pytorch", "tensorflow") if t in self.parts]
        if "ceiling" in self.parts and self.mode.standalone_ceiling:
            self.tasks.insert(0, "numpy")
        log(f"[fwbench] {self.mode.name}: starting {', '.join(self.tasks)} ...")
        self.workers = Workers(self.tasks, self.mode, self.env, self._tmp.name)

    def cancel(self) -> None:
        self.workers.cancel()
        self._tmp.cleanup()

    def finish(self, parity: list[dict] | None = None, *, distributed: bool = False) -> dict:
        """Check parity (unless the caller did: ``parity``), then time each worker in turn."""
        mode, log = self.mode, self.log
        doc = _header(mode, self.threads)
        doc["timings_s"] = {}
        try:
            t0 = time.perf_counter()
            if parity is None:
                log(f"[fwbench] {mode.name}: parity check ...")
                parity = run_parity(mode)
                doc["timings_s"]["parity"] = time.perf_counter() - t0
            require([_parity_result(r) for r in parity], "parity failed: nothing is timed")
            doc["parity"] = parity
            doc["rows"], doc["workers"], doc["notes"], doc["memory"] = [], {}, {}, {}
            doc["inductor_cache"] = (
                "fresh and empty: compile times are cold"
                if self.cold_compiles
                else "the machine's own, kept between runs: a repeated run's compiles may be warm"
            )
            results = {}
            for task in self.tasks:  # strictly one after the other, each once every worker waits
                log(f"[fwbench] {mode.name}: {task} ...")
                t0 = time.perf_counter()
                results[task] = self.workers.result(task)
                doc["timings_s"][task] = time.perf_counter() - t0
            if "pytorch" in results and "tensorflow" in results:
                doc["attempts"] = _rerun_disturbed(results, mode, self.workers, log, doc["timings_s"])
        finally:
            self.cancel()
        for task in self.tasks:
            res = results[task]
            memory = res.pop("memory", None)
            if memory and "memory" in self.parts:
                doc["memory"][res["framework"]] = {**memory, "blas_pools": res.get("blas_pools")}
            doc["rows"] += res["rows"]
            doc["workers"][task] = {k: v for k, v in res.items() if k != "rows"}
            doc["notes"].update(res.get("notes", {}))
        if distributed:
            doc["distributed"] = run_distributed(mode, log=log, header=False)
            doc["timings_s"]["distributed"] = doc["distributed"]["elapsed_s"]
        doc["elapsed_s"] = time.perf_counter() - self.t_start
        doc["machine"]["load_avg_1m_end"] = os.getloadavg()[0]
        return doc


def start_suite(mode: Mode | str | None = None, *, parts=PARTS, log=print) -> SuiteRun:
    """Start the benchmark's worker processes: they load their framework and measure memory now,
    then wait; :meth:`SuiteRun.finish` times them after the parity check."""
    return SuiteRun(mode, parts=parts, log=log)


def run_suite(
    mode: Mode | str | None = None,
    *,
    parts=PARTS,
    parity: list[dict] | None = None,
    distributed: bool = False,
    log=print,
) -> dict:
    """Run the benchmark and return the results document.

    ``parity``: rows from a parity check already run by the caller (a notebook runs it in its
    own kernel so the reader sees it); otherwise it runs in a subprocess while the workers load.
    Nothing is timed unless every parity row passed.
    """
    return start_suite(mode, parts=parts, log=log).finish(parity, distributed=distributed)


def run_distributed(mode: Mode | str | None = None, *, log=print, header: bool = True) -> dict:
    """MirroredStrategy (two logical CPU devices) and DDP/gloo (two processes), each checked
    against single-process training on the same global batches. Both workers load and train at
    once; their timed parts run one after the other."""
    mode = get_mode(mode)
    threads = threads_from_env()
    t_start = time.perf_counter()
    doc = _header(mode, threads) if header else {}
    with tempfile.TemporaryDirectory(prefix="fwbench-dist-") as tmp:
        env = _env(threads, None)  # nothing is compiled here
        tasks = ["dist-tensorflow", "dist-pytorch"]
        log(f"[fwbench] {mode.name}: {', '.join(tasks)} ...")
        workers = Workers(tasks, mode, env, tmp)
        try:
            for task in tasks:
                doc[task.removeprefix("dist-")] = workers.result(task)
        finally:
            workers.cancel()
    doc["elapsed_s"] = time.perf_counter() - t_start
    return doc


def save(doc: dict, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, default=float) + "\n")
    return path


def load(path: str | os.PathLike) -> dict:
    doc = json.loads(Path(path).read_text())
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"{path}: schema {doc.get('schema')!r}, expected {SCHEMA}")
    return doc
