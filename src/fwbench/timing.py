"""Timing: warm-up excluded, a sample lasts long enough to dwarf the clock, median and IQR."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def quartiles(xs: list[float]) -> tuple[float, float, float]:
    """(q1, median, q3) with the 'inclusive' method (stable for small samples)."""
    if len(xs) == 1:
        return xs[0], xs[0], xs[0]
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q2, q3


def first_call(fn: Callable[[], object]) -> tuple[float, object]:
    """Time one call (used for the first call, which includes tracing or compiling)."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def measure(fn: Callable[[], object], *, repeats: int, warmup: int, min_sample_s: float) -> dict:
    """Time ``fn`` after ``warmup`` untimed calls.

    Each of the ``repeats`` samples runs ``fn`` ``inner`` times in a row, ``inner`` chosen
    from one probe call so that a sample lasts about ``min_sample_s``. The figures are
    seconds per call: median, first and third quartile, and every sample.
    """
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    fn()
    probe = time.perf_counter() - t0
    inner = max(1, int(min_sample_s / max(probe, 1e-9)) + 1) if probe < min_sample_s else 1
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    q1, med, q3 = quartiles(samples)
    return {
        "median_s": med,
        "q1_s": q1,
        "q3_s": q3,
        "iqr_s": q3 - q1,
        "inner": inner,
        "repeats": repeats,
        "warmup": warmup,
        "samples_s": samples,
    }


def measure_many(
    fns: dict[str, Callable[[], object]],
    *,
    repeats: int,
    warmup: int,
    min_sample_s: float,
    groups: dict[str, str] | None = None,
    pause_s: float = 0.15,
) -> dict[str, dict]:
    """Time several callables *interleaved*: each round takes one sample of each, in a rotating
    order, so a burst of load from elsewhere hits every mode alike and the ratios stay fair.

    ``groups`` names the thread pool a callable uses (for example ``"numpy"`` for NumPy's
    OpenBLAS, default ``"framework"``); when consecutive samples switch pools the loop sleeps
    ``pause_s`` so that the previous pool's spinning threads have gone idle.
    """
    groups = groups or {}
    names = list(fns)
    inner: dict[str, int] = {}
    for name in names:  # warm-up, then one probe call to size the sample
        for _ in range(warmup):
            fns[name]()
        t0 = time.perf_counter()
        fns[name]()
        probe = time.perf_counter() - t0
        inner[name] = max(1, int(min_sample_s / max(probe, 1e-9)) + 1) if probe < min_sample_s else 1
    samples: dict[str, list[float]] = {n: [] for n in names}
    last_group = None
    for r in range(repeats):
        for i in range(len(names)):
            name = names[(i + r) % len(names)]
            g = groups.get(name, "framework")
            if last_group is not None and g != last_group:
                time.sleep(pause_s)
            last_group = g
            fn, k = fns[name], inner[name]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            samples[name].append((time.perf_counter() - t0) / k)
    out = {}
    for name in names:
        q1, med, q3 = quartiles(samples[name])
        out[name] = {
            "median_s": med,
            "q1_s": q1,
            "q3_s": q3,
            "iqr_s": q3 - q1,
            "inner": inner[name],
            "repeats": repeats,
            "warmup": warmup,
            "samples_s": samples[name],
            "interleaved": names,
        }
    return out
