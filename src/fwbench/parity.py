"""Same model, same weights, same numbers: the check that runs before anything is timed.

Imports torch and torch._dynamo first, then TensorFlow: with the pinned wheels, importing
TensorFlow first segfaults, and so does a *late* first import of torch._dynamo (which pulls in
triton) after TensorFlow; torch.optim triggers that import the first time an optimizer is built.
For every workload it builds the PyTorch and the Keras model from one set of NumPy weights and
compares, in the canonical layout: forward outputs, the loss, every gradient, and (for the
training workloads) every weight after one SGD step. The figure compared is the largest
absolute difference divided by the largest magnitude of the reference (PyTorch) array.
"""

from __future__ import annotations

import numpy as np

from fwbench import params as P
from fwbench.config import Mode, get_mode

TOL = 2e-5  # float32 has ~7 significant digits; different summation orders cost a few ulps


def rel_diff(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def rel_diff_list(xs, ys) -> float:
    """One figure for a list of arrays, scaled by the largest magnitude in the whole list.

    (Scaling array by array would blow up on arrays that are zero in exact arithmetic, such as
    the gradient of the attention key bias, which softmax's shift invariance cancels.)"""
    diff = max(
        float(np.max(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64))))
        for x, y in zip(xs, ys, strict=True)
    )
    scale = max(float(np.max(np.abs(np.asarray(y, np.float64)))) for y in ys)
    return diff / max(scale, 1e-30)


def check(mode: Mode | str | None = None, *, raise_on_fail: bool = True) -> list[dict]:
    import torch  # noqa: I001  (torch before tensorflow)
    import torch._dynamo  # noqa: F401  torch.optim imports it lazily; after TF that import segfaults (triton)
    from fwbench import torch_impl as T
    from fwbench import tf_impl as K
    import tensorflow as tf

    mode = mode if isinstance(mode, Mode) else get_mode(mode)
    rows: list[dict] = []

    def row(workload, quantity, value):
        rows.append(
            {
                "workload": workload,
                "quantity": quantity,
                "max_rel_diff": value,
                "tolerance": TOL,
                "ok": bool(value <= TOL),
            }
        )

    # dense matmul: NumPy's BLAS, TensorFlow and PyTorch on the same arrays
    a, b = P.dense_data(512)
    ref = a @ b
    row("dense", "tf.matmul vs numpy", rel_diff(tf.matmul(a, b).numpy(), ref))
    row("dense", "torch.matmul vs numpy", rel_diff((torch.from_numpy(a) @ torch.from_numpy(b)).numpy(), ref))

    # three models: MLP and CNN (train step), transformer encoder (forward + backward)
    specs = {
        "mlp": (mode.mlp, P.mlp_params(mode.mlp), *P.mlp_data(mode.mlp), T.mlp, K.mlp, lambda x: torch.from_numpy(x)),
        "cnn": (mode.cnn, P.cnn_params(mode.cnn), *P.cnn_data(mode.cnn), T.cnn, K.cnn, T.nchw),
        "transformer": (
            mode.transformer,
            P.transformer_params(mode.transformer),
            *P.transformer_data(mode.transformer),
            T.transformer,
            K.transformer,
            lambda x: torch.from_numpy(x),
        ),
    }
    for kind, (cfg, weights, x, y, build_t, build_k, to_t) in specs.items():
        tm, km = build_t(cfg, weights), build_k(cfg, weights)
        kvars = K.canonical_vars(kind, km)
        shapes = [w.shape for w in T.canonical(kind, tm)]
        row(kind, "weights after copy", rel_diff_list(K.to_canonical(kvars, shapes), T.canonical(kind, tm)))
        xt, yt = to_t(x), torch.from_numpy(y)
        out_t = tm(xt)
        out_k = km(x, training=True)
        row(kind, "forward output", rel_diff(out_k.numpy(), out_t.detach().numpy()))
        loss_t = T.loss_fn(out_t, yt)
        loss_t.backward()
        with tf.GradientTape() as tape:
            loss_k = K.loss_fn(km(x, training=True), y)
        grads_k = tape.gradient(loss_k, kvars)
        row(kind, "loss", rel_diff(float(loss_k), float(loss_t.detach())))
        row(kind, "gradients", rel_diff_list(K.to_canonical(grads_k, shapes), T.canonical(kind, tm, "grad")))
        if kind in ("mlp", "cnn"):  # one optimizer step from fresh copies
            tm2, km2 = build_t(cfg, weights), build_k(cfg, weights)
            T.train_step(tm2, xt, yt)()
            K.train_step(km2)(tf.constant(x), tf.constant(y))
            row(
                kind,
                "weights after one SGD step",
                rel_diff_list(K.to_canonical(K.canonical_vars(kind, km2), shapes), T.canonical(kind, tm2)),
            )
    bad = [r for r in rows if not r["ok"]]
    if bad and raise_on_fail:
        raise AssertionError(f"frameworks disagree, nothing will be timed: {bad}")
    return rows


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m fwbench.parity")
    ap.add_argument("--mode", default=None)
    ap.add_argument("--json", default=None, help="write the rows here instead of printing them")
    args = ap.parse_args(argv)
    rows = check(args.mode, raise_on_fail=False)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    else:
        for r in rows:
            print(f"{r['workload']:12} {r['quantity']:28} {r['max_rel_diff']:.2e} {'ok' if r['ok'] else 'FAIL'}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
