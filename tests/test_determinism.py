"""Every notebook runs top to bottom in a plain Jupyter kernel (as a reader runs a download), and
that second, independent run prints what the engine's run printed: seeds are fixed. Only
measurements may move, and they are labelled: in a notebook that declares measurements
(timings, sizes) numbers and spacing are masked; a cell tagged `measurement` (a timing, or a
benchmark's winner) need only print something both times. Building the site twice gives the
same claims.json and the same pages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from builders import REPO
from plain_kernel import NOTEBOOKS, run_all, text_outputs

from factcheck.drift import first_difference
from factcheck.extract import MEASUREMENT_TAG
from factcheck.notebooks import cell_tags, find_notebooks, notebook_settings, read_notebook

pytestmark = [pytest.mark.site, pytest.mark.rerun]
ALL = [str(p.relative_to(NOTEBOOKS)) for p in find_notebooks(NOTEBOOKS)]


@pytest.fixture(scope="session")
def plain_runs(site):
    """The second execution; after the site build, so the two never share the cores."""
    return run_all()


@pytest.mark.parametrize("rel", ALL)
def test_notebook_runs_top_to_bottom_in_a_plain_jupyter_kernel(plain_runs, rel):
    run = plain_runs[rel]
    assert run.returncode == 0, f"notebooks/{rel} failed under `jupyter nbconvert --execute`:\n{run.log}"


def _labels(rel: str) -> tuple[bool, set[int]]:
    """(does the notebook declare measurements, the cells tagged as measurements)"""
    nb = read_notebook(NOTEBOOKS / rel)
    tagged = {i for i, cell in enumerate(nb.cells) if MEASUREMENT_TAG in cell_tags(cell)}
    return bool(notebook_settings(nb).get("measurements")), tagged


@pytest.mark.parametrize("rel", ALL)
def test_a_second_run_prints_the_same_text_outside_measurements(site, plain_runs, rel):
    if plain_runs[rel].returncode != 0:
        pytest.skip("failed in the plain kernel (reported by the test above)")
    declares_measurements, tagged = _labels(rel)
    executed = REPO / "build" / "executed" / "notebooks" / rel
    masked = declares_measurements
    engine = text_outputs(executed, mask_numbers=masked)
    plain = text_outputs(plain_runs[rel].executed, mask_numbers=masked, scrub=True)
    differences = []
    for i in engine:
        first, second = engine[i], plain[i]
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


def test_building_twice_gives_the_same_claims_json_and_pages(site, tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    again = tmp_path / "site-again"
    build = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(again)], cwd=REPO, capture_output=True, text=True
    )
    assert build.returncode == 0, build.stderr[-3000:]
    assert json.loads((again / "claims.json").read_text()) == json.loads((site.dir / "claims.json").read_text())
    differ = []
    for path in sorted(p for p in site.dir.rglob("*") if p.suffix in (".html", ".json", ".svg", ".css", ".png")):
        twin = again / path.relative_to(site.dir)
        if not twin.is_file() or twin.read_bytes() != path.read_bytes():
            differ.append(str(path.relative_to(site.dir)))
    assert not differ, f"a second build wrote different files: {differ[:20]}"
