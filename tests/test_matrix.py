"""The version matrix: result format, classification, resuming (no real installs)."""

from __future__ import annotations

import json
import sys

import pytest
from builders import REPO, claim

from factcheck.judging.results import (
    COULD_NOT_RUN,
    EARLIER_CELL,
    FAILS,
    HOLDS,
    KERNEL_DIED,
    MISSING_PACKAGE,
    PACKAGE_MISMATCH,
    TIMEOUT,
    Check,
    Environment,
    LeftOut,
    NotebookResult,
    PackageStatus,
    ResultError,
    RunResult,
    claim_history,
    classify_claims,
    classify_side,
    count_outcomes,
    error_line,
    load_results,
    notebook_source_hash,
    read_result,
    stale_notebooks,
    validate,
    write_result,
)
from factcheck.sources.registry import load_registry

sys.path.insert(0, str(REPO / "tools"))
import matrix  # noqa: E402  (tools/matrix.py: a script, imported by name so its workers can pickle)

# A notebook whose cells cover every case: a setup cell, a claim that holds, one that fails
# its assert, one whose cell imports a package the environment lacks, one that uses a torch
# API that does not exist, and one whose cell depends on a variable an earlier claim's cell
# never defined.
CASES = [
    ("md", "# Cases\n\nEvery outcome once."),
    ("code", "import os\nbase = 21"),
    ("code", "assert base * 2 == 42\nprint('holds')", ["tf-holds"]),
    ("code", "assert base * 2 == 43, 'the arithmetic changed'", ["pt-fails"]),
    ("code", "raise RuntimeError('boom in an earlier claim')\nboom_result = base", ["pt-boom"]),
    ("code", "assert boom_result == 21", ["pt-after-boom"]),
    ("code", "import surely_not_installed_pkg\nassert True", ["tf-missing"]),
    ("code", "x = 1\nassert x == 1", ["pt-holds"]),
]

# A notebook whose setup cell cannot import a library: every claim in it could not run.
SETUP_IMPORT = [
    ("md", "# Setup fails\n\nThe setup imports a library that is left out."),
    ("code", "import surely_not_installed_pkg as lib"),
    ("code", "assert lib.answer == 42", ["tf-needs-lib"]),
    ("code", "assert 1 + 1 == 2", ["pt-plain"]),
]

# A setup cell that raises something other than ImportError (a newer API than the claim needs).
SETUP_ERROR = [
    ("md", "# Setup raises\n\nA setup cell uses an API this release lacks."),
    ("code", "raise AttributeError(\"module 'torch' has no attribute 'compiler'\")\nvalue = 1"),
    ("code", "assert value == 1", ["tf-after-setup"]),
    ("code", "assert 2 == 2", ["pt-after-setup"]),
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Fixture notebooks executed for real (nbclient, allow_errors) by the matrix's worker."""
    from builders import DemoProject

    demo = DemoProject(tmp_path_factory.mktemp("matrix") / "project")
    # Without generated cells: the cell numbers below count the fixture's own cells.
    demo.write_notebook("demo/cases.ipynb", CASES, sync=False)
    demo.write_notebook("demo/setup-import.ipynb", SETUP_IMPORT, sync=False)
    demo.write_notebook("demo/setup-error.ipynb", SETUP_ERROR, sync=False)
    demo.write_claims(
        [
            claim("demo-holds-and-fails", "demo/cases.ipynb", ["tf-holds"], ["pt-fails"]),
            claim("demo-missing-and-boom", "demo/cases.ipynb", ["tf-missing"], ["pt-boom"]),
            claim(
                "demo-after-boom",
                "demo/cases.ipynb",
                ["tf-holds"],
                ["pt-after-boom"],
                evidence={
                    "tensorflow": {"notebook": "demo/cases.ipynb", "cells": ["tf-holds"]},
                    "pytorch": {"notebook": "demo/cases.ipynb", "cells": ["pt-after-boom"]},
                    "both": {"notebook": "demo/cases.ipynb", "cells": ["pt-boom"]},
                },
            ),
            claim("demo-setup-import", "demo/setup-import.ipynb", ["tf-needs-lib"], ["pt-plain"]),
            claim("demo-setup-error", "demo/setup-error.ipynb", ["tf-after-setup"], ["pt-after-setup"]),
        ]
    )
    out = demo.root / "executed"
    rels = ["demo/cases.ipynb", "demo/setup-import.ipynb", "demo/setup-error.ipynb"]
    matrix.execute_notebooks(rels, out, jobs=2, notebooks_dir=demo.root / "notebooks")
    registry = load_registry(demo.root / "claims", demo.root / "notebooks")
    nbs, records = {}, {}
    for rel in rels:
        rec = json.loads((out / rel).with_suffix(".outcome.json").read_text())
        nb = matrix._read_nb(out / rel)
        nbs[rel] = nb
        stopped = rec["cell"] + 1 if rec["status"] in ("timeout", "kernel-died") else None
        records[rel] = NotebookResult(
            rel, rec["status"], notebook_source_hash(nb), rec["seconds"], stopped, rec["error"]
        )
    return registry, nbs, records


def test_executed_fixture_notebooks_are_classified(executed):
    registry, nbs, records = executed
    assert {r.status for r in records.values()} == {"ran"}, "allow_errors: every cell runs"
    results = classify_claims(registry, nbs, records)

    hf = results["demo-holds-and-fails"]
    assert hf["tensorflow"].outcome == HOLDS
    assert hf["pytorch"].outcome == FAILS
    assert hf["pytorch"].error == "AssertionError: the arithmetic changed"
    assert hf["pytorch"].cell == 4

    mb = results["demo-missing-and-boom"]
    assert mb["tensorflow"].outcome == COULD_NOT_RUN
    assert mb["tensorflow"].reason.kind == MISSING_PACKAGE
    assert mb["tensorflow"].reason.package == "surely_not_installed_pkg"
    assert mb["pytorch"].outcome == FAILS  # the claim's own cell raised: that is the claim failing
    assert mb["pytorch"].error == "RuntimeError: boom in an earlier claim"

    after = results["demo-after-boom"]
    assert set(after) == {"tensorflow", "pytorch"}, "'both' cells are never judged"
    assert after["pytorch"].outcome == COULD_NOT_RUN
    assert after["pytorch"].reason.kind == EARLIER_CELL
    assert after["pytorch"].reason.cell == 5
    assert "cell 5 (pt-boom) raised RuntimeError: boom in an earlier claim" in after["pytorch"].reason.detail

    si = results["demo-setup-import"]
    assert si["tensorflow"].outcome == COULD_NOT_RUN
    assert si["tensorflow"].reason.kind == MISSING_PACKAGE
    assert si["tensorflow"].reason.detail.startswith("cell 2 (setup) raised ModuleNotFoundError")
    assert si["pytorch"].outcome == HOLDS, "a side whose cells all ran and raised nothing holds"

    se = results["demo-setup-error"]
    assert se["tensorflow"].outcome == COULD_NOT_RUN
    assert se["tensorflow"].reason.kind == EARLIER_CELL
    assert "AttributeError: module 'torch' has no attribute 'compiler'" in se["tensorflow"].reason.detail


def test_could_not_run_is_never_counted_as_a_failure(executed):
    registry, nbs, records = executed
    counts = count_outcomes(classify_claims(registry, nbs, records))
    assert counts[FAILS] == 2  # the arithmetic assert and the claim cell that raised, nothing else
    assert counts[COULD_NOT_RUN] == 4
    assert counts[HOLDS] == 4
    assert counts["total"] == 10
    assert counts["decided_share"] == 0.6


def _cell(source, tags=(), error=None, ran=True):
    cell = {"cell_type": "code", "source": source, "metadata": {"tags": list(tags)}, "outputs": []}
    cell["execution_count"] = 1 if ran else None
    if error:
        ename, evalue = error
        cell["outputs"].append({"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []})
    return cell


def test_framework_api_import_error_is_a_failure_not_a_missing_package():
    nb = {
        "cells": [
            _cell("import torch"),
            _cell("from torch.export import export", ["t"], ("ModuleNotFoundError", "No module named 'torch.export'")),
        ]
    }
    side = classify_side(nb, ["t"])
    assert side.outcome == FAILS
    assert side.error == "ModuleNotFoundError: No module named 'torch.export'"
    nb = {"cells": [_cell("import onnx", ["t"], ("ModuleNotFoundError", "No module named 'onnx'"))]}
    assert classify_side(nb, ["t"]).reason.kind == MISSING_PACKAGE


def test_a_missing_package_earlier_in_the_notebook_is_not_the_claims_failure():
    # pytorch-paths: the LiteRT cell lacks litert-torch, then the summary cell asserts every path.
    nb = {
        "cells": [
            _cell("import torch"),
            _cell("import litert_torch", ["litert"], ("ModuleNotFoundError", "No module named 'litert_torch'")),
            _cell("assert paths == ALL", ["table"], ("AssertionError", "assert paths == ALL")),
            _cell(
                "metadata('litert-torch')",
                ["meta"],
                ("PackageNotFoundError", "No package metadata was found for litert-torch"),
            ),
        ]
    }
    table = classify_side(nb, ["table"])
    assert (table.outcome, table.reason.kind, table.reason.cell) == (COULD_NOT_RUN, MISSING_PACKAGE, 2)
    assert table.reason.detail.startswith("cell 2 (litert) raised ModuleNotFoundError")
    meta = classify_side(nb, ["meta"])
    assert (meta.outcome, meta.reason.kind, meta.reason.package) == (COULD_NOT_RUN, MISSING_PACKAGE, "litert-torch")


def test_two_libraries_that_disagree_are_a_package_mismatch_not_the_claims_failure():
    # TensorFlow 2.16 holds ml_dtypes at 0.3; the onnx the run installed calls a newer dtype.
    mismatch = ("AttributeError", "module 'ml_dtypes' has no attribute 'float4_e2m1fn'")
    nb = {"cells": [_cell("import onnx"), _cell("export(model)", ["t"], mismatch), _cell("check()", ["u"])]}
    side = classify_side(nb, ["t"])
    assert (side.outcome, side.reason.kind, side.reason.package) == (COULD_NOT_RUN, PACKAGE_MISMATCH, "ml_dtypes")
    nb = {"cells": [_cell("import onnx", [], mismatch), _cell("assert ok", ["t"], ("NameError", "name 'x'"))]}
    assert classify_side(nb, ["t"]).reason.kind == PACKAGE_MISMATCH
    # The same disagreement as onnx words it on TensorFlow 2.14.
    reworded = ("AttributeError", "cannot import name 'float4_e2m1fn' from 'ml_dtypes'")
    side = classify_side({"cells": [_cell("export(model)", ["t"], reworded)]}, ["t"])
    assert (side.outcome, side.reason.kind, side.reason.package) == (COULD_NOT_RUN, PACKAGE_MISMATCH, "ml_dtypes")
    # A framework lacking an attribute the notebook uses is the claim's subject; our own module
    # lacking one is our defect.
    for module in ("keras", "torch.compiler", "fwbench"):
        nb = {
            "cells": [
                _cell("keras.ops.add(x, y)", ["t"], ("AttributeError", f"module '{module}' has no attribute 'ops'"))
            ]
        }
        assert classify_side(nb, ["t"]).outcome == FAILS, module
    nb = {
        "cells": [
            _cell(
                "from torch.export import Dim", ["t"], ("ImportError", "cannot import name 'Dim' from 'torch.export'")
            )
        ]
    }
    assert classify_side(nb, ["t"]).outcome == FAILS


def test_a_library_that_needs_a_newer_framework_is_a_package_mismatch():
    # transformers and litert-torch import torch APIs newer than torch 2.9; the notebook never names them.
    needs_newer = ("ImportError", "cannot import name 'ScalingType' from 'torch.nn.functional' ($VENV/...)")
    nb = {"cells": [_cell("import litert_torch", ["t"], needs_newer)]}
    side = classify_side(nb, ["t"])
    assert (side.outcome, side.reason.kind, side.reason.package) == (COULD_NOT_RUN, PACKAGE_MISMATCH, "torch")
    assert "needs a newer torch" in side.reason.detail
    nb = {
        "cells": [
            _cell("from transformers import BertModel", [], needs_newer),
            _cell("bert(x)", ["t"], ("NameError", "name 'BertModel' is not defined")),
        ]
    }
    assert classify_side(nb, ["t"]).reason.kind == PACKAGE_MISMATCH
    pytree = ("AttributeError", "module 'torch.utils._pytree' has no attribute 'register_constant'")
    nb = {"cells": [_cell("convert(model)", ["t"], pytree)]}
    assert classify_side(nb, ["t"]).reason.kind == PACKAGE_MISMATCH


def test_a_library_that_imports_only_on_newer_releases_fails_only_its_own_cells():
    # optional_import in a setup cell: keras-hub needs Keras 3, so on TensorFlow 2.15 the setup
    # cell still runs and the cell that uses keras_hub raises, naming it.
    stand_in = (
        "ModuleNotFoundError",
        "No module named 'keras_hub' that imports here (ImportError: cannot import name 'ops' from 'keras')",
    )
    nb = {
        "cells": [
            _cell('keras_hub = optional_import("keras_hub")'),
            _cell("keras_hub.models.Backbone", ["hub"], stand_in),
            _cell("assert not hasattr(tf, 'estimator')", ["tf"]),
        ]
    }
    hub = classify_side(nb, ["hub"])
    assert (hub.outcome, hub.reason.kind, hub.reason.package) == (COULD_NOT_RUN, MISSING_PACKAGE, "keras_hub")
    assert classify_side(nb, ["tf"]).outcome == HOLDS


def test_rebuilt_notebooks_classify_like_the_executed_ones(executed):
    from factcheck.judging.results import notebook_errors, rebuild_executed

    registry, nbs, records = executed
    for rel, record in records.items():
        record.errors = notebook_errors(nbs[rel])
    sources = {rel: {"cells": [dict(c, outputs=[], execution_count=None) for c in nb.cells]} for rel, nb in nbs.items()}
    rebuilt = {rel: rebuild_executed(sources[rel], records[rel]) for rel in records}
    assert classify_claims(registry, rebuilt, records) == classify_claims(registry, nbs, records)


def test_timeout_and_dead_kernel_are_could_not_run():
    nb = {"cells": [_cell("setup"), _cell("slow()", ["a"]), _cell("later()", ["b"], ran=False)]}
    a = classify_side(nb, ["a"], TIMEOUT, stopped_at=2, detail="no result within 300 s")
    assert (a.outcome, a.reason.kind, a.reason.cell) == (COULD_NOT_RUN, TIMEOUT, 2)
    assert a.reason.detail.startswith("this side's cell 2 timed out")
    b = classify_side(nb, ["b"], KERNEL_DIED, stopped_at=2)
    assert (b.outcome, b.reason.kind) == (COULD_NOT_RUN, KERNEL_DIED)
    assert b.reason.detail.startswith("an earlier cell 2 killed the kernel")
    assert classify_side(None, ["a"], "notebook-not-started", detail="no kernel").reason.detail == "no kernel"


def test_bare_assert_error_line_quotes_the_assert():
    output = {
        "output_type": "error",
        "ename": "AssertionError",
        "evalue": "",
        "traceback": [
            "\x1b[0;31mAssertionError\x1b[0m  Traceback",
            "Cell In[3], line 2\n      1 x = 1\n----> 2 assert x == 2\n",
        ],
    }
    assert error_line(output) == "AssertionError: assert x == 2"


def test_an_error_line_quotes_a_child_tracebacks_last_line_not_its_header():
    quoted = "Traceback (most recent call last):\n  File \"<string>\", line 8\nAttributeError: module 'torch' has no x"
    line = error_line({"ename": "AssertionError", "evalue": quoted})
    assert line == "AssertionError: ... AttributeError: module 'torch' has no x"
    stored = {"ename": "AssertionError", "evalue": "Traceback (most recent call last): ... KeyError: 'a'"}
    assert error_line(stored) == "AssertionError: ... KeyError: 'a'", "a line recorded by an older run reads the same"


def test_an_error_line_quoting_a_cut_traceback_tail_keeps_its_last_line():
    # err[-2000:] of a child's stderr starts mid-line; the heading, when we wrote one, stays.
    tail = '8, in <module>\n  File "/v/keras/src/saving/saving_api.py", line 8\nAttributeError: no float8'
    assert error_line({"ename": "AssertionError", "evalue": tail}) == "AssertionError: ... AttributeError: no float8"
    headed = "Keras on the torch backend failed:\n" + tail
    assert error_line({"ename": "AssertionError", "evalue": headed}) == (
        "AssertionError: Keras on the torch backend failed: ... AttributeError: no float8"
    )


def test_a_library_error_that_a_child_process_raised_is_judged_like_the_cells_own():
    # Keras 3.15's torch backend, run in a child process on torch 2.0-2.2: our assert quotes
    # what Keras raised, and Keras wants a torch newer than the release under test.
    launch = "out, err = proc.communicate()\nassert proc.returncode == 0, f'torch backend failed: {err}'"
    child = 'torch backend failed:\nTraceback (most recent call last):\n  File "<string>", line 4, in <module>\n'
    for raised, package in (
        ("AttributeError: module 'torch' has no attribute 'float8_e4m3fn'", "torch"),
        ("TypeError: register_pytree_node() got an unexpected keyword argument 'flatten_with_keys_fn'", None),
    ):
        side = classify_side({"cells": [_cell(launch, ["t"], ("AssertionError", child + raised))]}, ["t"])
        assert (side.outcome, side.reason.kind, side.reason.package) == (COULD_NOT_RUN, PACKAGE_MISMATCH, package)
        assert raised in side.reason.detail
        # the same, judged again from the error line a run recorded
        recorded = error_line({"ename": "AssertionError", "evalue": child + raised}).partition(": ")[2]
        side = classify_side({"cells": [_cell(launch, ["t"], ("AssertionError", recorded))]}, ["t"])
        assert side.reason.kind == PACKAGE_MISMATCH, recorded
    # What the notebook names itself stays the claim's failure, quoted or not.
    for raised in (
        "AttributeError: module 'keras' has no attribute 'ops'",
        "TypeError: export() got an unexpected keyword argument 'dynamo'",
    ):
        own = launch + "\nkeras.ops.add(x, y)\ntorch.onnx.export(model, dynamo=True)"
        side = classify_side({"cells": [_cell(own, ["t"], ("AssertionError", child + raised))]}, ["t"])
        assert side.outcome == FAILS, raised
        side = classify_side({"cells": [_cell(own, ["t"], raised.split(": ", 1))]}, ["t"])
        assert side.outcome == FAILS, raised


def test_a_cell_recording_a_failed_claims_figures_does_not_take_later_claims_down():
    # Keras 2.12 has no keras.optimizers.AdamW: that claim fails, the untagged cell recording its
    # figures raises NameError, and the RMSprop claim after it is still judged on its own cells.
    nb = {
        "cells": [
            _cell("import keras"),
            _cell(
                "adamw = keras.optimizers.AdamW()",
                ["adamw"],
                ("AttributeError", "module 'keras.optimizers' has no attribute 'AdamW'"),
            ),
            _cell("record('decay', adamw.weight_decay)", [], ("NameError", "name 'adamw' is not defined")),
            _cell("rms = keras.optimizers.RMSprop()", ["rms"]),
            _cell("print(f'{rms.rho:g}')", ["rms-format"], ("TypeError", "unsupported format string")),
        ]
    }
    assert classify_side(nb, ["adamw"]).outcome == FAILS
    assert classify_side(nb, ["rms"]).outcome == HOLDS
    side = classify_side(nb, ["rms-format"])
    assert (side.outcome, side.error) == (FAILS, "TypeError: unsupported format string")
    # A setup cell that raised on its own still takes them down.
    nb["cells"][2] = _cell("helper = make_helper()", [], ("NameError", "name 'make_helper' is not defined"))
    assert classify_side(nb, ["rms-format"]).reason.kind == EARLIER_CELL


def test_error_line_of_a_message_that_continues_on_later_lines():
    output = {"ename": "RuntimeError", "evalue": "worker 'torch' failed (exit 1):\nTraceback ...\nImportError: no fx"}
    assert error_line(output) == "RuntimeError: worker 'torch' failed (exit 1): ... ImportError: no fx"
    assert error_line({"ename": "ValueError", "evalue": "a bad value given\nmore"}) == "ValueError: a bad value given"


def _result(framework="torch", requested="2.3", got="2.3.1", outcome=HOLDS, status="complete") -> RunResult:
    from factcheck.judging.results import Reason, SideResult

    side = (
        SideResult(
            outcome,
            ("c",),
            error="AssertionError: no" if outcome == FAILS else None,
            cell=3 if outcome == FAILS else None,
        )
        if outcome != COULD_NOT_RUN
        else SideResult(outcome, ("c",), reason=Reason(MISSING_PACKAGE, "cell 2: No module named 'onnx'", 2, "onnx"))
    )
    env = Environment(
        python="3.11.7",
        packages={"torch": got, "tensorflow-cpu": "2.21.0"},
        frameworks=[PackageStatus("torch", got, "2.15.0", "the release under test")],
        other_framework={
            "package": "tensorflow-cpu",
            "pinned": "2.21.0",
            "got": "2.21.0",
            "reason": "the project pin",
            "attempts": [],
        },
        left_out=[LeftOut("litert-torch", "litert-torch 0.10.0 depends on torch<2.15")],
        checks=[Check("torch", True, "torchvision::nms loads")],
        caps=["pip config global.constraint: overridden"],
    )
    return RunResult(
        kind="matrix",
        framework=framework,
        requested=requested,
        got={"torch": got, "tensorflow": "2.21.0"},
        date="2026-11-29",
        status=status,
        wall={"total": 500.0, "install": 200.0, "execute": 290.0},
        environment=env,
        notebooks={"demo/a.ipynb": NotebookResult("demo/a.ipynb", "ran", "0123456789abcdef0123", 12.5)},
        claims={"demo-claim": {"pytorch": side, "tensorflow": SideResult(HOLDS, ("d",))}},
        disk={"peak_used": 9.5},
    )


def test_result_round_trips_through_json(tmp_path):
    for outcome in (HOLDS, FAILS, COULD_NOT_RUN):
        original = _result(outcome=outcome)
        path = write_result(original, tmp_path / f"{outcome}.json")
        data = json.loads(path.read_text())
        assert data["schema"] == 1 and data["counts"][outcome] >= 1
        again = RunResult.load(path)
        assert again.to_json() == original.to_json()
        assert again.environment.left_out[0].package == "litert-torch"
    assert not list(tmp_path.glob(".*.tmp")), "the atomic write leaves no temporary file"


def test_schema_rejects_bad_results():
    good = _result().to_json()
    validate(good)
    bad = json.loads(json.dumps(good))
    bad["claims"]["demo-claim"]["pytorch"]["outcome"] = "flipped"
    with pytest.raises(ResultError, match="flipped"):
        validate(bad)
    bad = json.loads(json.dumps(_result(outcome=FAILS).to_json()))
    bad["claims"]["demo-claim"]["pytorch"]["error"] = None  # a failure must say what failed
    with pytest.raises(ResultError):
        validate(bad)
    bad = json.loads(json.dumps(_result(outcome=COULD_NOT_RUN).to_json()))
    bad["claims"]["demo-claim"]["pytorch"]["reason"] = None  # could-not-run must say why
    with pytest.raises(ResultError):
        validate(bad)
    bad = json.loads(json.dumps(good))
    bad["claims"]["demo-claim"]["both"] = bad["claims"]["demo-claim"]["pytorch"]
    with pytest.raises(ResultError):
        validate(bad)


def test_partial_or_foreign_files_read_as_missing(tmp_path):
    path = write_result(_result(), tmp_path / "torch-2.3.json")
    text = path.read_text()
    assert read_result(path) is not None
    path.write_text(text[: len(text) // 2])  # a crash in the middle of someone else's write
    assert read_result(path) is None
    path.write_text(json.dumps({"schema": 99}))
    assert read_result(path) is None
    assert read_result(tmp_path / "absent.json") is None


def test_a_claim_that_holds_on_some_releases_only(tmp_path):
    for minor, patch, outcome in (("2.1", "2.1.2", FAILS), ("2.2", "2.2.2", COULD_NOT_RUN), ("2.3", "2.3.1", HOLDS)):
        write_result(_result(requested=minor, got=patch, outcome=outcome), tmp_path / f"torch-{minor}.json")
    (tmp_path / "torch-2.4.json").write_text("{")  # partial: skipped
    results = load_results(tmp_path)
    assert [r.requested for r in results] == ["2.1", "2.2", "2.3"]
    history = claim_history(results, "demo-claim", "pytorch")
    assert history == {"torch 2.1.2": FAILS, "torch 2.2.2": COULD_NOT_RUN, "torch 2.3.1": HOLDS}
    assert claim_history(results, "demo-claim", "tensorflow") == dict.fromkeys(history, HOLDS)


def test_stale_results_are_detected():
    result = _result()
    assert stale_notebooks(result, {"demo/a.ipynb": "0123456789abcdef0123"}) == []
    assert stale_notebooks(result, {"demo/a.ipynb": "ffff", "demo/b.ipynb": "0"}) == ["demo/a.ipynb", "demo/b.ipynb"]


def test_source_hash_ignores_markdown_and_outputs():
    from builders import notebook

    a = notebook([("md", "# One"), ("code", "x = 1", ["t"])])
    b = notebook([("md", "# Two, reworded"), ("code", "x = 1", ["t"])])
    b.cells[1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    c = notebook([("md", "# One"), ("code", "x = 2", ["t"])])
    assert notebook_source_hash(a) == notebook_source_hash(b) != notebook_source_hash(c)


def test_broken_environment_is_a_run_status_not_flipped_claims(executed):
    registry, _nbs, _records = executed
    results = classify_claims(registry, {}, {}, broken="torch: RuntimeError: operator torchvision::nms does not exist")
    sides = [s for c in results.values() for s in c.values()]
    assert {s.outcome for s in sides} == {COULD_NOT_RUN}
    assert {s.reason.kind for s in sides} == {"broken-environment"}


# --- the runner, without installing anything ------------------------------------------------------


class FakeRun:
    """Stands in for matrix.Run: returns a result, or crashes on the runs listed in ``crash``."""

    crash: set = set()
    ran: list = []

    def __init__(self, framework, minor, version, pypi, out_dir):
        self.framework, self.minor, self.version = framework, minor, version
        self.name = f"{framework}-{minor}"

    def execute(self):
        FakeRun.ran.append(self.name)
        if self.name in FakeRun.crash:
            raise KeyboardInterrupt("stopped midway")
        return _result(self.framework, self.minor, self.version)


@pytest.fixture
def fake_runner(monkeypatch, tmp_path):
    monkeypatch.setattr(matrix, "CACHE", tmp_path / "cache")  # never the real runner's lock or environments
    monkeypatch.setattr(matrix, "ENVS", tmp_path / "cache" / "matrix-envs")
    monkeypatch.setattr(matrix, "fetch_json", lambda name: {"releases": {}})
    monkeypatch.setattr(
        matrix, "plan", lambda pypi: [("torch", "2.1", "2.1.2"), ("torch", "2.2", "2.2.2"), ("torch", "2.3", "2.3.1")]
    )
    monkeypatch.setattr(matrix, "Run", FakeRun)
    FakeRun.crash, FakeRun.ran = set(), []
    return FakeRun


def test_runs_resume_after_a_crash(tmp_path, fake_runner):
    out = tmp_path / "version-matrix"
    write_result(_result(requested="2.1", got="2.1.2"), out / "torch-2.1.json")  # done earlier
    (out / "torch-2.2.json").write_text('{"schema": 1, "kind": "matr')  # partial: to redo
    fake_runner.crash = {"torch-2.3"}
    with pytest.raises(KeyboardInterrupt):
        matrix.main(["--out-dir", str(out)])
    assert fake_runner.ran == ["torch-2.2", "torch-2.3"]
    assert read_result(out / "torch-2.2.json") is not None
    assert not (out / "torch-2.3.json").exists(), "the run in progress leaves no file"

    fake_runner.crash, fake_runner.ran = set(), []
    assert matrix.main(["--out-dir", str(out)]) == 0
    assert fake_runner.ran == ["torch-2.3"], "only the lost run is redone"
    fake_runner.ran = []
    matrix.main(["--out-dir", str(out), "--framework", "torch", "--version", "2.1", "--force"])
    assert fake_runner.ran == ["torch-2.1"]


def test_one_runner_at_a_time(tmp_path, fake_runner):
    import fcntl

    (tmp_path / "cache").mkdir()
    with (tmp_path / "cache" / "matrix.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert matrix.main(["--out-dir", str(tmp_path / "vm")]) == 3
    assert fake_runner.ran == []


def test_one_run_by_framework_and_version(tmp_path, fake_runner, capsys):
    out = tmp_path / "vm"
    assert matrix.main(["--out-dir", str(out), "--framework", "torch", "--version", "2.2"]) == 0
    assert fake_runner.ran == ["torch-2.2"]
    assert [p.name for p in out.glob("*.json")] == ["torch-2.2.json"]
    assert matrix.main(["--out-dir", str(out), "--framework", "torch", "--version", "9.9"]) == 2


def test_a_refresh_reruns_only_the_changed_notebooks_and_keeps_the_rest_of_the_run(executed):
    # A notebook edit (here: the setup cell of setup-import now imports what it needs) makes one
    # notebook stale; the refresh re-executes it alone and judges every claim again.
    import copy

    from factcheck.judging.results import notebook_errors

    registry, nbs, records = executed
    previous = _result(outcome=FAILS)
    for rel, record in records.items():
        record.errors = notebook_errors(nbs[rel])
    previous.notebooks = dict(records)
    sources = {rel: {"cells": [dict(c, outputs=[], execution_count=None) for c in nb.cells]} for rel, nb in nbs.items()}
    previous.claims = classify_claims(registry, nbs, records)
    assert previous.claims["demo-setup-import"]["tensorflow"].outcome == COULD_NOT_RUN

    rel = "demo/setup-import.ipynb"
    fixed = copy.deepcopy(nbs[rel])
    for cell in fixed.cells:
        cell["outputs"] = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
    fresh = {rel: NotebookResult(rel, "ran", "feedfacefeedfacefeed", 1.0)}
    merged = matrix.merge_refresh(previous, fresh, {rel: fixed}, registry, sources, "2026-12-01", "re-executed 1")

    assert merged.claims["demo-setup-import"]["tensorflow"].outcome == HOLDS
    unchanged = {c: s for c, s in previous.claims.items() if c != "demo-setup-import"}
    assert {c: merged.claims[c] for c in unchanged} == unchanged, "the other notebooks keep their results"
    assert merged.notebooks[rel].ran_on == "2026-12-01" and merged.notebooks[rel].source_hash.startswith("feedface")
    assert all(r.ran_on is None for n, r in merged.notebooks.items() if n != rel)
    assert (merged.date, merged.got, merged.environment.packages) == (
        previous.date,
        previous.got,
        previous.environment.packages,
    ), "the run keeps its date and packages; only the re-run notebook carries the new date"
    assert merged.environment.notes[-1] == "2026-12-01: re-executed 1"
    assert previous.notebooks[rel].ran_on is None, "the previous result is not modified"
    validate(merged.to_json())


def test_refresh_touches_only_runs_whose_notebooks_changed(tmp_path, fake_runner, monkeypatch):
    import dataclasses

    registry = load_registry(REPO / "claims", REPO / "notebooks")
    current = {
        rel: NotebookResult(rel, "ran", notebook_source_hash(matrix._read_nb(REPO / "notebooks" / rel)))
        for rel in registry.notebooks()
    }
    out = tmp_path / "vm"
    up_to_date = _result(requested="2.1", got="2.1.2")
    up_to_date.notebooks = dict(current)
    one_changed = _result(requested="2.2", got="2.2.2")
    one_changed.notebooks = dict(current, **{"paradigm/debugging.ipynb": NotebookResult("x", "ran", "0" * 20)})
    for result in (up_to_date, one_changed):
        write_result(result, out / f"torch-{result.requested}.json")
    refreshed = []

    def refresh(self, previous, stale):
        refreshed.append((self.name, stale))
        return dataclasses.replace(previous, wall=dict(previous.wall, refresh=1.0))

    monkeypatch.setattr(FakeRun, "refresh", refresh, raising=False)
    assert matrix.main(["--out-dir", str(out), "--refresh"]) == 0
    assert refreshed == [("torch-2.2", ["paradigm/debugging.ipynb"])], "torch-2.3 has no run: nothing to refresh"
    assert fake_runner.ran == [], "a refresh never starts a whole run"
    assert read_result(out / "torch-2.2.json").wall["refresh"] == 1.0

    def broken(self, previous, stale):
        raise RuntimeError("the recorded packages do not install again: no matching distribution")

    monkeypatch.setattr(FakeRun, "refresh", broken, raising=False)
    before = (out / "torch-2.2.json").read_text()
    (out / "torch-2.2.json").write_text(before.replace('"refresh": 1.0', '"refresh": 2.0'))
    one_changed_text = (out / "torch-2.2.json").read_text()
    assert matrix.main(["--out-dir", str(out), "--refresh"]) == 0
    assert (out / "torch-2.2.json").read_text() == one_changed_text, "a failed refresh leaves the run as it was"


def test_the_workflow_runs_missing_releases_and_refreshes_changed_ones(tmp_path, fake_runner, capsys):
    current = {rel: NotebookResult(rel, "ran", digest) for rel, digest in matrix.current_hashes().items()}
    out = tmp_path / "vm"
    up_to_date, changed = _result(requested="2.1", got="2.1.2"), _result(requested="2.2", got="2.2.2")
    up_to_date.notebooks = dict(current)
    changed.notebooks = dict(current, **{"paradigm/debugging.ipynb": NotebookResult("x", "ran", "0" * 20)})
    for result in (up_to_date, changed):
        write_result(result, out / f"torch-{result.requested}.json")
    assert matrix.main(["--out-dir", str(out), "--github-matrix"]) == 0
    jobs = json.loads(capsys.readouterr().out)["include"]
    assert [(j["version"], j["mode"]) for j in jobs] == [("2.2", "refresh"), ("2.3", "run")]
    assert matrix.main(["--out-dir", str(out), "--github-matrix", "--force"]) == 0
    assert {j["mode"] for j in json.loads(capsys.readouterr().out)["include"]} == {"run"}


def test_reclassify_judges_current_notebooks_again_and_keeps_changed_ones(tmp_path, monkeypatch):
    from builders import DemoProject

    from factcheck.judging.results import SideResult

    demo = DemoProject(tmp_path / "project")
    for name, setup, use in (("a", "x = 1", "f(x)"), ("b", "y = 1", "g(y)")):
        cells = [("md", f"# {name}"), ("code", setup, [f"t{name}"]), ("code", use, [f"p{name}"])]
        demo.write_notebook(f"demo/{name}.ipynb", cells, sync=False)
    demo.write_claims([claim(f"demo-{n}", f"demo/{n}.ipynb", [f"t{n}"], [f"p{n}"]) for n in "ab"])
    monkeypatch.setattr(matrix, "ROOT", demo.root)
    hashes = matrix.current_hashes()
    onnx = "AttributeError: cannot import name 'float4_e2m1fn' from 'ml_dtypes'"  # judged a failure by older rules
    result = _result()
    result.notebooks = {
        "demo/a.ipynb": NotebookResult(
            "demo/a.ipynb", "ran", hashes["demo/a.ipynb"], errors=[{"cell": 3, "error": onnx}]
        ),
        "demo/b.ipynb": NotebookResult("demo/b.ipynb", "ran", "0" * 20),  # b changed since the run
    }
    recorded_b = {
        "tensorflow": SideResult(FAILS, ("tb",), error="AssertionError: old", cell=2),
        "pytorch": SideResult(HOLDS, ("pb",)),
    }
    recorded_a = {"tensorflow": SideResult(HOLDS, ("ta",)), "pytorch": SideResult(FAILS, ("pa",), error=onnx, cell=3)}
    result.claims = {"demo-a": recorded_a, "demo-b": recorded_b}
    write_result(result, tmp_path / "vm" / "torch-2.3.json")
    assert matrix.reclassify(tmp_path / "vm") == 0
    again = read_result(tmp_path / "vm" / "torch-2.3.json")
    assert again.claims["demo-a"]["pytorch"].reason.kind == PACKAGE_MISMATCH, "the current notebook is judged again"
    assert again.claims["demo-b"] == recorded_b, "the changed notebook's claims keep what its run recorded"


# --- versions and pip's messages --------------------------------------------------------------------


def _pypi(*names):
    wheel = "pkg-{}-cp311-cp311-manylinux_2_28_x86_64.whl"
    return {"releases": {v: [{"filename": wheel.format(v), "yanked": False}] for v in names}}


def test_newest_patch_of_each_minor_with_python_311_wheels():
    data = _pypi("1.13.1", "2.0.0", "2.0.1", "2.1.0rc1", "2.1.0", "2.1.2", "2.2.0")
    data["releases"]["2.3.0"] = [{"filename": "pkg-2.3.0-cp312-cp312-manylinux_2_28_x86_64.whl", "yanked": False}]
    data["releases"]["0.29.2"] = [{"filename": "pkg-0.29.2-py3-none-manylinux_2_28_x86_64.whl", "yanked": False}]
    found = matrix.releases("pkg", data)
    assert "2.3.0" not in found and "2.1.0rc1" not in found and "0.29.2" in found
    assert matrix.newest_per_minor(found, (2, 0)) == {"2.0": "2.0.1", "2.1": "2.1.2", "2.2": "2.2.0"}


PIP_CONFLICT = """\
Collecting litert-torch<=0.10.0
ERROR: Cannot install litert-torch==0.10.0 and torch==2.15.0 because these package versions have conflicts.

The conflict is caused by:
    The user requested torch==2.15.0
    litert-torch 0.10.0 depends on torch<2.15
    litert-torch 0.9.0 depends on torch<2.14

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip to attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/
"""


def test_key_line_of_a_pip_conflict():
    assert (
        matrix.key_line(PIP_CONFLICT)
        == "litert-torch 0.10.0 depends on torch<2.15; litert-torch 0.9.0 depends on torch<2.14"
    )
    assert (
        matrix.key_line(
            "ERROR: Could not find a version that satisfies the requirement jax<=0.10.2 (from versions: none)\n"
        )
        == "Could not find a version that satisfies the requirement jax<=0.10.2 (from versions: none)"
    )


def test_why_not_newest_names_the_package_that_caps_it():
    requires = {
        "xdsl": ["typing-extensions<4.13,>=4.7", "numpy"],
        "torch": ["typing-extensions>=4.10.0", "sympy"],
        "docs-tool": ['typing-extensions<4.0; extra == "docs"'],
    }
    why = matrix.why_not_newest("typing-extensions", "4.16.0", requires)
    assert why == "xdsl requires typing-extensions<4.13,>=4.7"


def test_pip_calls_lift_the_machine_constraint(monkeypatch):
    monkeypatch.setenv("PIP_CONSTRAINT", "/etc/xdg/pip/constraints.txt")
    env = matrix.pip_env()
    assert env["PIP_CONSTRAINT"] == "/dev/null"
    assert env["PIP_FIND_LINKS"] == str(matrix.WHEELHOUSE)


def test_pruning_keeps_pinned_wheels_and_drops_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(matrix, "WHEELHOUSE", tmp_path)
    monkeypatch.setattr(matrix, "BIG_WHEEL", 10)
    pinned = tmp_path / "tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl"
    tested = tmp_path / "torch-2.3.1-cp311-cp311-manylinux1_x86_64.whl"
    small = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
    pinned.write_bytes(b"x" * 100)
    tested.write_bytes(b"x" * 100)
    small.write_bytes(b"x")
    matrix.prune_wheelhouse([pinned, tested, small], {"tensorflow-cpu": "2.21.0", "torch": "2.14.1"})
    assert pinned.exists() and small.exists() and not tested.exists()


class FakePip:
    """Resolves a core only when the other framework is at or below ``works_up_to``; with the
    lock's upper bounds as constraints only when ``caps_fit``. ``tried``: each version once."""

    def __init__(self, works_up_to: str, caps_fit: bool = True):
        self.works_up_to, self.caps_fit = works_up_to, caps_fit
        self.tried: list[str] = []
        self.installed: list[list[str]] = []
        self.install_constraints: list = []

    def download(self, reqs, constraints, dest, timeout):
        version = next(r.split("==")[1] for r in reqs if r.startswith("torch=="))
        if constraints is not None:
            self.tried.append(version)
            if not self.caps_fit:
                return 1, "The conflict is caused by:\n    torch 2.15.0 depends on typing-extensions>=4.13\n\n", []
        if matrix._version_key(version) <= matrix._version_key(self.works_up_to):
            return 0, "", []
        text = (
            "The conflict is caused by:\n    tensorflow-cpu 2.12.1 depends on typing-extensions<4.6.0 and >=3.6.6\n"
            f"    torch {version} depends on typing-extensions>=4.10.0\n\n"
        )
        return 1, text, []

    def install(self, reqs, constraints, timeout=900, extra=()):
        self.installed.append(reqs)
        self.install_constraints.append(constraints)
        return 0, ""


def test_the_other_framework_falls_back_to_the_newest_release_that_installs(tmp_path, monkeypatch):
    monkeypatch.setattr(matrix, "ENVS", tmp_path / "envs")
    run = matrix.Run("tensorflow", "2.12", "2.12.1", {}, tmp_path)
    minors = ["2.14.1", "2.13.0", "2.12.1", "2.11.0", "2.10.0", "2.9.1", "2.8.0", "2.7.1", "2.6.0", "2.5.1",
              "2.4.1", "2.3.1", "2.2.2", "2.1.2", "2.0.1"]  # fmt: skip
    monkeypatch.setattr(run, "other_candidates", lambda: minors)
    monkeypatch.setattr(run, "_companion_reqs", lambda fw, version, pinned: [])
    pip = FakePip("2.1.2")
    other, reqs = run.build_core(pip, log=None)
    assert other["got"] == "2.1.2" and "torch==2.1.2" in reqs
    assert pip.installed == [reqs], "only the chosen core is installed"
    assert len(pip.tried) <= 6, f"bisection, not a scan of every release: {pip.tried}"
    assert other["attempts"][0]["version"] == "2.14.1"
    assert "torch 2.14.1 depends on typing-extensions>=4.10.0" in other["reason"]
    assert all(a["version"] != "2.1.2" for a in other["attempts"])

    pip = FakePip("2.14.1")
    other, _ = run.build_core(pip, log=None)
    assert (other["got"], other["reason"], other["attempts"], pip.tried) == (
        "2.14.1",
        "the project pin",
        [],
        ["2.14.1"],
    )

    with pytest.raises(RuntimeError, match="no core environment"):
        run.build_core(FakePip("1.0"), log=None)


def test_the_core_keeps_shared_dependencies_at_their_lock_versions_when_it_can(tmp_path, monkeypatch):
    monkeypatch.setattr(matrix, "ENVS", tmp_path / "envs")
    # litert-torch's xdsl needs typing-extensions<4.13: a core that took 4.16 left it out.
    run = matrix.Run("tensorflow", "2.16", "2.16.2", {}, tmp_path)
    run.lock = {"torch": "2.14.1", "torchvision": "0.29.1", "keras": "3.15.1", "tensorflow-cpu": "2.21.0",
                "typing-extensions": "4.12.2", "numpy": "2.1.3"}  # fmt: skip
    monkeypatch.setattr(run, "other_candidates", lambda: ["2.14.1"])
    monkeypatch.setattr(run, "_companion_reqs", lambda fw, version, pinned: [])
    pip = FakePip("2.14.1")
    run.build_core(pip, log=None)
    caps = pip.install_constraints[0]
    assert caps is not None, "the core is installed under the lock's upper bounds"
    assert caps.read_text().splitlines() == ["numpy<=2.1.3", "typing-extensions<=4.12.2"], "frameworks are not capped"
    assert run.notes == []
    # A release that needs something newer than the lock (torch 2.15) resolves without them, and says so.
    run = matrix.Run("tensorflow", "2.16", "2.16.2", {}, tmp_path)
    monkeypatch.setattr(run, "other_candidates", lambda: ["2.14.1"])
    monkeypatch.setattr(run, "_companion_reqs", lambda fw, version, pinned: [])
    pip = FakePip("2.14.1", caps_fit=False)
    other, _ = run.build_core(pip, log=None)
    assert other["got"] == "2.14.1" and pip.install_constraints == [None]
    assert any("requirements.lock" in note for note in run.notes), run.notes


def test_core_requirements_hold_what_releases_need_but_do_not_declare(tmp_path, monkeypatch):
    old_torch = matrix.Run("torch", "2.0", "2.0.1", {}, tmp_path)
    monkeypatch.setattr(old_torch, "_companion_reqs", lambda fw, version, pinned: [])
    reqs = old_torch.core_reqs("2.21.0")
    assert "torch==2.0.1" in reqs and "tensorflow-cpu==2.21.0" in reqs and "numpy<2" in reqs
    assert any(r.startswith("numpy<=") for r in reqs), "no newer than the lock"
    assert "NumPy 1" in old_torch.asked["numpy"]

    old_tf = matrix.Run("tensorflow", "2.12", "2.12.1", {}, tmp_path)
    monkeypatch.setattr(old_tf, "_companion_reqs", lambda fw, version, pinned: [])
    assert {"ipython<8.23", "numpy<2", "torch==2.1.2"} <= set(old_tf.core_reqs("2.1.2"))

    new_tf = matrix.Run("tensorflow", "2.21", "2.21.0", {}, tmp_path)
    monkeypatch.setattr(new_tf, "_companion_reqs", lambda fw, version, pinned: [])
    assert not {"ipython<8.23", "numpy<2"} & set(new_tf.core_reqs("2.14.1"))


def test_result_files_carry_no_machine_paths():
    env_path = f"{matrix.ENVS.resolve()}/tensorflow-2.12/lib/python3.11/site-packages/keras/__init__.py"
    line = f"ImportError: cannot import name 'ops' from 'keras' ({env_path})"
    assert (
        matrix.sanitize(line)
        == "ImportError: cannot import name 'ops' from 'keras' ($VENV/lib/python3.11/site-packages/keras/__init__.py)"
    )
    assert matrix.sanitize("no file /tmp/tf-deploy-ub8c5f2e/models/1") == "no file $TMPDIR/tf-deploy-…/models/1"
    assert matrix.sanitize(f"{matrix.ROOT}/notebooks/a.ipynb") == "$REPO/notebooks/a.ipynb"
