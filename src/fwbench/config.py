"""Benchmark modes (sizes, repeats) and the thread settings shared by both frameworks."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class Mode:
    name: str
    repeats: int  # timed samples per (workload, mode): median and IQR come from these
    warmup: int  # untimed calls after the first one (which is timed apart: tracing, compiling)
    min_sample_s: float  # a sample repeats the call until it lasts at least this long
    dense_sizes: tuple[int, ...]  # n for the n x n @ n x n fp32 matmul
    mlp: dict = field(default_factory=dict)
    cnn: dict = field(default_factory=dict)
    transformer: dict = field(default_factory=dict)
    tiny_ops: int = 100  # length of the chain of scalar-sized elementwise ops
    keras_fit_steps: int = 8  # batches per model.fit call (its per-call overhead is spread over them)
    compile_training: bool = False  # torch.compile the three training workloads (slow cold compile)
    compile_inference: bool = False  # torch.compile the batch-1 inference (a few seconds cold)
    pause_s: float = 0.15  # sleep when sampling switches thread pools (OpenBLAS threads spin ~0.1 s)
    memory_steps: int = 20
    dist_steps: int = 5
    dist_repeats: int = 5
    standalone_ceiling: bool = False  # also time NumPy alone, in a process of its own
    fresh_compile_cache: bool = True  # torch.compile starts from an empty cache: first calls are cold
    retries: int = 0  # re-runs of a framework process whose NumPy yardstick says it was disturbed

    def as_dict(self) -> dict:
        return asdict(self)


# The same models in both modes: quick and full differ in how long they measure and in the size of
# the dense matmul (quick: 1024, full: 1024 and 2048), not in the models.
WORKLOAD_SHAPES = {
    "mlp": {"batch": 256, "sizes": [784, 1024, 1024, 10]},
    "cnn": {"batch": 64, "hw": 32, "channels": [3, 16, 32], "classes": 10},
    "transformer": {"batch": 16, "seq": 64, "d_model": 128, "heads": 4, "d_ff": 512, "layers": 2},
    "tiny_ops": 100,
}

MODES: dict[str, Mode] = {
    # quick: what the notebooks run by default (and the test suite runs twice): short samples, one
    # process per framework, torch.compile only where a claim needs it (the tiny-op chain), with the
    # machine's own compile cache (a second run reuses the first one's compiled code; a fresh
    # machine compiles cold).
    "quick": Mode(
        name="quick",
        repeats=5,
        warmup=1,
        min_sample_s=0.05,  # shorter samples measured thread wake-up more than the work
        dense_sizes=(1024,),
        **WORKLOAD_SHAPES,
        keras_fit_steps=2,
        compile_training=False,
        compile_inference=False,
        pause_s=0.12,
        memory_steps=10,
        dist_steps=4,
        dist_repeats=3,
        standalone_ceiling=False,
        fresh_compile_cache=False,
        retries=0,
    ),
    # full: `python bench/run.py --full` (make bench), the careful run saved in bench/results/full.json.
    "full": Mode(
        name="full",
        repeats=15,
        warmup=2,
        min_sample_s=0.05,
        dense_sizes=(1024, 2048),
        **WORKLOAD_SHAPES,
        keras_fit_steps=16,
        compile_training=True,
        compile_inference=True,
        pause_s=0.15,
        memory_steps=50,
        dist_steps=10,
        dist_repeats=9,
        standalone_ceiling=True,
        fresh_compile_cache=True,
        retries=2,
    ),
}


def get_mode(name: str | Mode | None = None) -> Mode:
    """The mode named ``name`` (or ``name`` itself), else ``$FWBENCH_MODE``, else ``quick``."""
    if isinstance(name, Mode):
        return name
    name = (name or os.environ.get("FWBENCH_MODE") or "quick").strip().lower()
    if name not in MODES:
        raise ValueError(f"unknown FWBENCH mode {name!r}; choose one of {sorted(MODES)}")
    return MODES[name]


def with_overrides(mode: Mode, **kw) -> Mode:
    return replace(mode, **kw)


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def threads_from_env(env: dict | None = None) -> dict:
    """Intra-op and inter-op thread counts used by *both* frameworks.

    Defaults: intra-op = every core this process may use, inter-op = 1 (one op at a time,
    each op parallelised across the cores). Override with FWBENCH_INTRA / FWBENCH_INTER.
    """
    env = os.environ if env is None else env
    intra = int(env.get("FWBENCH_INTRA") or usable_cores())
    inter = int(env.get("FWBENCH_INTER") or 1)
    if intra < 1 or inter < 1:
        raise ValueError(f"thread counts must be positive, got FWBENCH_INTRA={intra}, FWBENCH_INTER={inter}")
    return {"intra_op": intra, "inter_op": inter}


def thread_env(threads: dict) -> dict:
    """Environment for a worker subprocess: the OpenMP/BLAS pools get the intra-op count too.

    OPENBLAS_CORETYPE and similar settings are inherited untouched (and recorded)."""
    n = str(threads["intra_op"])
    return {
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        "TF_NUM_INTRAOP_THREADS": n,
        "TF_NUM_INTEROP_THREADS": str(threads["inter_op"]),
        "FWBENCH_INTRA": n,
        "FWBENCH_INTER": str(threads["inter_op"]),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "KERAS_BACKEND": "tensorflow",
        "PYTHONHASHSEED": "0",
    }
