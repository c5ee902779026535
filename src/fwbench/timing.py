"""Timing: warm-up excluded, a sample lasts long enough to dwarf the clock, modes sampled in turns,
median and IQR.

There is one timing function, :func:`sample_in_turns`; :func:`measure` is the same function with a
single callable. Both take the clock and the sleep as arguments so that tests can drive them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace


def quartiles(xs: list[float]) -> tuple[float, float, float]:
    """(q1, median, q3) with the 'inclusive' method (stable for small samples)."""
    if not xs:
        raise ValueError("no samples")
    if len(xs) == 1:
        return xs[0], xs[0], xs[0]
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q2, q3


@dataclass(frozen=True)
class TimingSummary:
    """Seconds per call (or per item, after :meth:`per_item`): median, quartiles and every sample."""

    median_s: float
    q1_s: float
    q3_s: float
    samples_s: list[float]
    inner: int = 1  # calls per sample
    repeats: int = 1
    warmup: int = 0
    interleaved: list[str] = field(default_factory=list)  # the callables sampled in the same turns

    @classmethod
    def of(cls, samples: list[float], **kw) -> TimingSummary:
        q1, med, q3 = quartiles(samples)
        return cls(median_s=med, q1_s=q1, q3_s=q3, samples_s=list(samples), repeats=len(samples), **kw)

    @property
    def iqr_s(self) -> float:
        return self.q3_s - self.q1_s

    @property
    def iqr_rel(self) -> float:
        """The IQR as a fraction of the median: a rough noise gauge."""
        return self.iqr_s / self.median_s if self.median_s else float("nan")

    def per_item(self, k: int) -> TimingSummary:
        """The same figures divided by ``k`` items per call (steps, ops)."""
        if k == 1:
            return self
        return replace(
            self,
            median_s=self.median_s / k,
            q1_s=self.q1_s / k,
            q3_s=self.q3_s / k,
            samples_s=[s / k for s in self.samples_s],
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "iqr_s": self.iqr_s}

    def ms(self) -> dict:
        """Milliseconds, for the data-parallel tables."""
        return {
            "median_ms": self.median_s * 1e3,
            "q1_ms": self.q1_s * 1e3,
            "q3_ms": self.q3_s * 1e3,
            "samples_s": self.samples_s,
        }


def first_call(fn: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> tuple[float, object]:
    """Time one call (the first call, which includes tracing or compiling) and return its output."""
    t0 = clock()
    out = fn()
    return clock() - t0, out


def calls_per_sample(probe_s: float, min_sample_s: float) -> int:
    """How many calls in a row make a sample last at least ``min_sample_s``, from one probe call."""
    if probe_s >= min_sample_s:
        return 1
    return max(1, int(min_sample_s / max(probe_s, 1e-9)) + 1)


def sample_in_turns(
    fns: dict[str, Callable[[], object]],
    *,
    repeats: int,
    warmup: int,
    min_sample_s: float,
    groups: dict[str, str] | None = None,
    pause_s: float = 0.15,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, TimingSummary]:
    """Time several callables in turns: each round takes one sample of each, in a rotating order,
    so that a burst of load from elsewhere hits every callable alike and their ratios stay fair.

    Per callable: ``warmup`` untimed calls, then one probe call that sizes the sample (``inner``
    calls in a row, so a sample lasts at least ``min_sample_s``), then ``repeats`` samples.
    ``groups`` names the thread pool a callable uses (for example ``"numpy"`` for NumPy's
    OpenBLAS; default ``"framework"``): when consecutive samples switch pools the loop sleeps
    ``pause_s``, so that the previous pool's spinning threads have gone idle.
    """
    if not fns:
        return {}
    groups = groups or {}
    names = list(fns)
    inner: dict[str, int] = {}
    for name in names:
        for _ in range(warmup):
            fns[name]()
        t0 = clock()
        fns[name]()
        inner[name] = calls_per_sample(clock() - t0, min_sample_s)
    samples: dict[str, list[float]] = {n: [] for n in names}
    last_group = None
    for r in range(repeats):
        for i in range(len(names)):
            name = names[(i + r) % len(names)]
            group = groups.get(name, "framework")
            if last_group is not None and group != last_group:
                sleep(pause_s)
            last_group = group
            fn, k = fns[name], inner[name]
            t0 = clock()
            for _ in range(k):
                fn()
            samples[name].append((clock() - t0) / k)
    return {
        n: TimingSummary.of(samples[n], inner=inner[n], warmup=warmup, interleaved=names if len(names) > 1 else [])
        for n in names
    }


def measure(fn: Callable[[], object], *, repeats: int, warmup: int, min_sample_s: float, **kw) -> TimingSummary:
    """Time one callable: :func:`sample_in_turns` with a single entry."""
    return sample_in_turns({"fn": fn}, repeats=repeats, warmup=warmup, min_sample_s=min_sample_s, **kw)["fn"]
