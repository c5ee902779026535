"""The drift report names each claim whose evidence fails or whose output changed on a run
against other package versions (here simulated by editing the notebook between two runs)."""

import json

from builders import claim

from factcheck import Project, load_registry
from factcheck.reports.drift import RunTree, drift_markdown, drift_report
from factcheck.run.executor import Executor


def run(demo, cells, tree: str):
    demo.write_notebook("demo/basic.ipynb", cells)
    project = Project.at(demo.root, executed_dir=demo.root / tree, cache_dir=demo.root / f".cache-{tree}")
    report = Executor(project, load_registry(demo.root / "claims"), progress=lambda line: None).run()
    (demo.root / f"{tree}.json").write_text(json.dumps(report.as_json()))
    return RunTree.load(demo.root / tree, demo.root / f"{tree}.json")


def cells(tf_code, pt_code):
    return [
        ("md", "# Drift demo"),
        ("code", "x = 21"),
        ("code", tf_code, ["tf-check"]),
        ("code", pt_code, ["pt-check"]),
    ]


PASSING = cells("assert x * 2 == 42\nprint('API present: True, took 0.31 s')", "assert x + 21 == 42\nprint('ok')")


def report_for(demo, latest_cells):
    demo.write_claims([claim("demo-drift-claim")])
    baseline = run(demo, PASSING, "pinned")
    latest = run(demo, latest_cells, "latest")
    return drift_report(load_registry(demo.root / "claims"), baseline, latest, "2026-11-25")


def test_a_claim_whose_evidence_now_fails_is_reported_with_cell_and_error(demo):
    failing = cells("assert hasattr(x, 'gone'), 'the API was removed'", "assert x + 21 == 42\nprint('ok')")
    report = report_for(demo, failing)
    row = report["claims"][0]
    assert row["status"] == "fails"
    # cell 4: after the title, the Colab cell and the setup cell
    assert "notebooks/demo/basic.ipynb cell 4" in row["details"][0] and "the API was removed" in row["details"][0]
    assert report["counts"]["fails"] == 1
    text = drift_markdown(report)
    assert "**demo-drift-claim** (demo, verdict holds): fails" in text
    assert "| python |" in text


def test_changed_wording_is_reported_but_new_numbers_are_not(demo):
    changed = cells("assert x * 2 == 42\nprint('API present: False, took 0.31 s')", "assert x + 21 == 42\nprint('ok')")
    row = report_for(demo, changed)["claims"][0]
    assert row["status"] == "changed"
    assert "'API present: False, took # s'" in row["details"][0]


def test_timings_that_move_do_not_count_as_drift(demo):
    slower = cells("assert x * 2 == 42\nprint('API present: True, took 2.75 s')", "assert x + 21 == 42\nprint('ok')")
    report = report_for(demo, slower)
    assert report["claims"][0]["status"] == "same"
    assert "No claim's evidence failed or changed its output." in drift_markdown(report)


def test_a_changed_cell_tagged_measurement_is_a_moved_measurement_not_a_flip(demo):
    def tagged(tf_code):
        return [
            ("md", "# Drift demo"),
            ("code", "x = 21"),
            ("code", tf_code, ["tf-check", "measurement"]),
            ("code", "assert x + 21 == 42\nprint('ok')", ["pt-check"]),
        ]

    demo.write_claims([claim("demo-drift-claim")])
    baseline = run(demo, tagged("assert x * 2 == 42\nprint('fastest: eager')"), "pinned")
    latest = run(demo, tagged("assert x * 2 == 42\nprint('fastest: graph')"), "latest")
    row = drift_report(load_registry(demo.root / "claims"), baseline, latest, "2026-11-25")["claims"][0]
    assert row["status"] == "measured" and "'fastest: graph'" in row["details"][0]
