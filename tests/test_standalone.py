"""Every published notebook runs where a reader opens it: the engine executes each one the way a
reader runs a download (alone in an empty folder, in plain Jupyter, without this repository,
offline), so the build's run is the proof, and every run prints the text recorded in
tests/golden/notebook-text/ (the determinism check: seeds are fixed; only labelled measurements
may move). Each published notebook says what it was verified with, and its Colab cell installs
exactly the pinned versions on Colab and does nothing anywhere else."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import nbformat
import pytest
from builders import REPO
from standalone import (
    EXECUTED,
    GOLDEN_TEXT,
    NOTEBOOKS,
    fwbench_wheel,
    golden_path,
    printed_text,
    published_copy,
    run_alone,
)

from factcheck.publish.banner import BANNER_TAG, Commit
from factcheck.run.sandbox import CONDITIONS
from factcheck.sources.notebooks import cell_tags, find_notebooks, read_notebook
from factcheck.sources.support import COLAB_TAG, colab_packages, data_files, needs_fwbench, read_pins

pytestmark = pytest.mark.site
ALL = [p.relative_to(NOTEBOOKS).as_posix() for p in find_notebooks(NOTEBOOKS)]
UPDATE = os.environ.get("FACTCHECK_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("rel", ALL)
def test_a_published_notebook_ran_as_a_reader_runs_it_alone_offline_without_the_repository(site, rel):
    record = json.loads((EXECUTED / rel).with_suffix(".record.json").read_text())
    assert record.get("conditions") == CONDITIONS, (
        f"notebooks/{rel} was not executed under a reader's conditions: {record.get('conditions')}"
    )


@pytest.mark.parametrize("rel", ALL)
def test_every_run_prints_the_recorded_text_outside_measurements(site, rel):
    text = printed_text(EXECUTED / rel, NOTEBOOKS / rel)
    golden = golden_path(rel)
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.is_file(), f"no recorded text for notebooks/{rel}: run FACTCHECK_UPDATE_GOLDEN=1 pytest {__file__}"
    recorded = golden.read_text()
    first = recorded.splitlines()[0]
    assert first == text.splitlines()[0], (
        f"notebooks/{rel} changed since its text was recorded ({first}): review the new text with "
        f"FACTCHECK_UPDATE_GOLDEN=1 pytest tests/test_standalone.py and commit tests/golden/notebook-text/"
    )
    assert text == recorded, (
        f"notebooks/{rel} printed other text than its recorded run (fix a seed, or tag the cell "
        f"'measurement' if it shows a measurement):\n" + _diff(recorded, text)
    )


def test_no_recorded_text_outlives_its_notebook():
    recorded = {p.relative_to(GOLDEN_TEXT).as_posix() for p in GOLDEN_TEXT.rglob("*.txt")}
    expected = {golden_path(rel).relative_to(GOLDEN_TEXT).as_posix() for rel in ALL}
    assert recorded <= expected, f"recorded text for notebooks that no longer exist: {sorted(recorded - expected)}"


def _diff(a: str, b: str) -> str:
    import difflib

    return "\n".join(
        list(difflib.unified_diff(a.splitlines(), b.splitlines(), "recorded", "this run", lineterm=""))[:60]
    )


def _colab_cell(nb):
    cells = [c for c in nb.cells if COLAB_TAG in cell_tags(c)]
    assert len(cells) == 1, "one Colab setup cell"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0] is cells[0], "the Colab setup cell is the first code cell"
    return cells[0]


@pytest.mark.parametrize("rel", ALL)
def test_the_colab_cell_installs_exactly_the_pinned_versions_only_on_colab(site, rel):
    published = read_notebook(published_copy(site.dir, rel))
    cell = _colab_cell(published)
    assert not cell.get("outputs"), "outside Colab the cell prints nothing and installs nothing"
    # Run the cell's code as Colab would see it: google.colab imported, pip intercepted.
    probe = (
        "import json, subprocess, sys, types\n"
        "sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
        "calls = []\n"
        "subprocess.run = lambda cmd, **kw: calls.append(cmd)\n"
        f"exec({cell.source!r})\n"
        "print(json.dumps(calls))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    calls = json.loads(run.stdout)
    pins = read_pins(REPO / "requirements.lock")
    installed = {arg for call in calls for arg in call if "==" in arg}
    colab_names = {"tensorflow": "tensorflow-cpu"}  # Colab's TensorFlow wheel, the same release
    for requirement in installed:
        name, version = requirement.split("==")
        assert pins[colab_names.get(name, name)] == version, f"{requirement}: the lock file pins {pins.get(name)}"
    source = read_notebook(NOTEBOOKS / rel)
    from factcheck.project import Project

    expected = colab_packages(source, Project.at(REPO).support_context(), data_files(source))
    assert installed == set(expected), "every package the notebook imports, and nothing else"
    if needs_fwbench(source):
        wheel = fwbench_wheel(site.dir).name
        assert any(arg.endswith("/downloads/" + wheel) for call in calls for arg in call), "fwbench from the site"


@pytest.mark.parametrize("rel", ALL)
def test_a_published_notebook_says_what_it_was_verified_with(site, rel):
    published = read_notebook(published_copy(site.dir, rel))
    banner = [c for c in published.cells if BANNER_TAG in cell_tags(c)]
    assert len(banner) == 1 and published.cells[1] is banner[0], "the banner follows the title"
    text = banner[0].source
    record = json.loads((REPO / "build" / "executed" / "notebooks" / rel).with_suffix(".record.json").read_text())
    for key, label in (("tensorflow", "TensorFlow"), ("torch", "PyTorch"), ("python", "Python")):
        assert f"{label} {record['versions'][key].split('+')[0]}" in text
    assert f"on {record['executed_at'][:10]} with" in text
    assert f"`{Commit.of(REPO).short}" in text, "the commit the site was built from"


def test_a_benchmark_notebook_without_fwbench_stops_at_once_with_instructions(site, tmp_path):
    rel = next(r for r in ALL if needs_fwbench(read_notebook(NOTEBOOKS / r)))
    nb = read_notebook(published_copy(site.dir, rel))
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    support = next(i for i, c in enumerate(nb.cells) if "support" in cell_tags(c))
    nb.cells = nb.cells[: support + 1]  # up to the support cell: enough to see how it starts
    short = tmp_path / "benchmark-start.ipynb"
    nbformat.write(nb, short)
    run = run_alone(short)
    log = run.errors()
    assert first_code < support and "ModuleNotFoundError" in log, log
    assert "pip install https://" in log and "make lab" in log, log
    assert re.search(r"fwbench-[\w.+-]+\.whl", log), "names the wheel the site publishes"
