"""Every published notebook runs where a reader opens it: downloaded alone into an empty folder,
in plain Jupyter, without this repository, offline (tests/standalone.py does the running). That
second, independent run prints what the engine's run printed (seeds are fixed; only labelled
measurements may move). Each published notebook says what it was verified with, and its Colab
cell installs exactly the pinned versions on Colab and does nothing anywhere else."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest
from builders import REPO
from standalone import NOTEBOOKS, fwbench_wheel, published_copy, run_all, run_alone, text_outputs

from factcheck.evidence.extract import MEASUREMENT_TAG
from factcheck.publish.banner import BANNER_TAG, Commit
from factcheck.reports.drift import first_difference
from factcheck.sources.notebooks import cell_tags, find_notebooks, notebook_settings, read_notebook
from factcheck.sources.support import COLAB_TAG, colab_packages, data_files, needs_fwbench, read_pins

pytestmark = [pytest.mark.site, pytest.mark.rerun]
ALL = [p.relative_to(NOTEBOOKS).as_posix() for p in find_notebooks(NOTEBOOKS)]


@pytest.fixture(scope="session")
def standalone_runs(site):
    """The second execution; after the site build, so the two never share the cores."""
    return run_all(site.dir)


@pytest.mark.parametrize("rel", ALL)
def test_a_downloaded_notebook_runs_alone_offline_without_the_repository(standalone_runs, rel):
    run = standalone_runs[rel]
    assert run.returncode == 0, f"notebooks/{rel}, run alone outside the checkout, failed:\n{run.log}"


def _labels(rel: str) -> tuple[bool, set[int]]:
    """(does the notebook declare measurements, the cells tagged as measurements)"""
    nb = read_notebook(REPO / "build" / "executed" / "notebooks" / rel)
    tagged = {i for i, cell in enumerate(nb.cells) if MEASUREMENT_TAG in cell_tags(cell)}
    return bool(notebook_settings(nb).get("measurements")), tagged


@pytest.mark.parametrize("rel", ALL)
def test_a_second_run_prints_the_same_text_outside_measurements(site, standalone_runs, rel):
    if standalone_runs[rel].returncode != 0:
        pytest.skip("failed when run alone (reported by the test above)")
    declares_measurements, tagged = _labels(rel)
    engine = text_outputs(REPO / "build" / "executed" / "notebooks" / rel, mask_numbers=declares_measurements)
    alone = text_outputs(standalone_runs[rel].executed, mask_numbers=declares_measurements, scrub=True)
    assert engine.keys() == alone.keys(), "the published copy has the engine's cells"
    differences = []
    for i in engine:
        first, second = engine[i], alone[i]
        if i in tagged:
            first, second = bool(first.strip()), bool(second.strip())  # printed something both times
            if first != second:
                differences.append(f"cell {i + 1}: printed {'nothing' if not second else 'text'} the second time")
            continue
        if first != second:
            differences.append(f"cell {i + 1}: {first_difference(first, second)}")
    assert not differences, (
        f"notebooks/{rel} printed different text on a second run (fix a seed, or tag the cell "
        f"{MEASUREMENT_TAG!r} if it shows a measurement):\n" + "\n".join(differences)
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
    run = run_alone(short, "benchmark-start.ipynb", wheel=None, timeout=120)
    assert run.returncode != 0 and first_code < support
    assert "ModuleNotFoundError" in run.log and "pip install https://" in run.log and "make lab" in run.log, run.log
    assert re.search(r"fwbench-[\w.+-]+\.whl", run.log), "names the wheel the site publishes"
