"""Build the real site once per test session (execute what the cache lacks, then a strict build)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from builders import REPO

OUTPUT = REPO / "test-output"


@dataclass
class SiteBuild:
    dir: Path
    execute_log: str
    build_log: str
    execute_seconds: float
    build_seconds: float
    base_path: str  # the URL path the site expects to live under, e.g. /framework-facts/

    def page(self, rel: str) -> str:
        return (self.dir / rel / "index.html").read_text(encoding="utf-8")


def _env() -> dict:
    env = dict(os.environ)
    env.update({"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true", "PYTHONUNBUFFERED": "1"})
    return env


def run_build() -> SiteBuild:
    OUTPUT.mkdir(exist_ok=True)
    start = time.perf_counter()
    ex = subprocess.run(
        [sys.executable, "-m", "factcheck", "execute"], cwd=REPO, env=_env(), capture_output=True, text=True
    )
    execute_seconds = time.perf_counter() - start
    if ex.returncode != 0:
        raise AssertionError(f"notebook execution failed:\n{ex.stderr[-6000:]}")
    start = time.perf_counter()
    mkdocs = Path(sys.executable).with_name("mkdocs")
    build = subprocess.run([str(mkdocs), "build", "--strict"], cwd=REPO, env=_env(), capture_output=True, text=True)
    build_seconds = time.perf_counter() - start
    log = build.stdout + build.stderr
    (OUTPUT / "build.log").write_text(ex.stderr + "\n" + log)
    if build.returncode != 0:
        raise AssertionError(f"mkdocs build --strict failed:\n{log[-6000:]}")
    site_url = re.search(r"site_url: !ENV \[SITE_URL, \"([^\"]+)\"\]", (REPO / "mkdocs.yml").read_text())[1]
    base = os.environ.get("SITE_URL", site_url)
    timings = {"execute_seconds": round(execute_seconds, 1), "build_seconds": round(build_seconds, 1)}
    (OUTPUT / "build-timings.json").write_text(json.dumps(timings, indent=2))
    return SiteBuild(REPO / "site", ex.stderr, log, execute_seconds, build_seconds, urlparse(base).path or "/")
