"""The executor names notebook, cell and claim when a notebook raises, dies or hangs, and its
cache re-executes only when code, dependencies or the environment change."""

import json
import re

import nbformat
import pytest
from builders import BASIC, claim

from factcheck import ExecutionError, Project, execute, load
from factcheck.run.executor import Executor, select_shard

FAILING = [
    ("md", "# Failing demo"),
    ("code", "x = 1"),
    ("code", "assert x == 2, 'x should be two'", ["tf-check"]),
    ("code", "print('never reached')", ["pt-check"]),
]
DYING = [
    ("md", "# Dying demo"),
    ("code", "import os"),
    ("code", "os.abort()", ["tf-check"]),
    ("code", "assert True", ["pt-check"]),
]
HANGING = [
    ("md", "# Hanging demo"),
    ("code", "import time"),
    ("code", "assert True", ["tf-check"]),
    ("code", "time.sleep(60)\nassert True", ["pt-check"]),
]


def execute_project(demo):
    """Load and execute the demo project as a build does; failures raise ExecutionError."""
    report = execute(load(Project.at(demo.root)), progress=lambda line: None)
    report.raise_for_failures()
    return report


def project_with(demo, name, cells, cid, timeout=None):
    path = demo.write_notebook(f"demo/{name}.ipynb", cells)
    if timeout:
        nb = nbformat.read(path, as_version=4)
        nb.metadata["factcheck"] = {"timeout": timeout}
        nbformat.write(nb, path)
    demo.write_claims([claim(cid, notebook=f"demo/{name}.ipynb")])
    demo.write_page(f"# Demo {{ #demo }}\n\n<!-- claim: {cid} -->\n")
    return lambda: execute_project(demo)


def test_a_raising_cell_names_notebook_cell_claim_and_error(demo):
    run = project_with(demo, "failing", FAILING, "demo-failing-claim")
    with pytest.raises(ExecutionError) as err:
        run()
    message = str(err.value)
    assert "notebooks/demo/failing.ipynb: cell 4 raised" in message  # title, Colab cell, setup, failing cell
    assert "claims: demo-failing-claim" in message
    assert "AssertionError: x should be two" in message
    failure = err.value.failures[0]
    assert (failure.kind, failure.cell, failure.claims) == ("error", 4, ["demo-failing-claim"])


def test_a_dead_kernel_is_reported_with_the_notebook_that_died(demo):
    run = project_with(demo, "dying", DYING, "demo-dying-claim")
    with pytest.raises(ExecutionError) as err:
        run()
    failure = err.value.failures[0]
    assert failure.kind == "kernel-died"
    assert failure.notebook == "demo/dying.ipynb"
    assert failure.cell == 4
    assert "demo-dying-claim" in failure.message and "killed its kernel" in failure.message


def test_a_hanging_cell_times_out_with_its_cell_named(demo):
    run = project_with(demo, "hanging", HANGING, "demo-hanging-claim", timeout=3)
    with pytest.raises(ExecutionError) as err:
        run()
    failure = err.value.failures[0]
    assert failure.kind == "timeout" and failure.cell == 5
    assert "notebooks/demo/hanging.ipynb: cell 5 timed out (claims: demo-hanging-claim)" in failure.message


def test_an_untagged_setup_cell_failure_names_every_claim_of_the_notebook(demo):
    cells = [("md", "# Setup fails"), ("code", "import not_a_real_module_here"), *BASIC[2:]]
    run = project_with(demo, "setup", cells, "demo-setup-claim")
    with pytest.raises(ExecutionError, match=r"cell 3 raised \(claims: demo-setup-claim\): ModuleNotFoundError"):
        run()


def test_failed_notebooks_are_not_cached_and_others_still_run(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    demo.write_notebook("demo/failing.ipynb", FAILING)
    report = Executor(Project.at(demo.root), progress=lambda line: None).run()
    assert {r.notebook: r.status for r in report.results} == {"demo/basic.ipynb": "ran", "demo/failing.ipynb": "failed"}
    again = Executor(Project.at(demo.root), progress=lambda line: None).run()
    assert {r.notebook: r.status for r in again.results} == {"demo/basic.ipynb": "hit", "demo/failing.ipynb": "failed"}


def statuses(demo):
    report = Executor(Project.at(demo.root), progress=lambda line: None).run()
    return [r.status for r in report.results]


def test_cache_hits_on_a_prose_only_edit(demo):
    path = demo.write_notebook("demo/basic.ipynb", BASIC)
    assert statuses(demo) == ["ran"]
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nA new paragraph of prose."
    nbformat.write(nb, path)
    assert statuses(demo) == ["hit"]


def test_cache_misses_on_a_code_edit(demo):
    path = demo.write_notebook("demo/basic.ipynb", BASIC)
    assert statuses(demo) == ["ran"]
    nb = nbformat.read(path, as_version=4)
    setup = next(c for c in nb.cells if "x = 21" in c.source)
    setup.source = setup.source.replace("x = 21", "x = 21  # same value, new code")
    nbformat.write(nb, path)
    assert statuses(demo) == ["ran"]


def test_cache_misses_on_a_changed_lock_file(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    assert statuses(demo) == ["ran"]
    (demo.root / "requirements.lock").write_text("demo==1.1\n")
    assert statuses(demo) == ["ran"]


def test_cache_misses_when_a_declared_data_file_changes(demo):
    path = demo.write_notebook("demo/basic.ipynb", BASIC)
    (demo.root / "data.yaml").write_text("a: 1\n")
    nb = nbformat.read(path, as_version=4)
    nb.metadata["factcheck"] = {"depends": ["data.yaml"]}
    nbformat.write(nb, path)
    assert statuses(demo) == ["ran"]
    assert statuses(demo) == ["hit"]
    (demo.root / "data.yaml").write_text("a: 2\n")
    assert statuses(demo) == ["ran"]


def test_execution_record_holds_versions_machine_and_date(demo):
    demo.basic()
    execute_project(demo)
    record = json.loads(Project.at(demo.root).record_path("demo/basic.ipynb").read_text())
    assert record["versions"]["python"].count(".") == 2
    assert record["machine"]["cores"] >= 1 and record["machine"]["cpu"]
    assert record["executed_at"][:2] == "20"
    executed = nbformat.read(Project.at(demo.root).executed_notebook("demo/basic.ipynb"), as_version=4)
    tf_cell = next(c for c in executed.cells if "tf-check" in c.metadata.get("tags", []))
    assert tf_cell.outputs[0]["text"] == "tf side 42\n"


def test_shards_split_notebooks_without_overlap():
    notebooks = [f"s/{i}.ipynb" for i in range(7)]
    shards = [select_shard(notebooks, f"{i}/3") for i in (1, 2, 3)]
    assert sorted(sum(shards, [])) == sorted(notebooks)
    assert all(shards)
    with pytest.raises(ValueError, match="i/n"):
        select_shard(notebooks, "4/3")


def test_machine_paths_and_addresses_never_reach_the_outputs(demo):
    cells = [
        ("md", "# Paths"),
        (
            "code",
            "import os, sys, tempfile\nprint(sys.prefix, os.getcwd(), tempfile.gettempdir())\nprint(object())",
            ["tf-check"],
        ),
        ("code", "assert True", ["pt-check"]),
    ]
    demo.write_notebook("demo/paths.ipynb", cells)
    Executor(Project.at(demo.root), progress=lambda line: None).run()
    text = Project.at(demo.root).executed_notebook("demo/paths.ipynb").read_text()
    import sys

    assert sys.prefix not in text and str(demo.root) not in text and not re.search(r"(?<!\$TMPDIR)/tmp", text)
    assert "$VENV" in text and "$TMPDIR/tmp…/notebook" in text and "0x…" in text


def test_a_notebook_runs_as_a_reader_runs_a_download_alone_offline_without_the_repository(demo):
    """The one executor's run is the proof that a published notebook runs alone: an empty
    working folder, the repository's packages unimportable, no network."""
    (demo.root / "notebooks" / "demo" / "neighbour.yaml").write_text("x: 1\n")
    probes = {
        "empty-folder": "import os\nassert os.listdir('.') == [], os.listdir('.')",
        "no-neighbour": "import os\nassert not os.path.exists('neighbour.yaml')",
        "no-repository": (
            "import importlib\nfor name in ('factcheck', 'fwbench'):\n"
            "    try:\n        importlib.import_module(name)\n    except ModuleNotFoundError:\n        pass\n"
            "    else:\n        raise AssertionError(name + ' imported')"
        ),
        "no-network": (
            "import socket\ns = socket.socket()\ntry:\n    s.connect(('192.0.2.1', 80))\n"
            "except OSError as exc:\n    assert 'network closed' in str(exc), exc\n"
            "else:\n    raise AssertionError('connected')"
        ),
    }
    cells = [("md", "# Conditions"), *(("code", code, [tag]) for tag, code in probes.items())]
    demo.write_notebook("demo/conditions.ipynb", cells)
    report = Executor(Project.at(demo.root), progress=lambda line: None).run()
    assert not report.failures, report.failures[0].message
    record = json.loads(Project.at(demo.root).record_path("demo/conditions.ipynb").read_text())
    assert record["conditions"] == {"folder": "empty", "network": "closed", "repository": "unimportable"}


def test_scrubbing_hides_per_run_names_and_is_idempotent():
    from factcheck.run.sanitize import sanitize_text

    paths = [("/tmp", "$TMPDIR")]
    raw = "> /tmp/ipykernel_13520/1795322581.py(7)f()\nsaved to /tmp/tmpab12cd34/model at 0x7f3a2b1c9d80"
    once = sanitize_text(raw, paths)
    assert once == "> $TMPDIR/ipykernel_…/1795322581.py(7)f()\nsaved to $TMPDIR/tmp…/model at 0x…"
    assert sanitize_text(once, paths) == once
