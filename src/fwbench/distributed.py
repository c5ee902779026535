"""Data-parallel training on one machine: tf.distribute.MirroredStrategy over two logical CPU
devices, and PyTorch DistributedDataParallel over two processes with the gloo backend and a
``file://`` rendezvous (no network). Each run starts from the same NumPy weights as a
single-process run on the same global batches; both must end with the same weights.

What the notebook asserts is read from the running replicas, not from constants here: the
strategy's ``num_replicas_in_sync``, the replica ids and per-replica batch sizes it hands out and
each replica's own copy of every weight;
each DDP rank's ``get_rank()``, ``get_world_size()``, ``get_backend()``, thread count, the samples
it trained on and its final weights, gathered from the ranks with ``all_gather_object``.

On a 2-core machine this cannot be a speed-up: the two replicas share the same two cores that
the single process already used. The timings (single process and two replicas sampled in turns)
are reported for honesty, not as a result.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from fwbench import params as P
from fwbench.config import Mode
from fwbench.parity import TOL, compare
from fwbench.timing import sample_in_turns

GLOBAL_BATCH = 256
REPLICAS = 2  # what we ask for; the results report what the frameworks ran


def _data(mode: Mode) -> tuple[np.ndarray, np.ndarray]:
    return P.mlp_data(mode.mlp, batch=GLOBAL_BATCH * mode.dist_steps, seed=7)


def _timed(fns: dict[str, Callable[[], object]], mode: Mode) -> dict[str, dict]:
    """Each callable runs ``dist_steps`` steps; sampled in turns, reported per step in ms."""
    stats = sample_in_turns(fns, repeats=mode.dist_repeats, warmup=1, min_sample_s=0.0, pause_s=0.0)
    return {name: s.per_item(mode.dist_steps).ms() for name, s in stats.items()}


# ---- TensorFlow -----------------------------------------------------------------------------------


def run_tensorflow(mode: Mode, threads: dict, tmp: str, turn: Callable[[], None] = lambda: None) -> dict:
    import keras  # noqa: I001
    import tensorflow as tf

    from fwbench import tf_impl as K

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * REPLICAS)
    applied = K.set_threads(threads)
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]

    cfg, w = mode.mlp, P.mlp_params(mode.mlp)
    steps, g = mode.dist_steps, GLOBAL_BATCH
    x, y = _data(mode)

    def fit(model, n_steps):
        return model.fit(x[: g * n_steps], y[: g * n_steps], batch_size=g, epochs=1, shuffle=False, verbose=0)

    single = K.mlp(cfg, w)  # one device, the reference
    single.compile(optimizer=keras.optimizers.SGD(P.LR), loss="mse")
    fit(single, steps)

    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        mirrored = K.mlp(cfg, w)
        mirrored.compile(optimizer=keras.optimizers.SGD(P.LR), loss="mse")
    fit(mirrored, steps)
    parity = compare("mlp", "weights after data-parallel training", mirrored.get_weights(), single.get_weights(),
                     P.param_names("mlp", cfg), TOL)  # fmt: skip
    # get_weights() reads one replica's copy; each device's own copy of every weight, read here,
    # shows whether the replicas stayed in step (Keras 3.4's fit let them drift apart).
    copies = [
        [
            np.asarray(c)
            for c in strategy.experimental_local_results(v if callable(getattr(v, "value", None)) else v.value)
        ]
        for v in mirrored.trainable_variables
    ]  # one list per weight: [replica 0's, replica 1's]; a Keras 3 variable wraps the tf.Variable in .value
    replicas_agree = max(
        compare("mlp", "replica against replica 0", [c[i] for c in copies], [c[0] for c in copies]).max_rel_diff
        for i in range(len(copies[0]))
    )

    # What the running strategy hands each replica: its id, and its share of one global batch.
    ids = strategy.experimental_local_results(
        strategy.run(lambda: tf.distribute.get_replica_context().replica_id_in_sync_group)
    )
    batch = next(iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices(x).batch(g))))
    shards = strategy.experimental_local_results(batch)
    replicas = [
        {"replica_id": int(i), "device": t.device, "batch": int(t.shape[0])} for i, t in zip(ids, shards, strict=True)
    ]

    turn()
    timing = _timed({"single": lambda: fit(single, steps), "distributed": lambda: fit(mirrored, steps)}, mode)
    return {
        "framework": "tensorflow",
        "api": "tf.distribute.MirroredStrategy + Keras fit",
        "devices": devices,
        "num_replicas_in_sync": int(strategy.num_replicas_in_sync),
        "replicas": replicas,
        "cross_device_ops": type(strategy.extended._cross_device_ops).__name__
        if getattr(strategy.extended, "_cross_device_ops", None)
        else None,
        "global_batch": g,
        "steps": steps,
        "threads_applied": applied,
        "parity": parity.as_dict(),
        "max_rel_diff_vs_single": parity.max_rel_diff,
        "copies_per_weight": len(copies[0]),
        "max_rel_diff_between_replicas": replicas_agree,
        "single_step": timing["single"],
        "distributed_step": timing["distributed"],
    }


# ---- PyTorch --------------------------------------------------------------------------------------


def _ddp(rank: int, world: int, init_file: str, mode: Mode, intra: int):
    """Join the process group as ``rank``, train ``dist_steps`` steps on this rank's half of each
    global batch, and gather every rank's report. Returns (reports, run_steps)."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from fwbench import torch_impl as T

    torch.set_num_threads(intra)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    cfg, steps = mode.mlp, mode.dist_steps
    x, y = _data(mode)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model = DistributedDataParallel(T.mlp(cfg, P.mlp_params(cfg)))
    opt = torch.optim.SGD(model.parameters(), lr=P.LR)
    local = GLOBAL_BATCH // dist.get_world_size()
    seen = 0

    def step(s: int) -> int:
        lo = s * GLOBAL_BATCH + dist.get_rank() * local  # this rank's share of global batch s
        xb, yb = xt[lo : lo + local], yt[lo : lo + local]
        opt.zero_grad(set_to_none=True)
        T.loss_fn(model(xb), yb).backward()  # DDP all-reduces (averages) the gradients here
        opt.step()
        return len(xb)

    for s in range(steps):
        seen += step(s)
    report = {
        "rank": dist.get_rank(),
        "world_size": dist.get_world_size(),
        "backend": str(dist.get_backend()),
        "threads": torch.get_num_threads(),
        "pid": os.getpid(),
        "samples": seen,
        "weights": T.canonical("mlp", model.module),
    }
    reports = [None] * dist.get_world_size()
    dist.all_gather_object(reports, report)

    def run_steps() -> None:
        torch.set_num_threads(intra)
        for s in range(steps):
            step(s)

    return reports, run_steps


def _ddp_rank(index: int, world: int, init_file: str, mode: Mode, intra: int) -> None:
    """A spawned rank (rank ``index + 1``; the worker process itself is rank 0): it trains, reports,
    then takes part in the timed steps, which rank 0 starts when its turn comes."""
    import torch.distributed as dist

    _, run_steps = _ddp(index + 1, world, init_file, mode, intra)
    sample_in_turns({"distributed": run_steps}, repeats=mode.dist_repeats, warmup=1, min_sample_s=0.0)
    dist.destroy_process_group()


def run_torch(mode: Mode, threads: dict, tmp: str, turn: Callable[[], None] = lambda: None) -> dict:
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp

    from fwbench import torch_impl as T

    applied = T.set_threads(threads)
    cfg, w = mode.mlp, P.mlp_params(mode.mlp)
    steps, g = mode.dist_steps, GLOBAL_BATCH
    # the other rank starts now, and loads torch while this process trains the reference
    intra = max(1, threads["intra_op"] // REPLICAS)  # each rank gets an equal share of the cores
    init_file = os.path.join(tmp, "rendezvous")
    others = mp.start_processes(
        _ddp_rank, args=(REPLICAS, init_file, mode, intra), nprocs=REPLICAS - 1, join=False, start_method="spawn"
    )

    x, y = _data(mode)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    single = T.mlp(cfg, w)
    opt = torch.optim.SGD(single.parameters(), lr=P.LR)

    def single_steps() -> None:
        torch.set_num_threads(threads["intra_op"])
        for s in range(steps):
            opt.zero_grad(set_to_none=True)
            T.loss_fn(single(xt[s * g : (s + 1) * g]), yt[s * g : (s + 1) * g]).backward()
            opt.step()

    single_steps()
    ref = T.canonical("mlp", single)

    reports, ddp_steps = _ddp(0, REPLICAS, init_file, mode, intra)
    names = P.param_names("mlp", cfg)
    parity = compare("mlp", "weights after data-parallel training", reports[0]["weights"], ref, names, TOL)
    ranks_agree = max(
        compare("mlp", "rank against rank 0", r["weights"], reports[0]["weights"], names).max_rel_diff for r in reports
    )

    turn()
    timing = _timed({"single": single_steps, "distributed": ddp_steps}, mode)
    dist.destroy_process_group()
    while not others.join():
        pass
    return {
        "framework": "pytorch",
        "api": "DistributedDataParallel, gloo, file:// rendezvous",
        "ranks": [{k: v for k, v in r.items() if k != "weights"} for r in reports],
        "global_batch": g,
        "steps": steps,
        "threads_applied": applied,
        "parity": parity.as_dict(),
        "max_rel_diff_vs_single": parity.max_rel_diff,
        "max_rel_diff_between_ranks": ranks_agree,
        "single_step": timing["single"],
        "distributed_step": timing["distributed"],
    }
