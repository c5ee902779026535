"""Typed results: one timed (framework, workload, mode), the memory of one training run, and what a
worker process hands back. Each turns into the plain dicts of the JSON document (``as_dict``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from fwbench.timing import TimingSummary

SCALE = {"GFLOP/s": 1.0, "ms/step": 1e3, "ms/call": 1e3, "µs/op": 1e6}  # seconds per item -> unit


@dataclass
class WorkloadResult:
    """One row of the results: a workload in one mode of one framework, per item (step, op, call).

    ``value``, ``q1`` and ``q3`` are in ``unit``; for a throughput (GFLOP/s, ``flops`` given) a
    slower sample is a smaller figure, so the quartiles swap."""

    framework: str
    workload: str
    mode: str
    unit: str
    timing: TimingSummary  # seconds per item
    flops: float | None = None  # per item, for throughput units
    per_call: int = 1  # items per timed call
    first_call_s: float | None = None  # the first call, tracing or compiling included
    compiled: bool = False
    parity_max_rel_diff: float | None = None  # against the same framework's eager mode
    size: int | None = None  # n of the dense matmul
    ceiling_for: str | None = None  # NumPy rows: the framework whose process measured them, or "standalone"
    process: str | None = None  # the worker task that measured it
    extra: dict = field(default_factory=dict)

    def _in_unit(self, seconds: float) -> float:
        if self.flops is not None:
            return self.flops / seconds / 1e9
        return seconds * SCALE[self.unit]

    @property
    def value(self) -> float:
        return self._in_unit(self.timing.median_s)

    @property
    def q1(self) -> float:
        return self._in_unit(self.timing.q3_s if self.flops is not None else self.timing.q1_s)

    @property
    def q3(self) -> float:
        return self._in_unit(self.timing.q1_s if self.flops is not None else self.timing.q3_s)

    @property
    def compile_s(self) -> float | None:
        """The first call's excess over a steady call: tracing or compiling (compiled modes only)."""
        if not self.compiled or self.first_call_s is None:
            return None
        return max(self.first_call_s - self.timing.median_s * self.per_call, 0.0)

    def as_dict(self) -> dict:
        t = self.timing
        return {
            "framework": self.framework,
            "workload": self.workload,
            "mode": self.mode,
            "unit": self.unit,
            "value": self.value,
            "q1": self.q1,
            "q3": self.q3,
            "iqr_rel": t.iqr_rel,
            "median_s": t.median_s,
            "q1_s": t.q1_s,
            "q3_s": t.q3_s,
            "repeats": t.repeats,
            "warmup": t.warmup,
            "inner": t.inner,
            "per_call": self.per_call,
            "first_call_s": self.first_call_s,
            "compile_s": self.compile_s,
            "parity_max_rel_diff": self.parity_max_rel_diff,
            "size": self.size,
            "ceiling_for": self.ceiling_for,
            "process": self.process,
            **self.extra,
        }


@dataclass
class MemoryResult:
    """Resident memory of one process: after importing the framework, and the peak (VmHWM) after
    ``steps`` eager MLP training steps, measured before anything else runs in that process."""

    framework: str
    steps: int
    final_loss: float
    rss_start_mb: float
    rss_after_import_mb: float
    rss_end_mb: float
    peak_rss_mb: float
    elapsed_s: float
    workload: str = "mlp_train"

    @property
    def training_growth_mb(self) -> float:
        return self.peak_rss_mb - self.rss_after_import_mb

    def as_dict(self) -> dict:
        return {**asdict(self), "training_growth_mb": self.training_growth_mb}


@dataclass
class FrameworkRun:
    """What one framework's worker process measured."""

    framework: str
    threads_requested: dict
    threads_applied: dict
    rows: list[WorkloadResult]
    memory: MemoryResult | None = None
    info: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    phase_s: dict = field(default_factory=dict)  # wall time per workload, first calls included

    def as_dict(self) -> dict:
        return {
            "framework": self.framework,
            "threads_requested": self.threads_requested,
            "threads_applied": self.threads_applied,
            "rows": [r.as_dict() for r in self.rows],
            "memory": self.memory.as_dict() if self.memory else None,
            "notes": self.notes,
            "phase_s": self.phase_s,
            **self.info,
        }
