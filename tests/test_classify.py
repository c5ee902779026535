"""Judging a claim side from an executed notebook (judging/classify.py, blame.py): holds, fails
or could-not-run with a reason, on fixture notebooks executed for real and on hand-made cells."""

from __future__ import annotations

from factcheck.judging.blame import error_line, notebook_errors, raising_library
from factcheck.judging.classify import classify_claims, classify_side, rebuild_executed
from factcheck.judging.results import (
    EARLIER_CELL,
    MISSING_PACKAGE,
    PACKAGE_MISMATCH,
    NotebookResult,
    count_outcomes,
)
from factcheck.vocabulary import COULD_NOT_RUN, FAILS, HOLDS, KERNEL_DIED, TIMEOUT


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
            _cell(
                "import litert_torch\npaths.append('LiteRT')",
                ["litert"],
                ("ModuleNotFoundError", "No module named 'litert_torch'"),
            ),
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
    # Installed, but it does not import with this release: incompatible, not missing.
    assert (hub.outcome, hub.reason.kind, hub.reason.package) == (COULD_NOT_RUN, PACKAGE_MISMATCH, "keras_hub")
    assert "does not work with this release" in hub.reason.detail
    assert classify_side(nb, ["tf"]).outcome == HOLDS


def test_rebuilt_notebooks_classify_like_the_executed_ones(executed):
    from factcheck.judging.blame import notebook_errors
    from factcheck.judging.classify import rebuild_executed

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


def test_a_quoted_child_traceback_names_the_installed_library_whose_code_raised():
    launch = "out, err = proc.communicate()\nassert proc.returncode == 0, f'torch backend failed: {err}'"
    frames = (
        'torch backend failed:\nTraceback (most recent call last):\n  File "<string>", line 4, in <module>\n'
        '  File "/e/lib/python3.11/site-packages/keras/__init__.py", line 2, in <module>\n'
        '  File "/e/lib/python3.11/site-packages/keras/src/backend/torch/core.py", line 9, in <module>\n'
    )
    for raised, why in (
        ("AttributeError: module 'torch' has no attribute 'float8_e4m3fn'",
         "(from keras, installed here, which needs a newer torch)"),
        ("TypeError: register_pytree_node() got an unexpected keyword argument 'flatten_with_keys_fn'",
         "(keras, installed here, calls an API of a newer release)"),
    ):  # fmt: skip
        nb = {"cells": [_cell(launch, ["t"], ("AssertionError", frames + raised))]}
        side = classify_side(nb, ["t"])
        assert side.reason.kind == PACKAGE_MISMATCH and side.reason.detail.endswith(why), side.reason.detail
        # judged again from the run's record, whose error line has lost the frames
        record = NotebookResult("x.ipynb", "ran", "0" * 16, errors=notebook_errors(nb))
        again = classify_side(rebuild_executed({"cells": [_cell(launch, ["t"])]}, record), ["t"])
        assert again.reason.detail == side.reason.detail
    # the last frame in torch's own code (the release under test) names the library that called it
    into_torch = frames + '  File "/e/lib/python3.11/site-packages/torch/utils/_pytree.py", line 3, in f\n'
    raised = "AttributeError: module 'torch' has no attribute 'float8_e4m3fn'"
    nb = {"cells": [_cell(launch, ["t"], ("AssertionError", into_torch + raised))]}
    side = classify_side(nb, ["t"])
    assert side.reason.detail.endswith("(from keras, installed here, which needs a newer torch)")
    record = NotebookResult("x.ipynb", "ran", "0" * 16, errors=notebook_errors(nb))
    assert record.errors[0]["raised_in"] == ["keras", "torch"], "every package on the way is kept, in order"
    again = classify_side(rebuild_executed({"cells": [_cell(launch, ["t"])]}, record), ["t"])
    assert again.reason.detail == side.reason.detail
    # a namespace folder names the distribution under it
    protobuf = 'x failed:\n  File "/e/site-packages/google/protobuf/message.py", line 2, in f\n'
    assert raising_library({"evalue": protobuf}) == "google.protobuf"
    assert raising_library({"raised_in": "keras"}) == "keras", "a record that kept one name still reads"
    # a traceback that names no installed package keeps the unnamed words
    bare = 'torch backend failed:\nTraceback (most recent call last):\n  File "<string>", line 4, in <module>\n'
    raised = "AttributeError: module 'torch' has no attribute 'float8_e4m3fn'"
    side = classify_side({"cells": [_cell(launch, ["t"], ("AssertionError", bare + raised))]}, ["t"])
    assert side.reason.detail.endswith("(from an installed library that needs a newer torch)")


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


def test_broken_environment_is_a_run_status_not_flipped_claims(executed):
    registry, _nbs, _records = executed
    results = classify_claims(registry, {}, {}, broken="torch: RuntimeError: operator torchvision::nms does not exist")
    sides = [s for c in results.values() for s in c.values()]
    assert {s.outcome for s in sides} == {COULD_NOT_RUN}
    assert {s.reason.kind for s in sides} == {"broken-environment"}


def test_a_claims_own_failure_is_never_hidden_behind_an_unrelated_cells_missing_package():
    # The earlier cell lacked a library, but the side's cell reads nothing it writes: the
    # side's assert is its own failure.
    nb = {
        "cells": [
            _cell("import torch"),
            _cell("import onnxruntime\nsession = onnxruntime.InferenceSession(path)", ["onnx"],
                  ("ModuleNotFoundError", "No module named 'onnxruntime'")),
            _cell("assert torch.ones(2).sum() == 3", ["t"], ("AssertionError", "assert torch.ones(2).sum() == 3")),
        ]
    }  # fmt: skip
    side = classify_side(nb, ["t"])
    assert (side.outcome, side.cell) == (FAILS, 3)
    # Where the side reads what that cell writes, it never got a fair try.
    nb["cells"][2] = _cell("assert session is not None", ["t"], ("NameError", "name 'session' is not defined"))
    assert classify_side(nb, ["t"]).reason.kind == MISSING_PACKAGE


def test_a_claims_own_assert_is_not_hidden_behind_a_shared_list_a_cell_without_its_package_appends_to():
    # pytorch-paths on torch 2.6: the ExecuTorch cell lacks its package; the TorchScript cell also
    # appends to RESULTS, but what fails is its own check of TorchScript's warning.
    torchscript = (
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    scripted = torch.jit.script(model)\n"
        "script_warnings = [w for w in caught if 'torch.jit.script' in str(w.message)]\n"
        "RESULTS.append(row('TorchScript', scripted))\n"
        "assert script_warnings, f'torch.jit.script does not warn in torch {torch.__version__}'\n"
    )
    table = "summary = list(RESULTS)\nworks = {r.capability for r in summary}\nassert 'on-device' in works\n"
    nb = {
        "cells": [
            _cell("import torch, warnings\nRESULTS = []"),
            _cell("import executorch\nRESULTS.append(row('ExecuTorch', executorch))", ["et"],
                  ("ModuleNotFoundError", "No module named 'executorch'")),
            _cell(torchscript, ["ts"], ("AssertionError", "torch.jit.script does not warn in torch 2.6.0")),
            _cell(table, ["table"], ("AssertionError", "assert 'on-device' in works")),
        ]
    }  # fmt: skip
    side = classify_side(nb, ["ts"])
    assert (side.outcome, side.cell) == (FAILS, 3), "its own assert: the framework's answer"
    table_side = classify_side(nb, ["table"])
    assert table_side.reason.kind == MISSING_PACKAGE, "the table reads RESULTS: ExecuTorch's row is missing"


def test_a_library_installed_for_a_newer_release_is_incompatible_not_missing():
    for evalue in (
        "BertModel requires PyTorch >= 2.6, but PyTorch was not found or an older version is installed",
        "Could not import module 'BertModel'. Are this object's requirements defined correctly?",
    ):
        nb = {"cells": [_cell("model = BertModel(config)", ["t"], ("ImportError", evalue))]}
        side = classify_side(nb, ["t"])
        assert (side.outcome, side.reason.kind) == (COULD_NOT_RUN, PACKAGE_MISMATCH), evalue


def test_a_release_that_refuses_the_matrix_python_is_not_checkable_here():
    error = ("RuntimeError", "Python 3.11+ not yet supported for torch.compile")
    nb = {"cells": [_cell("torch.compile(f)(x)", ["t"], error)]}
    side = classify_side(nb, ["t"])
    assert (side.outcome, side.reason.kind) == (COULD_NOT_RUN, "unsupported-python")
    assert "Python 3.11" in side.reason.detail


def test_a_cell_that_says_its_api_is_not_in_this_release_is_not_checkable_with_its_words():
    error = ("ImportError", "not in this release: keras.ops arrived with Keras 3 (TensorFlow 2.16); this is Keras 2.15")
    nb = {"cells": [_cell("raise ImportError(...)", ["t"], error), _cell("gap = ops_out - x", ["u"], ("NameError",
          "name 'ops_out' is not defined"))]}  # fmt: skip
    side = classify_side(nb, ["t"])
    assert (side.outcome, side.reason.kind) == (COULD_NOT_RUN, "not-in-release")
    assert "keras.ops arrived with Keras 3" in side.reason.detail
    later = classify_side(nb, ["u"])
    assert (later.outcome, later.reason.kind) == (COULD_NOT_RUN, "not-in-release"), "its consequence too"
    lacks = ("ImportError", "cannot import name 'ops' from 'keras'")
    ordinary = {"cells": [_cell("from keras import ops", ["t"], lacks)]}
    assert classify_side(ordinary, ["t"]).outcome == FAILS, "only the cell's own words make it not checkable"


def test_a_stand_in_probed_for_its_version_is_a_missing_package_not_the_claims_failure():
    # transformers left out of a TensorFlow 2.13 run: a cell reading transformers.__version__ gets the
    # stand-in's AttributeError, which quotes the import error; the claim was not tested there.
    probe = ("AttributeError", "__version__ (not available here: No module named 'transformers')")
    nb = {"cells": [_cell("major = int(transformers.__version__.split('.')[0])", ["t"], probe)]}
    side = classify_side(nb, ["t"])
    assert (side.outcome, side.reason.kind, side.reason.package) == (COULD_NOT_RUN, MISSING_PACKAGE, "transformers")
    mismatch = "__version__ (not available here: No module named 'keras_hub' that imports here (ImportError: x))"
    nb = {"cells": [_cell("keras_hub.__version__", ["t"], ("AttributeError", mismatch))]}
    assert classify_side(nb, ["t"]).reason.kind == PACKAGE_MISMATCH
    own = ("AttributeError", "module 'tensorflow' has no attribute 'estimator'")
    nb = {"cells": [_cell("tf.estimator", ["t"], own)]}
    assert classify_side(nb, ["t"]).outcome == FAILS, "a framework's missing attribute stays the claim's"
