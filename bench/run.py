#!/usr/bin/env python
"""Run the Framework Facts performance benchmark from the command line.

    python bench/run.py            # quick mode (under a minute on 2 quiet cores), results/quick.json
    python bench/run.py --full     # full mode (about 5 minutes on 2 cores), results/full.json

The method lives in the ``fwbench`` package (src/fwbench/); the notebooks under
notebooks/performance/ call the same code. Thread counts: FWBENCH_INTRA / FWBENCH_INTER
(default: every usable core / 1).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # works without an editable install too

import fwbench  # noqa: E402
from fwbench import report  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--full", action="store_true", help="full mode: more repeats, more sizes, torch.compile everywhere")
    g.add_argument("--quick", action="store_true", help="quick mode (the default)")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="folder for <mode>.json")
    ap.add_argument("--no-distributed", action="store_true", help="skip MirroredStrategy / DDP")
    args = ap.parse_args(argv)

    mode = "full" if args.full else "quick"
    t0 = time.perf_counter()
    doc = fwbench.run_suite(
        mode,
        distributed=not args.no_distributed,
        log=lambda m: print(f"{m}  ({time.perf_counter() - t0:.0f} s)", flush=True),
    )
    path = fwbench.save(doc, args.out / f"{mode}.json")

    import pandas as pd

    pd.set_option("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 40)
    print(report.results_table(doc).to_string(index=False))
    print()
    print(
        report.dense_ceiling(doc)[
            ["framework", "best mode", "best GFLOP/s", "NumPy BLAS in same process", "fraction of ceiling"]
        ]
        .round(2)
        .to_string(index=False)
    )
    print()
    print(report.workload_ratios(doc).round(2).to_string(index=False))
    print()
    print(report.memory_table(doc).to_string(index=False))
    if "distributed" in doc:
        print()
        print(report.distributed_table(doc["distributed"]).round(2).to_string(index=False))
    for a in doc.get("attempts", []):
        kept = " (kept)" if a["kept"] else ""
        print(f"{a['task']} attempt {a['attempt']}: NumPy yardstick {a['ceiling_gflops']:.0f} GFLOP/s{kept}")
    for key, note in doc.get("notes", {}).items():
        print(f"note: {key}: {note}")
    print(f"\n{mode} run done in {doc['elapsed_s']:.0f} s; wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
