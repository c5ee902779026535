"""Same model, same weights, same numbers: the check that runs before anything is timed.

For every workload the PyTorch and the Keras model are built from one set of NumPy weights
(through the adapters of :mod:`fwbench.adapters`) and compared in the canonical layout: forward
outputs, the loss, every gradient, and (for the training workloads) every weight after one SGD
step. The figure compared is the largest absolute difference divided by the largest magnitude of
the reference (PyTorch) arrays; a failure names the tensor that differs most.

:data:`TOL` is the one tolerance of the package: cross-framework parity, each compiled mode against
its framework's eager mode, and data-parallel training against one process all use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from fwbench import params as P
from fwbench.config import Mode, get_mode

TOL = 2e-5  # float32 has ~7 significant digits; different summation orders cost a few ulps


def rel_diff(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def _abs_diffs(xs, ys) -> list[float]:
    if len(xs) != len(ys):
        raise ValueError(f"{len(xs)} arrays against {len(ys)}")
    out = []
    for x, y in zip(xs, ys, strict=True):
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        if x.shape != y.shape:
            raise ValueError(f"shape {x.shape} against {y.shape}")
        out.append(float(np.max(np.abs(x - y))) if x.size else 0.0)
    return out


def rel_diff_list(xs, ys) -> float:
    """One figure for a list of arrays, scaled by the largest magnitude in the whole reference list.

    (Scaling array by array would blow up on arrays that are zero in exact arithmetic, such as
    the gradient of the attention key bias, which softmax's shift invariance cancels.)"""
    scale = max(float(np.max(np.abs(np.asarray(y, np.float64)))) if np.size(y) else 0.0 for y in ys)
    return max(_abs_diffs(xs, ys)) / max(scale, 1e-30)


@dataclass(frozen=True)
class ParityResult:
    """One comparison: ``max_rel_diff`` against ``tolerance``; ``worst`` names the tensor that
    differs most (None for a single array)."""

    workload: str
    quantity: str
    max_rel_diff: float
    tolerance: float = TOL
    worst: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.max_rel_diff <= self.tolerance)  # NaN fails

    def message(self) -> str:
        where = f" (largest in {self.worst})" if self.worst else ""
        return (
            f"{self.workload} {self.quantity}: max relative difference {self.max_rel_diff:.3g}{where}, "
            f"tolerance {self.tolerance:g}"
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def compare(
    workload: str,
    quantity: str,
    got: Sequence,
    ref: Sequence,
    names: Sequence[str] | None = None,
    tol: float = TOL,
) -> ParityResult:
    """Compare two lists of arrays (``ref`` is the reference) and name the worst tensor."""
    diffs = _abs_diffs(got, ref)
    scale = max(float(np.max(np.abs(np.asarray(y, np.float64)))) if np.size(y) else 0.0 for y in ref)
    rel = [d / max(scale, 1e-30) for d in diffs]
    i = int(np.argmax(rel))  # a NaN counts as the largest
    worst = None
    if names is not None and len(rel) > 1:
        worst = names[i]
    return ParityResult(workload, quantity, rel[i], tol, worst)


class ParityError(AssertionError):
    pass


def require(results: Sequence[ParityResult], what: str = "frameworks disagree, nothing will be timed") -> None:
    """Raise :class:`ParityError` (an AssertionError) naming every comparison outside its tolerance."""
    bad = [r for r in results if not r.ok]
    if bad:
        raise ParityError(f"{what}: " + "; ".join(r.message() for r in bad))


def check(mode: Mode | str | None = None, *, raise_on_fail: bool = True) -> list[ParityResult]:
    """Build every model in both frameworks from the same NumPy weights and compare them."""
    from fwbench import adapters

    mode = get_mode(mode)
    torch_ad = adapters.load("pytorch")  # first: PyTorch's native libraries before TensorFlow's
    tf_ad = adapters.load("tensorflow")
    results: list[ParityResult] = []

    a, b = P.dense_data(512)  # dense matmul: NumPy's BLAS, TensorFlow and PyTorch on the same arrays
    for ad in (tf_ad, torch_ad):
        v = ad.matmul(a, b, ad.eager)
        results.append(compare("dense", f"{ad.ops_label} matmul vs numpy", v.result(v.call()), [a @ b]))

    for kind, (make_params, make_data) in P.MODELS.items():
        cfg = getattr(mode, kind)
        weights, (x, y) = make_params(cfg), make_data(cfg)
        names = P.param_names(kind, cfg)
        tm, km = torch_ad.build(kind, cfg, weights), tf_ad.build(kind, cfg, weights)
        ref_w = torch_ad.weights(kind, tm)
        results.append(compare(kind, "weights after copy", tf_ad.weights(kind, km), ref_w, names))
        results.append(compare(kind, "forward output", [tf_ad.forward(kind, km, x)], [torch_ad.forward(kind, tm, x)]))
        loss_t, grads_t = torch_ad.loss_and_grads(kind, tm, x, y)
        loss_k, grads_k = tf_ad.loss_and_grads(kind, km, x, y)
        results.append(compare(kind, "loss", [loss_k], [loss_t]))
        results.append(compare(kind, "gradients", grads_k, grads_t, names))
        if kind in ("mlp", "cnn"):  # one optimizer step from fresh copies
            tm2, km2 = torch_ad.build(kind, cfg, weights), tf_ad.build(kind, cfg, weights)
            torch_ad.sgd_step(kind, tm2, x, y)
            tf_ad.sgd_step(kind, km2, x, y)
            results.append(
                compare(
                    kind, "weights after one SGD step", tf_ad.weights(kind, km2), torch_ad.weights(kind, tm2), names
                )
            )
    if raise_on_fail:
        require(results)
    return results


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m fwbench.parity")
    ap.add_argument("--mode", default=None)
    ap.add_argument("--json", default=None, help="write the rows here instead of printing them")
    args = ap.parse_args(argv)
    results = check(args.mode, raise_on_fail=False)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([r.as_dict() for r in results], fh, indent=1)
    else:
        for r in results:
            print(f"{r.workload:12} {r.quantity:28} {r.max_rel_diff:.2e} {'ok' if r.ok else 'FAIL ' + (r.worst or '')}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
