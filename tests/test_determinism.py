"""Building the site twice gives the same claims.json and the same pages (that every notebook prints
the same text on every run is checked against its recorded text in tests/test_standalone.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from builders import REPO

pytestmark = pytest.mark.site


def test_building_twice_gives_the_same_claims_json_and_pages(site, tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    again = tmp_path / "site-again"
    build = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(again)],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, "FACTCHECK_PAGE_CACHE": "off"},
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    assert json.loads((again / "claims.json").read_text()) == json.loads((site.dir / "claims.json").read_text())
    differ = []
    kinds = (".html", ".json", ".svg", ".css", ".png", ".ipynb", ".whl")
    for path in sorted(p for p in site.dir.rglob("*") if p.suffix in kinds):
        twin = again / path.relative_to(site.dir)
        if not twin.is_file() or twin.read_bytes() != path.read_bytes():
            differ.append(str(path.relative_to(site.dir)))
    assert not differ, f"a second build wrote different files: {differ[:20]}"
