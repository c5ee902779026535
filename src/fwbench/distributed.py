"""Data-parallel training on one machine: tf.distribute.MirroredStrategy over two logical CPU
devices, and PyTorch DistributedDataParallel over two processes with the gloo backend and a
``file://`` rendezvous (no network). Each run starts from the same NumPy weights as a
single-process run on the same global batches; both must end with the same weights.

On a 2-core machine this cannot be a speed-up: the two replicas share the same two cores
that the single process already used. The timings are reported for honesty, not as a result.
"""

from __future__ import annotations

import os
import time

import numpy as np

from fwbench import params as P
from fwbench.config import Mode
from fwbench.timing import quartiles

GLOBAL_BATCH = 256
REPLICAS = 2


def _summary(samples: list[float]) -> dict:
    q1, med, q3 = quartiles(samples)
    return {"median_ms": med * 1e3, "q1_ms": q1 * 1e3, "q3_ms": q3 * 1e3, "samples_s": samples}


def _max_rel(xs, ys) -> float:
    from fwbench.parity import rel_diff_list

    return rel_diff_list(xs, ys)


# ---- TensorFlow -----------------------------------------------------------------------------------


def run_tensorflow(mode: Mode, threads: dict, tmp: str) -> dict:
    import keras  # noqa: I001
    import tensorflow as tf

    from fwbench import tf_impl as K

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * REPLICAS)
    applied = K.set_threads(threads)
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]

    cfg, w = mode.mlp, P.mlp_params(mode.mlp)
    steps, g = mode.dist_steps, GLOBAL_BATCH
    x, y = P.mlp_data(cfg, batch=g * steps, seed=7)

    def fit(model, n_steps):
        return model.fit(x[: g * n_steps], y[: g * n_steps], batch_size=g, epochs=1, shuffle=False, verbose=0)

    def timed(model):
        fit(model, 1)  # warm-up: traces the train function
        samples = []
        for _ in range(mode.dist_repeats):
            t0 = time.perf_counter()
            fit(model, steps)
            samples.append((time.perf_counter() - t0) / steps)
        return _summary(samples)

    # single device, the reference
    single = K.mlp(cfg, w)
    single.compile(optimizer=keras.optimizers.SGD(P.LR), loss="mse")
    fit(single, steps)
    ref = [v.numpy() for v in single.trainable_variables]

    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        mirrored = K.mlp(cfg, w)
        mirrored.compile(optimizer=keras.optimizers.SGD(P.LR), loss="mse")
    fit(mirrored, steps)
    got = [v.numpy() for v in mirrored.trainable_variables]
    diff = _max_rel(got, ref)

    return {
        "framework": "tensorflow",
        "api": "tf.distribute.MirroredStrategy + Keras fit",
        "devices": devices,
        "replicas": int(strategy.num_replicas_in_sync),
        "cross_device_ops": type(strategy.extended._cross_device_ops).__name__
        if getattr(strategy.extended, "_cross_device_ops", None)
        else None,
        "global_batch": g,
        "steps": steps,
        "threads_applied": applied,
        "max_rel_diff_vs_single": diff,
        "single_step": timed(single),
        "distributed_step": timed(mirrored),
    }


# ---- PyTorch --------------------------------------------------------------------------------------


def _ddp_rank(
    rank: int,
    world: int,
    init_file: str,
    out_dir: str,
    cfg: dict,
    w: list,
    x: np.ndarray,
    y: np.ndarray,
    steps: int,
    repeats: int,
    intra: int,
) -> None:
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from fwbench import torch_impl as T

    torch.set_num_threads(intra)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    model = DistributedDataParallel(T.mlp(cfg, w))
    opt = torch.optim.SGD(model.parameters(), lr=P.LR)
    g, local = GLOBAL_BATCH, GLOBAL_BATCH // world
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step(s):
        lo = s * g + rank * local  # this rank's half of global batch s
        opt.zero_grad(set_to_none=True)
        loss = T.loss_fn(model(xt[lo : lo + local]), yt[lo : lo + local])
        loss.backward()  # DDP all-reduces (averages) the gradients here
        opt.step()

    for s in range(steps):
        step(s)
    if rank == 0:
        np.savez(os.path.join(out_dir, "ddp.npz"), *T.canonical("mlp", model.module))
    step(0)  # warm-up for the timing
    samples = []
    for _ in range(repeats):
        dist.barrier()
        t0 = time.perf_counter()
        for s in range(steps):
            step(s)
        samples.append((time.perf_counter() - t0) / steps)
    if rank == 0:
        np.save(os.path.join(out_dir, "ddp_times.npy"), np.array(samples))
        np.save(os.path.join(out_dir, "ddp_threads.npy"), np.array([torch.get_num_threads()]))
    dist.destroy_process_group()


def run_torch(mode: Mode, threads: dict, tmp: str) -> dict:
    import torch
    import torch.multiprocessing as mp

    from fwbench import torch_impl as T

    applied = T.set_threads(threads)
    cfg, w = mode.mlp, P.mlp_params(mode.mlp)
    steps, g = mode.dist_steps, GLOBAL_BATCH
    x, y = P.mlp_data(cfg, batch=g * steps, seed=7)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    single = T.mlp(cfg, w)
    opt = torch.optim.SGD(single.parameters(), lr=P.LR)

    def step(s):
        opt.zero_grad(set_to_none=True)
        T.loss_fn(single(xt[s * g : (s + 1) * g]), yt[s * g : (s + 1) * g]).backward()
        opt.step()

    for s in range(steps):
        step(s)
    ref = T.canonical("mlp", single)
    step(0)
    samples = []
    for _ in range(mode.dist_repeats):
        t0 = time.perf_counter()
        for s in range(steps):
            step(s)
        samples.append((time.perf_counter() - t0) / steps)
    single_step = _summary(samples)

    # two processes, each with an equal share of the cores
    intra = max(1, threads["intra_op"] // REPLICAS)
    init_file = os.path.join(tmp, "rendezvous")
    t0 = time.perf_counter()
    mp.spawn(
        _ddp_rank,
        args=(REPLICAS, init_file, tmp, cfg, w, x, y, steps, mode.dist_repeats, intra),
        nprocs=REPLICAS,
        join=True,
    )
    spawn_s = time.perf_counter() - t0
    with np.load(os.path.join(tmp, "ddp.npz")) as z:
        got = [z[f"arr_{i}"] for i in range(len(z.files))]
    return {
        "framework": "pytorch",
        "api": "DistributedDataParallel, gloo, file:// rendezvous",
        "replicas": REPLICAS,
        "backend": "gloo",
        "global_batch": g,
        "steps": steps,
        "threads_applied": applied,
        "threads_per_rank": int(np.load(os.path.join(tmp, "ddp_threads.npy"))[0]),
        "max_rel_diff_vs_single": _max_rel(got, ref),
        "single_step": single_step,
        "distributed_step": _summary(list(np.load(os.path.join(tmp, "ddp_times.npy")))),
        "spawn_and_run_s": spawn_s,
    }
