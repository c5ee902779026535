"""The driver, and the subprocess entry point: one framework per process, so that each framework's
thread pools are the only ones working while it is timed (and the torch/TensorFlow import-order
crash cannot happen).

    python -m fwbench.worker {numpy,pytorch,tensorflow,dist-pytorch,dist-tensorflow} \
        --mode quick --out result.json [--wait]

A framework worker first measures memory (one eager training run: the process's peak RSS is that
run's), then times every workload through its framework's :class:`~fwbench.adapters.Adapter`
(:func:`run_framework`, the same code for both frameworks). With ``--wait`` the worker does its
untimed part (imports, memory, reference runs), prints ``ready`` and waits for ``go`` on its
standard input before it times anything, so that the suite can start every worker at once and
still time them one at a time (:mod:`fwbench.suite`). End of input without ``go`` ends the worker.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable

from fwbench import params as P
from fwbench.adapters import TRAINING, UNITS, Adapter, Variant
from fwbench.config import Mode, get_mode, threads_from_env
from fwbench.machine import blas_pools
from fwbench.parity import TOL, compare, require
from fwbench.results import FrameworkRun, MemoryResult, WorkloadResult
from fwbench.timing import first_call, sample_in_turns

READY, GO = "ready", "go"


def numpy_ceiling(a, b, *, ceiling_for: str) -> Variant:
    """NumPy's matmul on the same arrays: the ceiling for dense arithmetic, sampled in the same turns."""
    return Variant(
        "numpy-blas",
        lambda: a @ b,
        lambda out: [out],
        framework="numpy",
        check=False,
        group="numpy",
        extra={"ceiling_for": ceiling_for},
    )


def time_workload(
    framework: str,
    workload: str,
    variants: list[Variant],
    mode: Mode,
    *,
    flops: float | None = None,
    size: int | None = None,
    process: str | None = None,
    notes: dict | None = None,
) -> list[WorkloadResult]:
    """The method for one workload, the same for every framework:

    1. each variant's first call is timed apart (tracing, compiling) and its result compared with
       the first checked variant's (the eager mode) within :data:`fwbench.parity.TOL`; a mismatch
       raises before anything is timed;
    2. all variants are sampled in turns (:func:`fwbench.timing.sample_in_turns`);
    3. one :class:`WorkloadResult` per variant, per item (step, op, call).

    With ``notes``, a compiled variant whose first call raises (torch.compile on a Python it does
    not support, say) is left out and the error noted; the claims that need it then fail.
    """
    firsts: dict[str, float] = {}
    diffs: dict[str, float | None] = {}
    kept: list[Variant] = []
    reference = None
    for v in variants:
        try:
            t, out = first_call(v.first or v.call)
        except Exception as exc:
            if notes is None or not v.compiled:
                raise
            notes[f"{framework} {workload} {v.mode}"] = f"left out: {type(exc).__name__}: {str(exc)[:300]}"
            continue
        kept.append(v)
        firsts[v.mode], diffs[v.mode] = t, None
        if not v.check:
            continue
        arrays = v.result(out)
        if reference is None:
            reference = arrays
            continue
        p = compare(workload, f"{v.mode} vs eager", arrays, reference, tol=TOL)
        require([p], f"{framework} {workload}: {v.mode} differs from eager, not timing it")
        diffs[v.mode] = p.max_rel_diff
    stats = sample_in_turns(
        {v.mode: v.call for v in kept},
        repeats=mode.repeats,
        warmup=mode.warmup,
        min_sample_s=mode.min_sample_s,
        groups={v.mode: v.group for v in kept},
        pause_s=mode.pause_s,
    )
    rows = []
    for v in kept:
        extra = dict(v.extra)
        ceiling_for = extra.pop("ceiling_for", None)
        rows.append(
            WorkloadResult(
                framework=v.framework or framework,
                workload=workload,
                mode=v.mode,
                unit=UNITS[workload],
                timing=stats[v.mode].per_item(v.per_call),
                flops=flops,
                per_call=v.per_call,
                first_call_s=firsts[v.mode] if v.check else None,
                compiled=v.compiled,
                parity_max_rel_diff=diffs[v.mode],
                size=size,
                ceiling_for=ceiling_for,
                process=process,
                extra=extra,
            )
        )
    return rows


def run_framework(adapter: Adapter, mode: Mode, threads: dict, applied: dict | None = None) -> FrameworkRun:
    """Time every workload of ``mode`` with ``adapter`` (threads already applied: ``applied``)."""
    run = FrameworkRun(
        framework=adapter.name,
        threads_requested=threads,
        threads_applied=applied or {},
        rows=[],
        info=adapter.info(),
    )
    mark = time.perf_counter()

    def timed(workload: str, make: Callable[[str], Variant], *, ceiling: Variant | None = None, **kw) -> None:
        nonlocal mark
        variants = [ceiling] if ceiling else []
        for name in adapter.variants(workload, mode):
            try:
                variants.append(make(name))
            except Exception as exc:
                if name == adapter.eager:
                    raise
                run.notes[f"{adapter.name} {workload} {name}"] = f"left out: {type(exc).__name__}: {str(exc)[:300]}"
        run.rows += time_workload(adapter.name, workload, variants, mode, process=adapter.name, notes=run.notes, **kw)
        now = time.perf_counter()
        run.phase_s[workload] = run.phase_s.get(workload, 0.0) + now - mark
        mark = now

    for n in mode.dense_sizes:  # dense matmul, sampled in turns with NumPy's BLAS (the ceiling)
        a, b = P.dense_data(n)
        timed(
            "dense",
            lambda v, a=a, b=b: adapter.matmul(a, b, v),
            ceiling=numpy_ceiling(a, b, ceiling_for=adapter.name),
            flops=P.flops_dense(n),
            size=n,
        )
    for workload, kind in TRAINING.items():
        cfg = getattr(mode, kind)
        weights, (x, y) = P.MODELS[kind][0](cfg), P.MODELS[kind][1](cfg)
        timed(workload, lambda v, kind=kind, cfg=cfg, w=weights, x=x, y=y: adapter.train(kind, cfg, w, x, y, v, mode))
    timed("tiny_op", lambda v: adapter.tiny_chain(mode.tiny_ops, v))
    x1 = P.cnn_data(mode.cnn)[0][:1]
    timed("infer_b1", lambda v: adapter.infer(mode.cnn, P.cnn_params(mode.cnn), x1, v))
    if adapter.name == "pytorch" and not mode.compile_training:
        run.notes["torch-compile-training"] = (
            f"not run in {mode.name} mode: each training step needs a cold compile of 10 s or more (see the full mode)"
        )
    return run


# ---- memory: the same eager training run in each framework, first thing in the process ------------


def peak_rss_bytes(pid: int | None = None) -> int:
    """The process's own high-water mark (VmHWM). Not ru_maxrss: Linux carries ru_maxrss over
    from the parent across fork and exec, so a child of a big Jupyter kernel would report the
    kernel's peak."""
    try:
        with open(f"/proc/{pid or os.getpid()}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource  # elsewhere: the best available figure

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def _rss_bytes() -> int:
    try:
        with open(f"/proc/{os.getpid()}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return peak_rss_bytes()


def measure_memory(adapter: Adapter, mode: Mode, rss_start: int, rss_import: int) -> MemoryResult:
    """``memory_steps`` eager MLP training steps; the peak RSS so far is this run's (nothing else
    has run in the process)."""
    t0 = time.perf_counter()
    x, y = P.mlp_data(mode.mlp)
    v = adapter.train("mlp", mode.mlp, P.mlp_params(mode.mlp), x, y, adapter.eager, mode)
    out = None
    for _ in range(mode.memory_steps):
        out = v.call()
    mb = 2**20
    return MemoryResult(
        framework=adapter.name,
        steps=mode.memory_steps,
        final_loss=float(adapter.to_numpy(out)),
        rss_start_mb=rss_start / mb,
        rss_after_import_mb=rss_import / mb,
        rss_end_mb=_rss_bytes() / mb,
        peak_rss_mb=peak_rss_bytes() / mb,
        elapsed_s=time.perf_counter() - t0,
    )


# ---- tasks -----------------------------------------------------------------------------------------


def task_numpy(mode: Mode, threads: dict, turn: Callable[[], None]) -> dict:
    """NumPy's BLAS alone on each dense size (the standalone ceiling)."""
    turn()
    rows = []
    for n in mode.dense_sizes:
        a, b = P.dense_data(n)
        rows += time_workload(
            "numpy",
            "dense",
            [numpy_ceiling(a, b, ceiling_for="standalone")],
            mode,
            flops=P.flops_dense(n),
            size=n,
            process="numpy",
        )
    return {"framework": "numpy", "rows": [r.as_dict() for r in rows]}


def task_framework(name: str, mode: Mode, threads: dict, turn: Callable[[], None]) -> dict:
    from fwbench import adapters

    rss_start = _rss_bytes()
    if name == "pytorch":
        import torch._dynamo  # noqa: F401  (torch.optim imports it anyway: load it before measuring)
    adapter = adapters.load(name)
    applied = adapter.set_threads(threads)  # TensorFlow: before its first op
    memory = measure_memory(adapter, mode, rss_start, _rss_bytes())
    compiler = adapter.set_up_compiler()
    turn()
    run = run_framework(adapter, mode, threads, applied)
    run.memory = memory
    run.info.update(compiler)
    return run.as_dict()


def task_distributed(name: str, mode: Mode, threads: dict, turn: Callable[[], None]) -> dict:
    from fwbench import distributed

    fn = distributed.run_torch if name == "pytorch" else distributed.run_tensorflow
    with tempfile.TemporaryDirectory() as tmp:
        return fn(mode, threads, tmp, turn)


TASKS = {
    "numpy": task_numpy,
    "pytorch": lambda mode, threads, turn: task_framework("pytorch", mode, threads, turn),
    "tensorflow": lambda mode, threads, turn: task_framework("tensorflow", mode, threads, turn),
    "dist-pytorch": lambda mode, threads, turn: task_distributed("pytorch", mode, threads, turn),
    "dist-tensorflow": lambda mode, threads, turn: task_distributed("tensorflow", mode, threads, turn),
}


class Turn:
    """Waits for the suite's go-ahead before the timed part (``wait``), or returns at once."""

    def __init__(self, wait: bool, channel=None):
        self.wait, self.channel = wait, channel
        self.waited_s: float | None = None

    def __call__(self) -> None:
        if not self.wait:
            return
        t0 = time.perf_counter()
        self.channel.write(READY + "\n")
        self.channel.flush()
        line = sys.stdin.readline()
        if line.strip() != GO:  # the suite went away (or cancelled): nothing to time
            sys.exit(3)
        self.waited_s = time.perf_counter() - t0


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (compilers, spawned ranks)."""
    import resource

    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in used)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fwbench.worker")
    ap.add_argument("task", choices=sorted(TASKS))
    ap.add_argument("--mode", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--wait", action="store_true", help="print 'ready' and wait for 'go' before timing")
    args = ap.parse_args(argv)
    # Standard output is the channel to the suite: anything else printed goes to standard error.
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    mode, threads = get_mode(args.mode), threads_from_env()
    t0 = time.perf_counter()
    turn = Turn(args.wait, channel)
    result = TASKS[args.task](mode, threads, turn)
    result.update(
        {
            "task": args.task,
            "mode": mode.name,
            "blas_pools": blas_pools(),
            "wall_s": time.perf_counter() - t0,
            "cpu_s": _cpu_seconds(),
            "waited_s": turn.waited_s,
        }
    )
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
