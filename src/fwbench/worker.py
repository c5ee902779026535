"""Subprocess entry points: one framework per process, so each framework's thread pools are the
only ones working while it is timed (and the torch/TensorFlow import-order crash cannot happen).

    python -m fwbench.worker {ceiling,torch,tensorflow,memory-torch,memory-tensorflow,
                              dist-torch,dist-tensorflow} --mode quick --out result.json

Every task writes one JSON object: ``rows`` (timings) or its own figures, plus the threads it
applied, the BLAS/OpenMP pools threadpoolctl saw, and its wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

from fwbench import params as P
from fwbench.config import Mode, get_mode, threads_from_env
from fwbench.machine import blas_pools
from fwbench.timing import first_call, measure, measure_many

WORKLOAD_UNITS = {
    "dense": "GFLOP/s",
    "mlp_train": "ms/step",
    "cnn_train": "ms/step",
    "transformer_fwd_bwd": "ms/step",
    "tiny_op": "µs/op",
    "infer_b1": "ms/call",
}


def _row(
    framework: str,
    workload: str,
    mode: str,
    stats: dict,
    *,
    scale: float,
    flops: float | None = None,
    first_s: float | None = None,
    parity: float | None = None,
    **extra,
) -> dict:
    """One result row. ``scale`` turns seconds per call into the workload's unit per item
    (for example 1e6 / n_ops for microseconds per op, or 1e3 / k for ms per step)."""
    unit = WORKLOAD_UNITS[workload]
    if flops is not None:  # throughput: a slower sample is a smaller figure, so q1/q3 swap
        value, lo, hi = (flops / stats[k] / 1e9 for k in ("median_s", "q3_s", "q1_s"))
    else:
        value, lo, hi = (stats[k] * scale for k in ("median_s", "q1_s", "q3_s"))
    per_call = stats["median_s"]
    return {
        "framework": framework,
        "workload": workload,
        "mode": mode,
        "unit": unit,
        "value": value,
        "q1": lo,
        "q3": hi,
        "iqr_rel": (stats["q3_s"] - stats["q1_s"]) / stats["median_s"],
        "median_s": per_call,
        "q1_s": stats["q1_s"],
        "q3_s": stats["q3_s"],
        "repeats": stats["repeats"],
        "warmup": stats["warmup"],
        "inner": stats["inner"],
        "first_call_s": first_s,
        "compile_s": None if first_s is None else max(first_s - per_call, 0.0),  # first call minus a steady one
        "parity_max_rel_diff": parity,
        **extra,
    }


def _rel(a, b) -> float:
    from fwbench.parity import rel_diff, rel_diff_list

    if isinstance(a, (list, tuple)):
        return rel_diff_list(a, b)
    return rel_diff(a, b)


def _check(diff: float, what: str, tol: float = 2e-5) -> float:
    if not diff <= tol:
        raise AssertionError(f"{what}: differs from eager by {diff:.3g} (> {tol}); not timing it")
    return diff


def numpy_ceiling(n: int, mode: Mode) -> dict:
    """NumPy's BLAS alone on the n x n fp32 matmul (the standalone ceiling process)."""
    a, b = P.dense_data(n)
    stats = measure(lambda: a @ b, repeats=mode.repeats, warmup=mode.warmup, min_sample_s=mode.min_sample_s)
    return _row("numpy", "dense", "numpy-blas", stats, scale=1.0, flops=P.flops_dense(n), size=n)


class _Bench:
    """Collects the callables of one workload, then times them interleaved (see measure_many)."""

    def __init__(self, framework: str, mode: Mode):
        self.framework, self.mode, self.rows = framework, mode, []
        self.phase_s: dict[str, float] = {}  # wall time per workload, compiling included
        self._mark = time.perf_counter()

    def run(self, workload: str, entries: list[dict], *, groups: dict | None = None) -> None:
        """``entries``: dicts with ``mode``, ``fn`` and optionally ``per_call`` (items per call: steps
        or ops), ``first_s``, ``parity``, ``flops``, ``framework`` and extra fields for the row."""
        m = self.mode
        stats = measure_many(
            {e["mode"]: e["fn"] for e in entries},
            repeats=m.repeats,
            warmup=m.warmup,
            min_sample_s=m.min_sample_s,
            groups=groups,
        )
        for e in entries:
            st = stats[e["mode"]]
            k = e.get("per_call", 1)
            if k != 1:
                st = {**st, **{q: st[q] / k for q in ("median_s", "q1_s", "q3_s", "iqr_s")}}
            scale = {"GFLOP/s": 1.0, "ms/step": 1e3, "ms/call": 1e3, "µs/op": 1e6}[WORKLOAD_UNITS[workload]]
            extra = {
                key: v
                for key, v in e.items()
                if key not in ("mode", "fn", "per_call", "first_s", "parity", "flops", "framework")
            }
            self.rows.append(
                _row(
                    e.get("framework", self.framework),
                    workload,
                    e["mode"],
                    st,
                    scale=scale,
                    flops=e.get("flops"),
                    first_s=e.get("first_s"),
                    parity=e.get("parity"),
                    **extra,
                )
            )
        now = time.perf_counter()
        self.phase_s[workload] = self.phase_s.get(workload, 0.0) + now - self._mark
        self._mark = now


# ---- PyTorch --------------------------------------------------------------------------------------


def run_torch(mode: Mode, threads: dict) -> dict:
    import torch
    import torch._dynamo  # noqa: F401

    from fwbench import torch_impl as T

    applied = T.set_threads(threads)
    torch.manual_seed(0)
    bench = _Bench("pytorch", mode)
    notes = {}

    def dense(n: int) -> None:  # dense matmul, sampled in turns with NumPy's BLAS (the ceiling)
        an, bn = P.dense_data(n)
        a, b = torch.from_numpy(an), torch.from_numpy(bn)
        ref = torch.matmul(a, b)
        mm = torch.compile(lambda x, y: torch.matmul(x, y))
        t1, out = first_call(lambda: mm(a, b))
        d = _check(_rel(out.numpy(), ref.numpy()), "torch.compile matmul")
        f = P.flops_dense(n)
        bench.run(
            "dense",
            [
                {
                    "mode": "numpy-blas",
                    "framework": "numpy",
                    "fn": lambda: an @ bn,
                    "flops": f,
                    "size": n,
                    "ceiling_for": "pytorch",
                },
                {"mode": "torch-eager", "fn": lambda: torch.matmul(a, b), "flops": f, "size": n},
                {"mode": "torch-compile", "fn": lambda: mm(a, b), "flops": f, "size": n, "first_s": t1, "parity": d},
            ],
            groups={"numpy-blas": "numpy"},
        )

    for n in mode.dense_sizes:
        dense(n)

    # training steps: MLP and CNN (forward, backward, SGD update); transformer (forward, backward)
    specs = [
        ("mlp_train", mode.mlp, P.mlp_params(mode.mlp), P.mlp_data(mode.mlp), T.mlp, torch.from_numpy, T.train_step),
        ("cnn_train", mode.cnn, P.cnn_params(mode.cnn), P.cnn_data(mode.cnn), T.cnn, T.nchw, T.train_step),
        (
            "transformer_fwd_bwd",
            mode.transformer,
            P.transformer_params(mode.transformer),
            P.transformer_data(mode.transformer),
            T.transformer,
            torch.from_numpy,
            T.fwd_bwd_step,
        ),
    ]

    def model_step(workload, cfg, w, x, y, build, to_t, make_step) -> None:
        kind = workload.split("_")[0]
        xt, yt = to_t(x), torch.from_numpy(y)
        what = "param" if make_step is T.train_step else "grad"
        ref_model = build(cfg, w)
        make_step(ref_model, xt, yt)()
        ref = T.canonical(kind, ref_model, what)
        entries = [{"mode": "torch-eager", "fn": make_step(build(cfg, w), xt, yt)}]
        if mode.compile_training:
            model_c = build(cfg, w)
            step_c = make_step(torch.compile(model_c), xt, yt)
            t1, _ = first_call(step_c)
            d = _check(_rel(T.canonical(kind, model_c, what), ref), f"torch.compile {workload}")
            entries.append({"mode": "torch-compile", "fn": step_c, "first_s": t1, "parity": d})
        bench.run(workload, entries)

    for workload, cfg, w, (x, y), build, to_t, make_step in specs:
        model_step(workload, cfg, w, x, y, build, to_t, make_step)
    if not mode.compile_training:
        notes["torch-compile-training"] = (
            "not run in quick mode: each training step needs a cold compile of 10 s or more (see the full mode)"
        )

    # tiny-op dispatch: a chain of scalar-sized elementwise ops, cost per op
    k = mode.tiny_ops
    chain, chain_c = T.tiny_chain(k), torch.compile(T.tiny_chain(k))
    x8 = torch.ones(8)
    t1, out = first_call(lambda: chain_c(x8))
    d = _check(_rel(out.numpy(), chain(x8).numpy()), "torch.compile chain")
    bench.run(
        "tiny_op",
        [
            {"mode": "torch-eager", "fn": lambda: chain(x8), "per_call": k, "ops": k},
            {"mode": "torch-compile", "fn": lambda: chain_c(x8), "per_call": k, "ops": k, "first_s": t1, "parity": d},
        ],
    )

    # batch-1 inference latency of the CNN
    x1 = T.nchw(P.cnn_data(mode.cnn)[0][:1])
    model = T.cnn(mode.cnn, P.cnn_params(mode.cnn)).eval()
    ref = model(x1).detach().numpy()
    model_c = torch.compile(T.cnn(mode.cnn, P.cnn_params(mode.cnn)).eval())

    def infer_im():
        with torch.inference_mode():
            return model(x1)

    def infer_c():
        with torch.inference_mode():
            return model_c(x1)

    t1, out = first_call(infer_c)
    d = _check(_rel(out.numpy(), ref), "torch.compile inference")
    bench.run(
        "infer_b1",
        [
            {"mode": "torch-eager", "fn": lambda: model(x1)},
            {"mode": "torch-inference-mode", "fn": infer_im},
            {"mode": "torch-compile", "fn": infer_c, "first_s": t1, "parity": d},
        ],
    )

    return {
        "framework": "pytorch",
        "threads_requested": threads,
        "threads_applied": applied,
        "torch_parallel_info": torch.__config__.parallel_info(),
        "rows": bench.rows,
        "notes": notes,
        "phase_s": bench.phase_s,
    }


# ---- TensorFlow / Keras ---------------------------------------------------------------------------


def run_tensorflow(mode: Mode, threads: dict) -> dict:
    from fwbench import tf_impl as K

    applied = K.set_threads(threads)  # before any op
    import keras
    import tensorflow as tf

    tf.random.set_seed(0)
    bench = _Bench("tensorflow", mode)
    notes = {}

    def dense(n: int) -> None:  # dense matmul, sampled in turns with NumPy's BLAS (the ceiling)
        an, bn = P.dense_data(n)
        a, b = tf.constant(an), tf.constant(bn)
        ref = tf.matmul(a, b).numpy()
        f = P.flops_dense(n)
        entries = [
            {
                "mode": "numpy-blas",
                "framework": "numpy",
                "fn": lambda: an @ bn,
                "flops": f,
                "size": n,
                "ceiling_for": "tensorflow",
            },
            {"mode": "tf-eager", "fn": lambda: tf.matmul(a, b), "flops": f, "size": n},
        ]
        for name, jit in (("tf-function", False), ("tf-xla", True)):
            fn = tf.function(lambda x, y: tf.matmul(x, y), jit_compile=jit)
            t1, out = first_call(lambda fn=fn: fn(a, b))
            d = _check(_rel(out.numpy(), ref), f"{name} matmul")
            entries.append(
                {"mode": name, "fn": lambda fn=fn: fn(a, b), "flops": f, "size": n, "first_s": t1, "parity": d}
            )
        bench.run("dense", entries, groups={"numpy-blas": "numpy"})

    for n in mode.dense_sizes:
        dense(n)

    specs = [
        ("mlp_train", mode.mlp, P.mlp_params(mode.mlp), P.mlp_data(mode.mlp), K.mlp),
        ("cnn_train", mode.cnn, P.cnn_params(mode.cnn), P.cnn_data(mode.cnn), K.cnn),
        (
            "transformer_fwd_bwd",
            mode.transformer,
            P.transformer_params(mode.transformer),
            P.transformer_data(mode.transformer),
            K.transformer,
        ),
    ]

    def model_step(workload, cfg, w, x, y, build) -> None:
        kind = workload.split("_")[0]
        train = workload.endswith("_train")
        xt, yt = tf.constant(x), tf.constant(y)
        flat = w if kind != "transformer" else [layer[key] for layer in w for key in P.TRANSFORMER_KEYS]
        shapes = [v.shape for v in flat]

        def state(model, out):
            vals = K.canonical_vars(kind, model) if train else out[1]
            return K.to_canonical(vals, shapes)

        def make(model):
            return K.train_step(model) if train else K.fwd_bwd_step(model, kind)

        ref_model = build(cfg, w)
        ref = state(ref_model, make(ref_model)(xt, yt))
        step = make(build(cfg, w))
        entries = [{"mode": "tf-eager", "fn": lambda: step(xt, yt)}]
        for name, jit in (("tf-function", False), ("tf-xla", True)):
            m = build(cfg, w)
            fn = tf.function(make(m), jit_compile=jit)
            t1, out = first_call(lambda fn=fn: fn(xt, yt))
            d = _check(_rel(state(m, out), ref), f"{name} {workload}")
            entries.append({"mode": name, "fn": lambda fn=fn: fn(xt, yt), "first_s": t1, "parity": d})
        if train:  # Keras fit: the same SGD step, driven by model.fit over k in-memory batches per call
            m = build(cfg, w)
            m.compile(optimizer=keras.optimizers.SGD(P.LR), loss="mse")
            bs = len(x)
            t1, _ = first_call(lambda: m.fit(x, y, batch_size=bs, epochs=1, shuffle=False, verbose=0))
            d = _check(_rel(K.to_canonical(K.canonical_vars(kind, m), shapes), ref), f"keras fit {workload}")
            kk = mode.keras_fit_steps
            xk, yk = np.concatenate([x] * kk), np.concatenate([y] * kk)
            entries.append(
                {
                    "mode": "keras-fit",
                    "per_call": kk,
                    "first_s": t1,
                    "parity": d,
                    "fn": lambda: m.fit(xk, yk, batch_size=bs, epochs=1, shuffle=False, verbose=0),
                    "keras_jit_compile": bool(m.jit_compile),
                    "fit_steps_per_call": kk,
                }
            )
        bench.run(workload, entries)

    for workload, cfg, w, (x, y), build in specs:
        model_step(workload, cfg, w, x, y, build)

    k = mode.tiny_ops
    chain = K.tiny_chain(k)
    x8 = tf.ones(8)
    ref = chain(x8).numpy()
    entries = [{"mode": "tf-eager", "fn": lambda: chain(x8), "per_call": k, "ops": k}]
    for name, jit in (("tf-function", False), ("tf-xla", True)):
        fn = tf.function(K.tiny_chain(k), jit_compile=jit)
        t1, out = first_call(lambda fn=fn: fn(x8))
        d = _check(_rel(out.numpy(), ref), f"{name} chain")
        entries.append({"mode": name, "fn": lambda fn=fn: fn(x8), "per_call": k, "ops": k, "first_s": t1, "parity": d})
    bench.run("tiny_op", entries)

    x1 = P.cnn_data(mode.cnn)[0][:1]
    x1t = tf.constant(x1)
    model = K.cnn(mode.cnn, P.cnn_params(mode.cnn))
    ref = model(x1t, training=False).numpy()
    entries = [{"mode": "tf-eager", "fn": lambda: model(x1t, training=False)}]
    for name, jit in (("tf-function", False), ("tf-xla", True)):
        fn = tf.function(lambda v: model(v, training=False), jit_compile=jit)
        t1, out = first_call(lambda fn=fn: fn(x1t))
        d = _check(_rel(out.numpy(), ref), f"{name} inference")
        entries.append({"mode": name, "fn": lambda fn=fn: fn(x1t), "first_s": t1, "parity": d})
    t1, out = first_call(lambda: model.predict(x1, verbose=0))
    d = _check(_rel(out, ref), "keras predict")
    entries.append({"mode": "keras-predict", "fn": lambda: model.predict(x1, verbose=0), "first_s": t1, "parity": d})
    bench.run("infer_b1", entries)

    return {
        "framework": "tensorflow",
        "threads_requested": threads,
        "threads_applied": applied,
        "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)"),
        "rows": bench.rows,
        "notes": notes,
        "phase_s": bench.phase_s,
    }


# ---- peak memory of the same training run ---------------------------------------------------------


def _peak_rss_bytes(proc) -> int:
    """The process's own high-water mark (VmHWM). Not ru_maxrss: Linux carries ru_maxrss over
    from the parent across fork and exec, so a child of a big Jupyter kernel would report the
    kernel's peak."""
    try:
        for line in open(f"/proc/{proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource  # elsewhere: the best available figure

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def run_memory(framework: str, mode: Mode, threads: dict) -> dict:
    """RSS after import, and the peak RSS after ``memory_steps`` eager MLP training steps."""
    import psutil

    proc = psutil.Process()
    rss_start = proc.memory_info().rss
    x, y = P.mlp_data(mode.mlp)
    w = P.mlp_params(mode.mlp)
    t0 = time.perf_counter()
    if framework == "pytorch":
        import torch
        import torch._dynamo  # noqa: F401  (torch.optim imports it anyway; import it before measuring)

        from fwbench import torch_impl as T

        T.set_threads(threads)
        rss_import = proc.memory_info().rss
        step = T.train_step(T.mlp(mode.mlp, w), torch.from_numpy(x), torch.from_numpy(y))
        for _ in range(mode.memory_steps):
            loss = step()
        final = float(loss.detach())
    else:
        from fwbench import tf_impl as K

        K.set_threads(threads)
        import tensorflow as tf

        rss_import = proc.memory_info().rss
        step = K.train_step(K.mlp(mode.mlp, w))
        xt, yt = tf.constant(x), tf.constant(y)
        for _ in range(mode.memory_steps):
            loss = step(xt, yt)
        final = float(loss)
    rss_end = proc.memory_info().rss
    peak = _peak_rss_bytes(proc)
    mb = 2**20
    return {
        "framework": framework,
        "steps": mode.memory_steps,
        "workload": "mlp_train",
        "final_loss": final,
        "rss_start_mb": rss_start / mb,
        "rss_after_import_mb": rss_import / mb,
        "rss_end_mb": rss_end / mb,
        "peak_rss_mb": peak / mb,
        "training_growth_mb": (peak - rss_import) / mb,
        "elapsed_s": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fwbench.worker")
    ap.add_argument(
        "task",
        choices=[
            "ceiling",
            "torch",
            "tensorflow",
            "memory-torch",
            "memory-tensorflow",
            "dist-torch",
            "dist-tensorflow",
        ],
    )
    ap.add_argument("--mode", default=None)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    mode, threads = get_mode(args.mode), threads_from_env()
    t0 = time.perf_counter()
    if args.task == "ceiling":
        result = {"rows": [numpy_ceiling(n, mode) for n in mode.dense_sizes]}
    elif args.task == "torch":
        result = run_torch(mode, threads)
    elif args.task == "tensorflow":
        result = run_tensorflow(mode, threads)
    elif args.task.startswith("memory-"):
        result = run_memory("pytorch" if args.task.endswith("torch") else "tensorflow", mode, threads)
    else:
        from fwbench import distributed

        fn = distributed.run_torch if args.task == "dist-torch" else distributed.run_tensorflow
        with tempfile.TemporaryDirectory() as tmp:
            result = fn(mode, threads, tmp)
    result.update(
        {"task": args.task, "mode": mode.name, "blas_pools": blas_pools(), "wall_s": time.perf_counter() - t0}
    )
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
