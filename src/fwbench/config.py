"""Benchmark modes (sizes, repeats) and the thread settings shared by both frameworks."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class Mode:
    name: str
    repeats: int  # timed samples per (workload, mode): median and IQR come from these
    warmup: int  # untimed calls before sampling (the first call, with tracing/compiling, is timed apart)
    min_sample_s: float  # a sample repeats the call until it lasts at least this long
    dense_sizes: tuple[int, ...]  # n for the n x n @ n x n fp32 matmul
    mlp: dict = field(default_factory=dict)
    cnn: dict = field(default_factory=dict)
    transformer: dict = field(default_factory=dict)
    tiny_ops: int = 100  # length of the chain of scalar-sized elementwise ops
    keras_fit_steps: int = 8  # batches per model.fit call (its per-call overhead is spread over them)
    compile_training: bool = False  # torch.compile the three training workloads (slow cold compile)
    memory_steps: int = 20
    dist_steps: int = 5
    dist_repeats: int = 5

    def as_dict(self) -> dict:
        return asdict(self)


# The same models in both modes: quick and full differ in how long they measure, not in what.
WORKLOAD_SHAPES = {
    "mlp": {"batch": 256, "sizes": [784, 1024, 1024, 10]},
    "cnn": {"batch": 64, "hw": 32, "channels": [3, 16, 32], "classes": 10},
    "transformer": {"batch": 16, "seq": 64, "d_model": 128, "heads": 4, "d_ff": 512, "layers": 2},
    "tiny_ops": 100,
}

MODES: dict[str, Mode] = {
    "quick": Mode(
        name="quick",
        repeats=9,
        warmup=2,
        min_sample_s=0.02,
        dense_sizes=(2048,),
        **WORKLOAD_SHAPES,
        keras_fit_steps=8,
        compile_training=False,
        memory_steps=20,
        dist_steps=5,
        dist_repeats=5,
    ),
    "full": Mode(
        name="full",
        repeats=15,
        warmup=2,
        min_sample_s=0.05,
        dense_sizes=(1024, 2048),
        **WORKLOAD_SHAPES,
        keras_fit_steps=16,
        compile_training=True,
        memory_steps=50,
        dist_steps=10,
        dist_repeats=9,
    ),
}


def get_mode(name: str | None = None) -> Mode:
    """The mode named ``name``, else ``$FWBENCH_MODE``, else ``quick``."""
    name = (name or os.environ.get("FWBENCH_MODE") or "quick").strip().lower()
    if name not in MODES:
        raise ValueError(f"unknown FWBENCH mode {name!r}; choose one of {sorted(MODES)}")
    return MODES[name]


def with_overrides(mode: Mode, **kw) -> Mode:
    return replace(mode, **kw)


def threads_from_env() -> dict:
    """Intra-op and inter-op thread counts used by *both* frameworks.

    Defaults: intra-op = every core this process may use, inter-op = 1 (one op at a time,
    each op parallelised across the cores). Override with FWBENCH_INTRA / FWBENCH_INTER.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    intra = int(os.environ.get("FWBENCH_INTRA", cores))
    inter = int(os.environ.get("FWBENCH_INTER", 1))
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
