"""Measure Lighthouse performance of the built site: `make lighthouse` (not a test: the score moves
with the machine). Writes reports/lighthouse/summary.md and summary.json, full reports to
test-output/lighthouse/.

Lighthouse simulates a mid-range phone by slowing this machine's CPU down 4x, so a faster machine
scores higher. Each run records the machine's benchmark index (BI). Besides the default run, each
page is measured once more with the slowdown scaled to a reference machine (BI 1,120, the slowest
machine class this project has seen: a 2-core CI machine), so scores from different machines can
be compared: slowdown = 4 x BI / 1,120.

    python tools/lighthouse_report.py [--runs N] [--pages home,paradigm/,...] [--site site]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from site_server import SiteServer  # noqa: E402

LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / "lighthouse" / "cli" / "index.js"
OUT = ROOT / "test-output" / "lighthouse"
REPORTS = ROOT / "reports" / "lighthouse"
REFERENCE_BI = 1120
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-sync "
    "--disable-background-networking --disable-component-update"
)
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "speed-index": "SI",
    "cumulative-layout-shift": "CLS",
}


def sections() -> list[str]:
    sys.path.insert(0, str(ROOT / "src"))
    from factcheck import load_registry

    return [f"{s.id}/" for s in load_registry(ROOT / "claims").sections]


def lighthouse(url: str, form_factor: str, name: str, slowdown: float | None = None) -> dict:
    command = [
        "node", str(LIGHTHOUSE), url, "--quiet", f"--chrome-flags={CHROME_FLAGS}",
        "--output=json", "--output=html", f"--output-path={OUT / name}", "--only-categories=performance",
    ]  # fmt: skip
    if form_factor == "desktop":
        command.append("--preset=desktop")
    if slowdown:
        command.append(f"--throttling.cpuSlowdownMultiplier={slowdown:.2f}")
    env = {**os.environ, "CHROME_PATH": shutil.which("chromium") or shutil.which("chromium-browser") or ""}
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    report = OUT / f"{name}.report.json"
    if run.returncode != 0 or not report.is_file():
        raise SystemExit(f"lighthouse failed on {url}: {run.stderr[-2000:]}")
    data = json.loads(report.read_text())
    audits = data["audits"]
    return {
        "score": round(data["categories"]["performance"]["score"] * 100),
        "benchmark_index": data["environment"]["benchmarkIndex"],
        "metrics": {short: audits[key]["numericValue"] for key, short in METRICS.items()},
        "dom_elements": audits["dom-size"]["numericValue"],
        "lighthouse": data["lighthouseVersion"],
        "chromium": data["environment"]["hostUserAgent"].split("Chrome/")[-1].split()[0],
    }


def median_run(runs: list[dict]) -> dict:
    score = statistics.median(r["score"] for r in runs)
    best = min(runs, key=lambda r: abs(r["score"] - score))
    return {**best, "score": score, "runs": len(runs), "scores": [r["score"] for r in runs]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--runs", type=int, default=1, help="runs per page and form factor (median counts)")
    parser.add_argument("--pages", help="comma-separated page paths (default: every page type)")
    args = parser.parse_args()
    if not LIGHTHOUSE.is_file():
        raise SystemExit("Lighthouse is not installed: run 'make lighthouse-tools'")
    # Every page type: home, each section page (porting has two), two notebooks, the Versions
    # table, the claims index, one claim's own page and the changes log.
    pages = args.pages.split(",") if args.pages else [
        "", *sections(), "porting/training/", "notebooks/paradigm/eager-and-graphs/",
        "notebooks/performance/benchmark/", "notebooks/porting/training-defaults/",
        "versions/", "claims/", "claims/paradigm-tf-static-graph/", "changes/",
    ]  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    with SiteServer(args.site, "/framework-facts/") as base:
        lighthouse(base, "mobile", "warm-up")  # a cold Chromium costs the first report a second of LCP
        for page in pages:
            slug = page.strip("/").replace("/", "-") or "home"
            for form_factor in ("mobile", "desktop"):
                runs = [lighthouse(base + page, form_factor, f"{slug}-{form_factor}-{i}") for i in range(args.runs)]
                default = median_run(runs)
                slowdown = (4 if form_factor == "mobile" else 1) * default["benchmark_index"] / REFERENCE_BI
                calibrated = lighthouse(base + page, form_factor, f"{slug}-{form_factor}-reference", slowdown)
                row = {"page": "/" + page, "form_factor": form_factor, "default": default,
                       "reference": {**calibrated, "slowdown": round(slowdown, 2)}}  # fmt: skip
                results.append(row)
                print(
                    f"{row['page']:45s} {form_factor:7s} {default['score']:5.0f} (BI {default['benchmark_index']:.0f})"
                    f"  at reference BI {REFERENCE_BI}: {calibrated['score']}",
                    flush=True,
                )
    write(results)
    return 0


def write(results: list[dict]) -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
    first = results[0]["default"]
    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                machine["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    bis = [r["default"]["benchmark_index"] for r in results]
    summary = {
        "date": time.strftime("%Y-%m-%d"),
        "lighthouse": first["lighthouse"],
        "chromium": first["chromium"],
        "machine": machine,
        "benchmark_index": {"median": statistics.median(bis), "min": min(bis), "max": max(bis)},
        "reference_benchmark_index": REFERENCE_BI,
        "results": results,
    }
    (REPORTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    bi = summary["benchmark_index"]
    lines = [
        "# Lighthouse performance",
        "",
        f"Measured by `make lighthouse` on {summary['date']}: Lighthouse {first['lighthouse']}, Debian's Chromium "
        f"{first['chromium']}, the built site served on loopback with gzip (as GitHub Pages serves it), on "
        f"{machine['cpu']} ({machine['cores']} cores), benchmark index {bi['median']:.0f} "
        f"(runs ranged {bi['min']:.0f}-{bi['max']:.0f}).",
        "",
        "Lighthouse slows the CPU down 4x (mobile) to simulate a phone, so its score depends on the machine. "
        f"The *reference* columns rerun each page with the slowdown scaled to a machine of benchmark index "
        f"{REFERENCE_BI} (the slowest machine class measured for this project), so they compare across "
        "machines. The tests gate on page weight budgets instead (`tests/test_page_budgets.py`).",
        "",
        "| Page | Form factor | Score | FCP | LCP | TBT | DOM elements | Score at reference | TBT at reference |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        d, ref = r["default"], r["reference"]
        m = d["metrics"]
        runs = f" ({', '.join(str(round(s)) for s in d['scores'])})" if d["runs"] > 1 else ""
        lines.append(
            f"| `{r['page']}` | {r['form_factor']} | {d['score']:.0f}{runs} | {m['FCP'] / 1000:.1f} s | "
            f"{m['LCP'] / 1000:.1f} s | {m['TBT']:.0f} ms | {d['dom_elements']:,.0f} | {ref['score']} "
            f"(slowdown {ref['slowdown']}x) | {ref['metrics']['TBT']:.0f} ms |"
        )
    (REPORTS / "summary.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
