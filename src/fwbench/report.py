"""Turn a results document into tables, ratios and one figure (pandas and matplotlib only)."""

from __future__ import annotations

import math

import pandas as pd

LABELS = {
    "numpy-blas": "NumPy BLAS",
    "tf-eager": "TF eager",
    "tf-function": "tf.function",
    "tf-xla": "tf.function + XLA",
    "keras-fit": "Keras fit",
    "keras-predict": "Keras predict",
    "torch-eager": "torch eager",
    "torch-inference-mode": "torch inference_mode",
    "torch-compile": "torch.compile",
}
WORKLOADS = {
    "dense": "Dense fp32 matmul",
    "mlp_train": "MLP training step",
    "cnn_train": "Small CNN training step",
    "transformer_fwd_bwd": "Transformer encoder fwd+bwd",
    "tiny_op": "Tiny-op dispatch",
    "infer_b1": "Batch-1 CNN inference",
}
FRAMEWORKS = {"tensorflow": "TensorFlow", "pytorch": "PyTorch", "numpy": "NumPy"}
COLORS = {"tensorflow": "#ff8f00", "pytorch": "#ee4c2c", "numpy": "#8a8a8a"}
HIGHER_IS_BETTER = {"GFLOP/s"}


def primary_size(doc: dict) -> int:
    """The dense size every mode measures (2048); the full mode adds others."""
    sizes = doc["config"]["dense_sizes"]
    return 2048 if 2048 in sizes else sizes[0]


def rows_frame(doc: dict, *, include_ceiling: bool = False) -> pd.DataFrame:
    df = pd.DataFrame(doc["rows"])
    if "size" not in df:
        df["size"] = None
    dense = df["workload"] == "dense"
    df = df[~dense | (df["size"] == primary_size(doc))]
    if not include_ceiling:
        df = df[df["framework"] != "numpy"]
    return df.reset_index(drop=True)


def get(doc: dict, framework: str, workload: str, mode: str, field: str = "value", size: int | None = None):
    """One figure from the results (for dense rows: at the primary size unless ``size`` is given)."""
    size = size or primary_size(doc)
    for r in doc["rows"]:
        if (
            (r["framework"], r["workload"], r["mode"]) == (framework, workload, mode)
            and (workload != "dense" or r.get("size") == size)
            and r.get("ceiling_for") in (None, framework)
        ):
            return r[field]
    raise KeyError((framework, workload, mode))


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"


def results_table(doc: dict) -> pd.DataFrame:
    """Every row: median, IQR (as a % of the median), first call, compile estimate, parity."""
    df = rows_frame(doc, include_ceiling=True)
    df = df[(df["framework"] != "numpy") | (df.get("ceiling_for") != "standalone")]
    out = pd.DataFrame(
        {
            "workload": df["workload"].map(WORKLOADS),
            "framework": df["framework"].map(FRAMEWORKS),
            "mode": df["mode"].map(LABELS),
            "median": df["value"].map(_fmt),
            "unit": df["unit"],
            "IQR %": (100 * df["iqr_rel"]).round(1),
            "first call (s)": df["first_call_s"].map(lambda v: "" if v is None or pd.isna(v) else f"{v:.2f}"),
            "vs eager (max rel diff)": df["parity_max_rel_diff"].map(
                lambda v: "" if v is None or pd.isna(v) else f"{v:.1e}"
            ),
        }
    )
    return out.reset_index(drop=True)


def dense_ceiling(doc: dict) -> pd.DataFrame:
    """Each framework's best dense mode as a fraction of NumPy's BLAS measured in its own process
    (interleaved with it), plus the standalone NumPy figure."""
    n = primary_size(doc)
    standalone = next(
        (r["value"] for r in doc["rows"] if r.get("ceiling_for") == "standalone" and r.get("size") == n), float("nan")
    )
    rows = []
    for fw in ("tensorflow", "pytorch"):
        modes = [r for r in doc["rows"] if r["framework"] == fw and r["workload"] == "dense" and r["size"] == n]
        best = max(modes, key=lambda r: r["value"])
        ceiling = next(r["value"] for r in doc["rows"] if r.get("ceiling_for") == fw and r.get("size") == n)
        rows.append(
            {
                "framework": FRAMEWORKS[fw],
                "n": n,
                "best mode": LABELS[best["mode"]],
                "best GFLOP/s": best["value"],
                "NumPy BLAS in same process": ceiling,
                **({} if math.isnan(standalone) else {"NumPy BLAS alone": standalone}),
                "fraction of ceiling": best["value"] / ceiling,
                **{f"{LABELS[r['mode']]} GFLOP/s": r["value"] for r in modes},
            }
        )
    return pd.DataFrame(rows)


def _best(doc: dict, fw: str, workload: str) -> dict:
    rows = [r for r in rows_frame(doc).to_dict("records") if r["framework"] == fw and r["workload"] == workload]
    key = (lambda r: -r["value"]) if rows[0]["unit"] in HIGHER_IS_BETTER else (lambda r: r["value"])
    return sorted(rows, key=key)[0]


def best(doc: dict, framework: str, workload: str) -> tuple[str, float]:
    """A framework's fastest mode on a workload, and its figure (in the workload's unit)."""
    r = _best(doc, framework, workload)
    return r["mode"], r["value"]


def _time(r: dict) -> float:
    return 1 / r["value"] if r["unit"] in HIGHER_IS_BETTER else r["value"]


def workload_ratios(doc: dict) -> pd.DataFrame:
    """Per workload: eager vs eager and best vs best, as TensorFlow time / PyTorch time
    (above 1: PyTorch takes less time)."""
    out = []
    for wl in WORKLOADS:
        te, pe = (
            next(
                r
                for r in rows_frame(doc).to_dict("records")
                if r["framework"] == fw and r["workload"] == wl and r["mode"] == m
            )
            for fw, m in (("tensorflow", "tf-eager"), ("pytorch", "torch-eager"))
        )
        tb, pb = _best(doc, "tensorflow", wl), _best(doc, "pytorch", wl)
        out.append(
            {
                "workload": WORKLOADS[wl],
                "unit": te["unit"],
                "TF eager": te["value"],
                "torch eager": pe["value"],
                "eager ratio (TF/torch time)": _time(te) / _time(pe),
                "TF best": f"{_fmt(tb['value'])} ({LABELS[tb['mode']]})",
                "torch best": f"{_fmt(pb['value'])} ({LABELS[pb['mode']]})",
                "best ratio (TF/torch time)": _time(tb) / _time(pb),
            }
        )
    return pd.DataFrame(out)


def fastest(doc: dict) -> dict[str, str]:
    """Workload -> the framework whose best mode took less time there (best against best)."""
    ratios = workload_ratios(doc)
    keys = {label: wl for wl, label in WORKLOADS.items()}
    return {
        keys[r["workload"]]: "pytorch" if r["best ratio (TF/torch time)"] > 1 else "tensorflow"
        for _, r in ratios.iterrows()
    }


def mode_speedups(doc: dict) -> pd.DataFrame:
    """Each mode against its own framework's eager mode (above 1: faster than eager)."""
    df = rows_frame(doc)
    out = []
    for (fw, wl), g in df.groupby(["framework", "workload"], sort=False):
        eager = g[g["mode"].isin(["tf-eager", "torch-eager"])].iloc[0]
        for _, r in g.iterrows():
            out.append(
                {
                    "workload": WORKLOADS[wl],
                    "framework": FRAMEWORKS[fw],
                    "mode": LABELS[r["mode"]],
                    "speed-up vs eager": _time(eager) / _time(r),
                }
            )
    return pd.DataFrame(out)


def memory_table(doc: dict) -> pd.DataFrame:
    rows = []
    for fw, m in doc.get("memory", {}).items():
        rows.append(
            {
                "framework": FRAMEWORKS[fw],
                "RSS after import (MB)": round(m["rss_after_import_mb"]),
                "peak RSS (MB)": round(m["peak_rss_mb"]),
                "growth while training (MB)": round(m["training_growth_mb"]),
                "steps": m["steps"],
            }
        )
    return pd.DataFrame(rows)


def replica_count(run: dict) -> int:
    """How many replicas a data-parallel run had, as the running framework reported it."""
    if "num_replicas_in_sync" in run:
        return run["num_replicas_in_sync"]
    return len(run["ranks"])


def slowdown(run: dict) -> float:
    """Two-replica step time over single-process step time (above 1: slower than one process)."""
    return run["distributed_step"]["median_ms"] / run["single_step"]["median_ms"]


def distributed_table(dist: dict) -> pd.DataFrame:
    rows = []
    for fw in ("tensorflow", "pytorch"):
        d = dist[fw]
        rows.append(
            {
                "framework": FRAMEWORKS[fw],
                "API": d["api"],
                "replicas": replica_count(d),
                "global batch": d["global_batch"],
                "weights vs single process (max rel diff)": f"{d['max_rel_diff_vs_single']:.1e}",
                "single-process step (ms)": round(d["single_step"]["median_ms"], 1),
                "2-replica step (ms)": round(d["distributed_step"]["median_ms"], 1),
                "2-replica / single": slowdown(d),
            }
        )
    return pd.DataFrame(rows)


def plot(doc: dict, *, title: str | None = None):
    """One panel per workload: each mode's median with its IQR; NumPy's BLAS as a dashed line."""
    import matplotlib.pyplot as plt

    df = rows_frame(doc)
    fig, axes = plt.subplots(3, 2, figsize=(9.6, 8.4))
    for ax, wl in zip(axes.flat, WORKLOADS, strict=True):
        g = df[df["workload"] == wl]
        labels = [f"{LABELS[m]}" for m in g["mode"]]
        y = range(len(g))
        err = [(g["value"] - g["q1"]).clip(lower=0), (g["q3"] - g["value"]).clip(lower=0)]
        ax.barh(
            list(y),
            g["value"],
            xerr=err,
            color=[COLORS[f] for f in g["framework"]],
            capsize=2,
            error_kw={"ecolor": "#8a8a8a", "lw": 0.8},
        )
        ax.set_yticks(list(y), labels, fontsize=8)
        ax.invert_yaxis()
        unit = g["unit"].iloc[0]
        ax.set_title(
            f"{WORKLOADS[wl]} ({unit}, {'higher' if unit in HIGHER_IS_BETTER else 'lower'} is better)", fontsize=9
        )
        if wl == "dense":  # the ceilings measured inside each framework's process
            for fw in ("pytorch", "tensorflow"):
                ceil = [
                    r["value"] for r in doc["rows"] if r.get("ceiling_for") == fw and r.get("size") == primary_size(doc)
                ]
                rows_fw = [i for i, f in enumerate(g["framework"]) if f == fw]
                if ceil and rows_fw:
                    lo, hi = min(rows_fw) - 0.45, max(rows_fw) + 0.45
                    ax.plot([ceil[0], ceil[0]], [lo, hi], color=COLORS["numpy"], ls="--", lw=1)
            ax.set_title(ax.get_title()[:-1] + "; dashed: NumPy BLAS)", fontsize=9)
        if g["value"].max() / max(g["value"].min(), 1e-12) > 30:
            ax.set_xscale("log")
        ax.tick_params(axis="x", labelsize=8)
    handles = [plt.Rectangle((0, 0), 1, 1, color=COLORS[f]) for f in ("tensorflow", "pytorch")]
    fig.legend(handles, ["TensorFlow", "PyTorch"], loc="lower center", ncol=2, fontsize=9)
    fig.suptitle(
        title
        or f"fwbench {doc['mode']} run, {doc['machine']['cpu_model']}, "
        f"{doc['threads']['intra_op']} intra-op / {doc['threads']['inter_op']} inter-op threads",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return fig
