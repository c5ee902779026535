"""Lighthouse (npm, run on Debian's Chromium) audits the home page, the heaviest section page and a
notebook page, on mobile and desktop, for accessibility, best practices and SEO: each must reach
95. These audits look at the page, not at the clock, so they give the same result on any machine.
Performance is not gated here: its score moves with the machine, so `make lighthouse` measures it
(reports/lighthouse/) and tests/test_page_budgets.py gates what decides it. Full reports go to
test-output/lighthouse/ (CI keeps them as an artifact)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from builders import REPO

pytestmark = [pytest.mark.site, pytest.mark.browser]

LIGHTHOUSE = REPO / "tools" / "lighthouse" / "node_modules" / "lighthouse" / "cli" / "index.js"
OUT = REPO / "test-output" / "lighthouse"
PAGES = {"home": "", "section": "performance/", "notebook": "notebooks/paradigm/eager-and-graphs/"}
CATEGORIES = ["accessibility", "best-practices", "seo"]
MIN_SCORE = 95
# Chromium on this closed network: no background calls home, no sandbox as root.
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-sync "
    "--disable-background-networking --disable-component-update"
)


def _lighthouse(url: str, form_factor: str, name: str) -> dict:
    node = shutil.which("node")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not (node and LIGHTHOUSE.is_file() and chromium):
        pytest.fail("Lighthouse needs node, tools/lighthouse ('make lighthouse-tools') and chromium ('make browser')")
    OUT.mkdir(parents=True, exist_ok=True)
    command = [
        node, str(LIGHTHOUSE), url, "--quiet", f"--chrome-flags={CHROME_FLAGS}",
        "--output=json", "--output=html", f"--output-path={OUT / name}",
        f"--only-categories={','.join(CATEGORIES)}",
    ]  # fmt: skip
    if form_factor == "desktop":
        command.append("--preset=desktop")
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env={**os.environ, "CHROME_PATH": chromium}
    )
    report = OUT / f"{name}.report.json"
    if run.returncode != 0 or not report.is_file():
        pytest.fail(f"lighthouse failed on {url} ({form_factor}): {run.stderr[-2000:]}")
    data = json.loads(report.read_text())
    if data.get("runtimeError"):
        pytest.fail(f"lighthouse could not load {url}: {data['runtimeError']['message']}")
    return data


def _lost_points(data: dict, category: str) -> list[str]:
    lost = []
    for ref in data["categories"][category]["auditRefs"]:
        audit = data["audits"][ref["id"]]
        if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
            lost.append(f"{ref['id']} ({audit['score']:.2f})")
    return lost


@pytest.mark.parametrize("form_factor", ["mobile", "desktop"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_lighthouse_accessibility_best_practices_and_seo_reach_95(base_url, kind, form_factor):
    data = _lighthouse(base_url + PAGES[kind], form_factor, f"audit-{kind}-{form_factor}")
    scores = {c: round(data["categories"][c]["score"] * 100) for c in CATEGORIES}
    low = {c: s for c, s in scores.items() if s < MIN_SCORE}
    detail = "; ".join(f"{c}: {', '.join(_lost_points(data, c))}" for c in low)
    assert not low, f"{kind} page on {form_factor} scores {low} (under {MIN_SCORE}); lost points: {detail}"
