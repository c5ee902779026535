"""The engine rejects evidence whose asserts cannot fail: asserts that only compare values typed in
the notebook, and a framework side none of whose asserts depends on that framework or on a
declared data file. Each form has a bad fixture; the build names claim, notebook and cell."""

from __future__ import annotations

import pytest
from builders import BASIC, build_site, claim

from factcheck import EvidenceError
from factcheck.evidence.checks import NotebookCode, constant_asserts, framework_linked

FILLED_UNDER_A_CONDITION = "import keras\nfor n in (8, 9):\n    if keras.layers:\n        pads[n] = (0, 1)"
CAPTURED_OUTPUT = "with contextlib.redirect_stdout(io.StringIO()) as out:\n    print(torch.ones(1))"
CAUGHT_ERROR = (
    "try:\n    torch.nn.Conv2d(1, 1, 3, stride=2, padding='same')\n    err = None\n"
    "except ValueError as e:\n    err = str(e)"
)
SUBPROCESS = "out = subprocess.run([sys.executable, '-c', 'import torch; print(1)'], capture_output=True)"


def _code(*cells: str) -> NotebookCode:
    return NotebookCode(list(cells))


@pytest.mark.parametrize(
    "cells, evidence",
    [
        (["STEPS = 500"], "assert STEPS == 500"),
        (["release = {'year': 2015}", "year = release['year']"], "assert 2015 == 2015"),
        (["x = 21", "y = x * 2"], "assert y == 42"),
        (["a, b = 1, 2"], "np.testing.assert_equal(3, 3)"),
    ],
)
def test_an_assert_on_values_typed_in_the_notebook_is_constant(cells, evidence):
    code = _code(*cells, evidence)
    assert constant_asserts(code, [(len(cells), evidence)])


@pytest.mark.parametrize(
    "cells, evidence",
    [
        (["import tensorflow as tf"], "assert tf.executing_eagerly()"),
        (["STEPS = 500", "for step in range(STEPS):\n    STEPS -= 1"], "assert STEPS == 0"),
        (["pads = {}", FILLED_UNDER_A_CONDITION], "assert pads == {8: (0, 1)}"),
        (["x = load_data('data/timeline.yaml')['year']"], "assert x == 2015"),
    ],
)  # fmt: skip
def test_an_assert_on_a_computed_value_is_not_constant(cells, evidence):
    code = _code(*cells, evidence)
    assert not constant_asserts(code, [(len(cells), evidence)])


@pytest.mark.parametrize(
    "framework, cells, evidence",
    [
        ("tensorflow", ["import tensorflow as tf", "y = tf.constant(2.0) * 3"], "assert y.numpy() == 6.0"),
        ("pytorch", ["import torch", "def twice(x):\n    return torch.tensor(x) * 2"], "assert twice(3).item() == 6"),
        ("pytorch", ["from importlib.metadata import metadata"], "assert 'PyTorch' in metadata('torch')['Author']"),
        ("tensorflow", ["rows = []", "import keras\nrows.append(keras.__version__)"], "assert rows"),
        ("pytorch", ["import torch, io, contextlib", CAPTURED_OUTPUT], "assert 'tensor' in out.getvalue()"),
        ("pytorch", ["import torch", CAUGHT_ERROR], "assert err"),
        ("tensorflow", ["data = load_data('data/community.yaml')"], "assert data['checked'] > '2025'"),
        ("pytorch", ["import subprocess, sys", SUBPROCESS], "assert out.returncode == 0"),
    ],
)  # fmt: skip
def test_an_assert_that_reads_the_framework_or_declared_data_is_linked(framework, cells, evidence):
    code = _code(*cells, evidence)
    assert framework_linked(code, framework, [(len(cells), evidence)])


@pytest.mark.parametrize(
    "framework, cells, evidence",
    [
        ("tensorflow", ["import json", "d = json.loads('{\"a\": 1}')"], "assert d['a'] == 1"),
        ("pytorch", ["import tensorflow as tf", "y = tf.constant(1)"], "assert y.numpy() == 1"),
        ("tensorflow", ["import torch", "t = torch.ones(2)"], "assert t.sum() == 2"),
        ("pytorch", ["from importlib.metadata import metadata"], "assert metadata('numpy')['Name'] == 'numpy'"),
    ],
)  # fmt: skip
def test_an_assert_unrelated_to_the_framework_is_not_linked(framework, cells, evidence):
    code = _code(*cells, evidence)
    assert not framework_linked(code, framework, [(len(cells), evidence)])


def _build(demo, tf_cell: str, torch_cell: str):
    demo.write_notebook(
        "demo/basic.ipynb",
        [("md", "# Demo"), BASIC[1], ("code", tf_cell, ["tf-check"]), ("code", torch_cell, ["pt-check"])],
    )
    demo.write_claims([claim("demo-weak")])
    demo.write_page("# Demo { #demo }\n\n<!-- claim: demo-weak -->\n")
    return lambda: build_site(demo.root)


def test_a_build_with_a_constant_assert_fails_naming_claim_notebook_cell_and_assert(demo):
    build = _build(demo, "year = 2015\nassert year == 2015", BASIC[3][1])
    with pytest.raises(EvidenceError) as err:
        build()
    message = str(err.value)
    # cell 5: after the title, the banner, the Colab cell and the setup cell
    where = "claim 'demo-weak' (tensorflow): notebooks/demo/basic.ipynb cell 5 ('tf-check')"
    assert f"{where}: `assert year == 2015`" in message
    assert "only compares values typed in the notebook" in message


def test_a_build_whose_side_never_touches_its_framework_fails_naming_the_side(demo):
    build = _build(demo, BASIC[2][1].replace("tensorflow-cpu", "numpy"), BASIC[3][1])
    with pytest.raises(EvidenceError) as err:
        build()
    message = str(err.value)
    assert "claim 'demo-weak' (tensorflow): notebooks/demo/basic.ipynb: none of the asserts in 'tf-check'" in message
    assert "depends on a call into TensorFlow" in message and "(pytorch)" not in message


def test_the_basic_fixture_passes_both_checks(demo):
    demo.basic()
    site = build_site(demo.root)
    assert [c.tag for c in site.views["demo-basic-claim"].cells["tensorflow"]] == ["tf-check"]
