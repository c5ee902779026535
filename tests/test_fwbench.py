"""fwbench without the frameworks: timing (medians, quartiles, warm-up, turns), parity (a tolerance,
a failure that names the tensor), the driver over a NumPy adapter, the worker's wait-for-go protocol,
the report on a small synthetic document, and the mode and thread settings. Nothing here imports
TensorFlow or PyTorch; the whole file runs in a few seconds."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from builders import REPO

from fwbench import params as P
from fwbench import parity, report, timing
from fwbench.adapters import UNITS, Adapter, Variant
from fwbench.config import MODES, get_mode, thread_env, threads_from_env, with_overrides
from fwbench.results import MemoryResult, WorkloadResult
from fwbench.suite import Workers, _env
from fwbench.worker import run_framework, time_workload

SRC = REPO / "src" / "fwbench"


# ---- timing ---------------------------------------------------------------------------------------


class FakeClock:
    """A clock that only moves when a timed function says how long it took."""

    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)

    def function(self, name: str, durations, log: list):
        """A callable that logs its name and advances the clock by the next of ``durations``
        (the last one repeats)."""
        durations = list(durations)

        def fn():
            log.append(name)
            self.now += durations.pop(0) if len(durations) > 1 else durations[0]

        return fn


def test_quartiles_are_the_inclusive_ones_and_a_single_sample_is_all_three():
    assert timing.quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == (2.0, 3.0, 4.0)
    assert timing.quartiles([7.0]) == (7.0, 7.0, 7.0)
    with pytest.raises(ValueError):
        timing.quartiles([])


def test_warm_up_and_probe_calls_are_not_samples():
    clock, log = FakeClock(), []
    slow_start = clock.function("f", [100.0, 100.0, 1.0], log)  # two slow warm-up calls, then 1 s
    stats = timing.measure(slow_start, repeats=5, warmup=2, min_sample_s=0.5, clock=clock, sleep=clock.sleep)
    assert stats.samples_s == [1.0] * 5 and stats.median_s == 1.0 and stats.iqr_s == 0.0
    assert len(log) == 2 + 1 + 5  # warm-up, one probe, the samples
    assert (stats.repeats, stats.warmup, stats.inner) == (5, 2, 1)


def test_a_short_call_is_repeated_until_a_sample_lasts_min_sample_s():
    assert timing.calls_per_sample(0.001, 0.01) == 11 and timing.calls_per_sample(0.02, 0.01) == 1
    clock, log = FakeClock(), []
    stats = timing.measure(clock.function("f", [0.001], log), repeats=3, warmup=0, min_sample_s=0.01, clock=clock)
    assert stats.inner == 11 and len(log) == 1 + 3 * 11
    assert stats.median_s == pytest.approx(0.001)  # per call, not per sample


def test_modes_are_sampled_in_rotating_turns_with_a_pause_when_the_pool_changes():
    clock, log = FakeClock(), []
    fns = {n: clock.function(n, [1.0], log) for n in ("numpy", "eager", "graph")}
    stats = timing.sample_in_turns(
        fns,
        repeats=3,
        warmup=1,
        min_sample_s=0.0,
        groups={"numpy": "numpy"},
        pause_s=0.15,
        clock=clock,
        sleep=clock.sleep,
    )
    rounds = log[6:]  # after one warm-up and one probe call each
    assert rounds == ["numpy", "eager", "graph", "eager", "graph", "numpy", "graph", "numpy", "eager"]
    assert all(len(s.samples_s) == 3 for s in stats.values())
    assert stats["eager"].interleaved == ["numpy", "eager", "graph"]
    # a pause at each switch between NumPy's pool and the framework's: 1 + 1 + 3 over the rounds
    assert clock.slept == [0.15] * 5


def test_a_summary_per_item_divides_every_figure():
    s = timing.TimingSummary.of([2.0, 4.0, 6.0, 8.0, 10.0], inner=3)
    per = s.per_item(2)
    assert (per.median_s, per.q1_s, per.q3_s) == (3.0, 2.0, 4.0) and per.samples_s[0] == 1.0
    assert per.iqr_rel == s.iqr_rel == pytest.approx(4.0 / 6.0) and per.inner == 3
    assert s.per_item(1) is s
    assert s.ms()["median_ms"] == 6000.0


# ---- parity ---------------------------------------------------------------------------------------


def test_there_is_one_parity_tolerance_in_the_package():
    literal = re.compile(r"\b2e-5\b|\b2\.0e-05\b|\b0\.00002\b")
    holders = sorted(p.name for p in SRC.glob("*.py") if literal.search(p.read_text()))
    assert holders == ["parity.py"], holders
    for module in ("worker.py", "distributed.py"):  # the driver and the data-parallel check use it
        assert re.search(r"from fwbench\.parity import .*\bTOL\b", (SRC / module).read_text()), module


def test_agreement_within_the_tolerance_passes():
    cfg = MODES["quick"].mlp
    ref = P.mlp_params(cfg)
    got = [w * (1 + 1e-7) for w in ref]  # float32 rounding-sized differences
    result = parity.compare("mlp", "weights", got, ref, P.param_names("mlp", cfg))
    assert result.ok and 0 < result.max_rel_diff < parity.TOL
    parity.require([result])  # does not raise
    assert result.as_dict()["ok"] is True


def test_a_perturbed_weight_fails_with_a_message_naming_the_tensor():
    cfg = MODES["quick"].mlp
    names = P.param_names("mlp", cfg)
    ref = P.mlp_params(cfg)
    got = [w.copy() for w in ref]
    i = names.index("dense_1/kernel")
    got[i][3, 5] += 1e-3
    result = parity.compare("mlp", "weights after one SGD step", got, ref, names)
    assert not result.ok and result.worst == "dense_1/kernel"
    with pytest.raises(AssertionError, match=r"mlp weights after one SGD step: .*dense_1/kernel"):
        parity.require([result])


def test_parity_scales_by_the_whole_list_so_an_array_that_should_be_zero_does_not_blow_up():
    ref = [np.array([1.0, -2.0]), np.zeros(3)]  # e.g. the attention key bias gradient
    got = [np.array([1.0, -2.0]), np.full(3, 1e-9)]
    assert parity.rel_diff_list(got, ref) == pytest.approx(5e-10)
    assert parity.compare("t", "grads", got, ref, ["w", "bk"]).ok


def test_nan_and_mismatched_shapes_fail():
    assert not parity.compare("t", "out", [np.array([np.nan])], [np.array([1.0])]).ok
    with pytest.raises(ValueError):
        parity.compare("t", "out", [np.zeros(2)], [np.zeros(3)])


def test_every_model_has_a_name_for_each_of_its_tensors():
    mode = MODES["quick"]
    for kind, (make_params, _) in P.MODELS.items():
        cfg = getattr(mode, kind)
        assert len(P.param_names(kind, cfg)) == len(P.flat_params(kind, make_params(cfg)))


# ---- the driver, over a NumPy adapter -----------------------------------------------------------------


class NumpyAdapter(Adapter):
    """A framework made of NumPy: eager, and a 'compiled' mode that does the same arithmetic (or,
    on request, a wrong one, or one that cannot compile)."""

    name, label, ops_label, eager = "numpy-fw", "NumPy FW", "np", "np-eager"

    def __init__(self, wrong: str | None = None, broken: str | None = None):
        self.wrong, self.broken = wrong, broken

    def set_threads(self, threads):
        return dict(threads)

    def build(self, kind, cfg, weights):
        return [np.array(w, dtype=np.float64) for w in P.flat_params(kind, weights)]

    def weights(self, kind, model):
        return [w.copy() for w in model]

    def forward(self, kind, model, x):
        return np.zeros((len(x), 1))

    def loss_and_grads(self, kind, model, x, y):
        return 0.0, [np.ones_like(w) for w in model]

    def sgd_step(self, kind, model, x, y):
        for w in model:
            w -= P.LR
        return 1.0

    def to_numpy(self, value):
        return np.asarray(value)

    def variants(self, workload, mode):
        return ("np-eager", "np-compiled")

    def _variant(self, variant, call, result, **kw):
        if variant == self.broken:

            def call():
                raise RuntimeError("no compiler here")

        return Variant(variant, call, result, compiled=variant != "np-eager", **kw)

    def matmul(self, a, b, variant):
        bump = 1e-3 if variant == self.wrong else 0.0
        return self._variant(variant, lambda: a @ b + bump, lambda out: [out])

    def train(self, kind, cfg, weights, x, y, variant, mode):
        model = self.build(kind, cfg, weights)
        return self._variant(variant, lambda: self.sgd_step(kind, model, x, y), lambda _: self.weights(kind, model))

    def tiny_chain(self, n_ops, variant):
        return self._variant(variant, lambda: np.ones(8) * 1.0001, lambda out: [out], per_call=n_ops)

    def infer(self, cfg, weights, x1, variant):
        return self._variant(variant, lambda: x1.sum(), lambda out: [out])


TINY = with_overrides(
    MODES["quick"],
    repeats=3,
    warmup=0,
    min_sample_s=0.0,
    pause_s=0.0,
    dense_sizes=(16,),
    mlp={"batch": 4, "sizes": [6, 5, 3]},
    cnn={"batch": 2, "hw": 4, "channels": [1, 2, 2], "classes": 3},
    transformer={"batch": 2, "seq": 3, "d_model": 4, "heads": 2, "d_ff": 8, "layers": 1},
    tiny_ops=10,
)


def test_one_driver_times_every_workload_through_the_adapter():
    run = run_framework(NumpyAdapter(), TINY, {"intra_op": 1, "inter_op": 1}, {"intra_op": 1, "inter_op": 1})
    seen = {(r.framework, r.workload, r.mode) for r in run.rows}
    for workload in UNITS:
        assert ("numpy-fw", workload, "np-eager") in seen and ("numpy-fw", workload, "np-compiled") in seen
    assert ("numpy", "dense", "numpy-blas") in seen  # the ceiling, sampled in the same turns
    rows = {(r.workload, r.mode): r for r in run.rows}
    assert rows["dense", "np-compiled"].parity_max_rel_diff == 0.0 and rows["dense", "np-eager"].first_call_s >= 0
    assert rows["tiny_op", "np-eager"].per_call == 10 and rows["dense", "numpy-blas"].ceiling_for == "numpy-fw"
    doc_rows = [r.as_dict() for r in run.rows]
    assert all(r["unit"] == UNITS[r["workload"]] for r in doc_rows)
    assert set(run.phase_s) == set(UNITS)


def test_a_mode_that_disagrees_with_eager_stops_the_run_before_it_is_timed():
    with pytest.raises(AssertionError, match=r"numpy-fw dense: np-compiled differs from eager"):
        run_framework(NumpyAdapter(wrong="np-compiled"), TINY, {"intra_op": 1, "inter_op": 1})


def test_a_compiled_mode_that_cannot_run_here_is_left_out_and_noted():
    run = run_framework(NumpyAdapter(broken="np-compiled"), TINY, {"intra_op": 1, "inter_op": 1})
    assert {r.mode for r in run.rows} == {"np-eager", "numpy-blas"}
    assert any("no compiler here" in note for note in run.notes.values())
    with pytest.raises(RuntimeError):  # the eager mode may not fail
        run_framework(NumpyAdapter(broken="np-eager"), TINY, {"intra_op": 1, "inter_op": 1})


def test_time_workload_reports_throughput_quartiles_the_right_way_round():
    clock_rows = time_workload(
        "numpy-fw",
        "dense",
        [Variant("np-eager", lambda: np.ones((8, 8)) @ np.ones((8, 8)), lambda out: [out])],
        TINY,
        flops=P.flops_dense(8),
        size=8,
    )
    r = clock_rows[0]
    assert r.q1 <= r.value <= r.q3 and r.unit == "GFLOP/s" and r.as_dict()["size"] == 8


# ---- the worker process and its wait-for-go protocol ------------------------------------------------------


def _worker_env(tmp_path) -> dict:
    env = _env({"intra_op": 1, "inter_op": 1}, str(tmp_path / "inductor"))
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_a_waiting_worker_says_ready_and_times_only_after_go(tmp_path):
    workers = Workers(["numpy"], MODES["quick"], _worker_env(tmp_path), str(tmp_path))
    result = workers.result("numpy")
    assert result["task"] == "numpy" and result["waited_s"] is not None and result["crashed_attempts"] == []
    (row,) = result["rows"]
    assert row["framework"] == "numpy" and row["ceiling_for"] == "standalone" and row["value"] > 0


def test_a_worker_that_never_gets_go_ends_without_timing(tmp_path):
    out = tmp_path / "numpy.json"
    cmd = [sys.executable, "-m", "fwbench.worker", "numpy", "--mode", "quick", "--out", str(out), "--wait"]
    with subprocess.Popen(
        cmd, env=_worker_env(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout.readline().strip() == "ready"
        proc.stdin.close()
        assert proc.wait(timeout=60) == 3 and not out.exists()


# ---- the report, on a small synthetic document ------------------------------------------------------------


def _row(fw, workload, mode, seconds, *, size=None, ceiling_for=None, flops=None):
    t = timing.TimingSummary.of([seconds * 0.9, seconds, seconds * 1.2])
    return WorkloadResult(
        fw, workload, mode, UNITS[workload], t, flops=flops, size=size, ceiling_for=ceiling_for
    ).as_dict()


def synthetic_doc() -> dict:
    f = P.flops_dense(1024)
    rows = [
        _row("numpy", "dense", "numpy-blas", f / 100e9, size=1024, ceiling_for="pytorch", flops=f),
        _row("pytorch", "dense", "torch-eager", f / 110e9, size=1024, flops=f),
        _row("numpy", "dense", "numpy-blas", f / 100e9, size=1024, ceiling_for="tensorflow", flops=f),
        _row("tensorflow", "dense", "tf-eager", f / 80e9, size=1024, flops=f),
        _row("tensorflow", "dense", "tf-function", f / 90e9, size=1024, flops=f),
    ]
    times = {  # seconds per item: (torch eager, TF eager, tf.function)
        "mlp_train": (0.010, 0.020, 0.012),
        "cnn_train": (0.010, 0.030, 0.006),  # tf.function wins here
        "transformer_fwd_bwd": (0.020, 0.100, 0.040),
        "tiny_op": (2e-6, 20e-6, 3e-6),
        "infer_b1": (0.2e-3, 5e-3, 0.5e-3),
    }
    for wl, (pt, te, tf_) in times.items():
        rows += [
            _row("pytorch", wl, "torch-eager", pt),
            _row("tensorflow", wl, "tf-eager", te),
            _row("tensorflow", wl, "tf-function", tf_),
        ]
    memory = MemoryResult("pytorch", 10, 1.0, 30.0, 600.0, 640.0, 650.0, 1.0).as_dict()
    dist = {
        "tensorflow": {
            "api": "MirroredStrategy",
            "num_replicas_in_sync": 2,
            "global_batch": 256,
            "max_rel_diff_vs_single": 1e-7,
            "single_step": {"median_ms": 20.0},
            "distributed_step": {"median_ms": 50.0},
        },
        "pytorch": {
            "api": "DDP",
            "ranks": [{"rank": 0}, {"rank": 1}],
            "global_batch": 256,
            "max_rel_diff_vs_single": 1e-7,
            "single_step": {"median_ms": 10.0},
            "distributed_step": {"median_ms": 20.0},
        },
    }
    return {
        "schema": 2,
        "mode": "quick",
        "config": {"dense_sizes": [1024]},
        "rows": rows,
        "memory": {"pytorch": memory},
        "distributed": dist,
    }


def test_the_report_reads_ratios_and_the_ceiling_from_a_document():
    doc = synthetic_doc()
    dense = report.dense_ceiling(doc).set_index("framework")
    assert dense.loc["PyTorch", "fraction of ceiling"] == pytest.approx(1.1)
    assert dense.loc["TensorFlow", "fraction of ceiling"] == pytest.approx(0.9)
    assert dense.loc["TensorFlow", "best mode"] == "tf.function" and "NumPy BLAS alone" not in dense
    ratios = report.workload_ratios(doc).set_index("workload")
    assert ratios.loc["Tiny-op dispatch", "eager ratio (TF/torch time)"] == pytest.approx(10.0)
    assert ratios.loc["Small CNN training step", "best ratio (TF/torch time)"] == pytest.approx(0.6)
    assert ratios.loc["Dense fp32 matmul", "eager ratio (TF/torch time)"] == pytest.approx(110 / 80)
    assert report.fastest(doc) == {
        "dense": "pytorch",
        "mlp_train": "pytorch",
        "cnn_train": "tensorflow",
        "transformer_fwd_bwd": "pytorch",
        "tiny_op": "pytorch",
        "infer_b1": "pytorch",
    }
    assert report.best(doc, "tensorflow", "tiny_op") == ("tf-function", pytest.approx(3.0))
    speed = report.mode_speedups(doc).set_index(["workload", "mode"])
    assert speed.loc[("Tiny-op dispatch", "tf.function"), "speed-up vs eager"] == pytest.approx(20 / 3)
    assert report.get(doc, "pytorch", "mlp_train", "torch-eager") == pytest.approx(10.0)  # ms/step


def test_the_report_tables_have_a_row_per_entry():
    doc = synthetic_doc()
    table = report.results_table(doc)
    assert len(table) == len(doc["rows"]) and list(table.columns)[:3] == ["workload", "framework", "mode"]
    memory = report.memory_table(doc)
    assert memory.loc[0, "growth while training (MB)"] == 50
    dist = report.distributed_table(doc["distributed"]).set_index("framework")
    assert list(dist["replicas"]) == [2, 2]
    assert dist.loc["TensorFlow", "2-replica / single"] == pytest.approx(2.5)
    assert report.slowdown(doc["distributed"]["pytorch"]) == pytest.approx(2.0)


# ---- modes and threads --------------------------------------------------------------------------------------


def test_the_mode_comes_from_the_argument_then_the_environment(monkeypatch):
    monkeypatch.delenv("FWBENCH_MODE", raising=False)
    assert get_mode().name == "quick"
    monkeypatch.setenv("FWBENCH_MODE", "Full ")
    assert get_mode().name == "full" and get_mode("quick").name == "quick"
    assert get_mode(MODES["quick"]) is MODES["quick"]
    with pytest.raises(ValueError, match="unknown FWBENCH mode"):
        get_mode("fastest")


def test_quick_measures_less_than_full_on_the_same_models():
    quick, full = MODES["quick"], MODES["full"]
    assert (quick.mlp, quick.cnn, quick.transformer) == (full.mlp, full.cnn, full.transformer)
    assert quick.repeats < full.repeats and quick.min_sample_s <= full.min_sample_s
    assert set(quick.dense_sizes) < set(full.dense_sizes)
    assert not quick.compile_training and full.compile_training and full.standalone_ceiling
    assert replace(quick, repeats=1).repeats == 1 and quick.as_dict()["name"] == "quick"


def test_threads_default_to_every_usable_core_and_one_inter_op_thread(monkeypatch):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert threads_from_env({}) == {"intra_op": cores, "inter_op": 1}
    assert threads_from_env({"FWBENCH_INTRA": "3", "FWBENCH_INTER": "2"}) == {"intra_op": 3, "inter_op": 2}
    with pytest.raises(ValueError):
        threads_from_env({"FWBENCH_INTRA": "0"})
    env = thread_env({"intra_op": 3, "inter_op": 2})
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == env["TF_NUM_INTRAOP_THREADS"] == "3"
    assert env["TF_NUM_INTEROP_THREADS"] == "2" and env["KERAS_BACKEND"] == "tensorflow"


# ---- the package stands alone --------------------------------------------------------------------------------


def test_fwbench_imports_no_framework_and_nothing_of_the_repository():
    probe = (
        "import sys, json; import fwbench, fwbench.suite, fwbench.report, fwbench.worker, fwbench.distributed; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'tensorflow', 'keras', 'factcheck'))))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
    for path in SRC.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import) factcheck", text, re.M), path.name
        repository_path = re.search(r"parents\[|[\"'](bench|notebooks|data|docs)/", text)
        assert not repository_path, f"{path.name}: a path into the repository"


def test_the_document_schema_is_checked_on_load(tmp_path):
    import fwbench

    path = fwbench.save({"schema": fwbench.SCHEMA, "rows": []}, tmp_path / "doc.json")
    assert fwbench.load(path)["rows"] == []
    Path(path).write_text(json.dumps({"schema": 1}))
    with pytest.raises(ValueError, match="schema 1"):
        fwbench.load(path)
