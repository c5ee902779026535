"""Committed notebooks carry no outputs, import torch before tensorflow, lint clean, and
each one is evidence for at least one claim."""

import subprocess
import sys

import pytest
from builders import REPO

from factcheck import load_registry
from factcheck.sources.notebooks import find_notebooks, import_order_problem, outputs_present, read_notebook

NOTEBOOKS = find_notebooks(REPO / "notebooks")
IDS = [p.relative_to(REPO / "notebooks").as_posix() for p in NOTEBOOKS]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_notebook_has_no_outputs(path):
    assert outputs_present(read_notebook(path)) == [], f"{path}: strip outputs with nbstripout before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_torch_is_imported_before_tensorflow(path):
    assert import_order_problem(read_notebook(path)) is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_opens_with_a_title_and_a_python_kernel(path):
    nb = read_notebook(path)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), "first cell: '# Title'"
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_every_notebook_is_evidence_for_a_claim():
    used = load_registry(REPO / "claims").notebooks()
    unused = sorted(set(IDS) - used)
    assert not unused, f"notebooks no claim uses (cost CI time for nothing): {unused}"


def test_notebooks_pass_ruff():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "notebooks"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
