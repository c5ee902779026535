"""A bad input stops the MkDocs build with a message naming the file, and the last good
site/ is left untouched."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from builders import claim

pytestmark = pytest.mark.site


def mkdocs_build(root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")
    mkdocs = Path(sys.executable).with_name("mkdocs")
    return subprocess.run([str(mkdocs), "build", "--strict"], cwd=root, env=env, capture_output=True, text=True)


@pytest.fixture
def built_demo(demo):
    demo.basic().with_site_config()
    first = mkdocs_build(demo.root)
    assert first.returncode == 0, first.stderr[-3000:]
    page = demo.root / "site" / "demo" / "index.html"
    assert "tf side 42" in page.read_text()
    return demo, page, page.stat().st_mtime_ns


BAD_SOURCE = {"url": "htp:/example.org", "title": "Notes", "accessed": "2024-01-02"}


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (
            lambda demo: demo.write_claims([claim("demo-basic-claim", verdict="probably")]),
            "claims/demo.yaml: claim 'demo-basic-claim', field 'verdict' must be one of",
        ),
        (
            lambda demo: (demo.root / "claims" / "demo.yaml").write_text("claims:\n  - id: [unclosed\n"),
            "demo.yaml: not valid YAML",
        ),
        (
            lambda demo: demo.write_claims([claim("demo-basic-claim", sources=[BAD_SOURCE])]),
            "field 'sources.0.url'",
        ),
    ],
    ids=["unknown-verdict", "invalid-yaml", "malformed-source-url"],
)
def test_a_registry_error_fails_the_build_and_keeps_the_last_site(built_demo, break_it, message):
    demo, page, mtime = built_demo
    break_it(demo)
    result = mkdocs_build(demo.root)
    assert result.returncode != 0
    assert message in result.stderr
    assert page.stat().st_mtime_ns == mtime


def test_a_failing_evidence_cell_fails_the_build_naming_notebook_cell_and_claim(built_demo):
    demo, page, mtime = built_demo
    path = demo.root / "notebooks" / "demo" / "basic.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].source = "import a_package_that_is_not_installed\nassert True"
    nbformat.write(nb, path)
    result = mkdocs_build(demo.root)
    assert result.returncode != 0
    assert "notebooks/demo/basic.ipynb: cell 4 raised (claims: demo-basic-claim): ModuleNotFoundError" in result.stderr
    assert page.stat().st_mtime_ns == mtime


def test_a_notebook_that_is_not_json_fails_the_build_by_name(built_demo):
    demo, page, mtime = built_demo
    (demo.root / "notebooks" / "demo" / "basic.ipynb").write_text('{"cells": [')
    result = mkdocs_build(demo.root)
    assert result.returncode != 0
    assert "basic.ipynb: not a valid notebook" in result.stderr
    assert page.stat().st_mtime_ns == mtime
