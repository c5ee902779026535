"""The drift report names each claim whose evidence fails or whose output changed on a run against
other package versions (here simulated by editing the notebook between two runs). The latest run
takes the path `make test-latest` takes after its environment is built: the matrix's worker
executes every notebook (errors allowed), the run judges every claim side into a result in the
matrix's format, and `python -m factcheck drift --latest DIR --run-result FILE` compares."""

import json

from builders import claim

from factcheck import Project, load_registry
from factcheck.cli import main as factcheck
from factcheck.judging.results import RunResult, write_result
from factcheck.matrix.run import judge, notebook_result
from factcheck.matrix.worker import execute_notebooks
from factcheck.run.cache import code_hash
from factcheck.run.executor import Executor
from factcheck.sources.notebooks import read_notebook


def pinned_run(demo, cells):
    """The build's run (the baseline): the engine's executor into build/executed."""
    demo.write_notebook("demo/basic.ipynb", cells)
    project = Project.at(demo.root)
    Executor(project, load_registry(demo.root / "claims"), progress=lambda line: None).run()


def latest_run(demo, cells) -> tuple:
    """What `make test-latest` does once its environment exists: worker, judge, result file."""
    demo.write_notebook("demo/basic.ipynb", cells)
    rel, out = "demo/basic.ipynb", demo.root / "latest" / "notebooks"
    execute_notebooks([rel], out, jobs=1, notebooks_dir=demo.root / "notebooks")
    source_hash = code_hash(read_notebook(demo.root / "notebooks" / rel))
    record, nb = notebook_result(rel, out / rel, source_hash)
    registry = load_registry(demo.root / "claims", demo.root / "notebooks")
    result = RunResult(
        kind="drift",
        framework="all",
        requested="newest",
        got={"torch": "9.9.0", "tensorflow": "9.9.0"},
        date="2026-12-07",
        status="complete",
        wall={"total": 1.0},
        environment=None,
        notebooks={rel: record},
        claims=judge(registry, {rel: nb}, {rel: record}, None),
    )
    path = write_result(result, demo.root / "newest.json")
    return demo.root / "latest", path


def cells(tf_code, pt_code):
    return [
        ("md", "# Drift demo"),
        ("code", "x = 21"),
        ("code", tf_code, ["tf-check"]),
        ("code", pt_code, ["pt-check"]),
    ]


PASSING = cells("assert x * 2 == 42\nprint('API present: True, took 0.31 s')", "assert x + 21 == 42\nprint('ok')")


def report_for(demo, latest_cells, baseline_cells=PASSING) -> tuple[dict, str]:
    demo.write_claims([claim("demo-drift-claim")])
    pinned_run(demo, baseline_cells)
    latest, result = latest_run(demo, latest_cells)
    out = demo.root / "drift"
    args = ["--root", str(demo.root), "drift", "--latest", str(latest), "--run-result", str(result)]
    rc = factcheck([*args, "--out", str(out)])
    assert rc == 0
    return json.loads((out / "drift.json").read_text()), (out / "drift.md").read_text()


def test_a_claim_whose_evidence_now_fails_is_reported_with_cell_and_error(demo):
    failing = cells("assert hasattr(x, 'gone'), 'the API was removed'", "assert x + 21 == 42\nprint('ok')")
    report, text = report_for(demo, failing)
    row = report["claims"][0]
    assert row["status"] == "fails"
    # cell 4: after the title, the Colab cell and the setup cell
    assert "notebooks/demo/basic.ipynb cell 4" in row["details"][0] and "the API was removed" in row["details"][0]
    assert report["counts"]["fails"] == 1
    assert "**demo-drift-claim** (demo, verdict holds): fails" in text
    # A flip proposes an entry for the changes log, for a person to review.
    assert "Proposed entries for data/changes.yaml" in text and "    claim: demo-drift-claim" in text


def test_changed_wording_is_reported_but_new_numbers_are_not(demo):
    changed = cells("assert x * 2 == 42\nprint('API present: False, took 0.31 s')", "assert x + 21 == 42\nprint('ok')")
    row = report_for(demo, changed)[0]["claims"][0]
    assert row["status"] == "changed"
    assert "'API present: False, took # s'" in row["details"][0]


def test_timings_that_move_do_not_count_as_drift(demo):
    slower = cells("assert x * 2 == 42\nprint('API present: True, took 2.75 s')", "assert x + 21 == 42\nprint('ok')")
    report, text = report_for(demo, slower)
    assert report["claims"][0]["status"] == "same"
    assert "No claim's evidence failed or changed its output." in text


def test_a_changed_cell_tagged_measurement_is_a_moved_measurement_not_a_flip(demo):
    def tagged(tf_code):
        return [
            ("md", "# Drift demo"),
            ("code", "x = 21"),
            ("code", tf_code, ["tf-check", "measurement"]),
            ("code", "assert x + 21 == 42\nprint('ok')", ["pt-check"]),
        ]

    report, _ = report_for(
        demo,
        tagged("assert x * 2 == 42\nprint('fastest: graph')"),
        tagged("assert x * 2 == 42\nprint('fastest: eager')"),
    )
    row = report["claims"][0]
    assert row["status"] == "measured" and "'fastest: graph'" in row["details"][0]
