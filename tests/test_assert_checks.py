"""The engine rejects evidence whose asserts cannot fail: asserts that only compare values typed in
the notebook, and a framework side none of whose asserts depends on that framework or on a
declared data file. The code is read in cell order, so a name means its latest binding before the
assert; module aliases and builtins are never framework values. Each form has a bad fixture; the
build and `factcheck check` name claim, notebook and cell."""

from __future__ import annotations

import time

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
COUNTING_BACKEND = (
    "graphs = []\n\n\ndef count(graph_module, inputs):\n    graphs.append(graph_module)\n"
    "    return graph_module.forward"
)
SCRIPTED_STOPS = (
    "stops = []\n\n\ndef stop():\n    stops.append(1)\n\n\ndef forward(x):\n    stop()\n    return torch.tanh(x)"
)


def _code(*cells: str) -> NotebookCode:
    return NotebookCode(list(cells))


@pytest.mark.parametrize(
    "cells, evidence",
    [
        (["STEPS = 500"], "assert STEPS == 500"),
        (["release = {'year': 2015}", "year = release['year']"], "assert 2015 == 2015"),
        (["x = 21", "y = x * 2"], "assert y == 42"),
        (["a, b = 1, 2"], "np.testing.assert_equal(3, 3)"),
        (["STEPS = 500", "for step in range(STEPS):\n    STEPS -= 1"], "assert STEPS == 0"),
        (["import pandas as pd"], "assert pd.Series([1, 2, 3]).sum() == 6"),
        (["import json"], "assert json.loads('[1, 2]') == [1, 2]"),
        (["rows = [3, 1, 2]"], "assert len(rows) == 3 and sorted(rows) == [1, 2, 3]"),
        (["import numpy as np", "rng = np.random.default_rng(0)", "x = rng.normal(size=4)"], "assert x.shape == (4,)"),
    ],
)
def test_an_assert_on_values_typed_in_the_notebook_is_constant(cells, evidence):
    code = _code(*cells, evidence)
    assert constant_asserts(code, [(len(cells), evidence)])


@pytest.mark.parametrize(
    "cells, evidence",
    [
        (["import tensorflow as tf"], "assert tf.executing_eagerly()"),
        (["pads = {}", FILLED_UNDER_A_CONDITION], "assert pads == {8: (0, 1)}"),
        (["import shutil", "compiler = shutil.which('g++')"], "assert compiler is not None"),  # the machine's
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
        ("pytorch", ["import torch", "value = 3", "value = torch.ones(1) * value"], "assert value.sum() == 3"),
        # filled by the framework, through a function handed to it
        ("pytorch", ["import torch", COUNTING_BACKEND, "f = torch.compile(torch.sin, backend=count)",
                     "f(torch.ones(1))"], "assert len(graphs) == 1"),
        ("pytorch", ["import torch", SCRIPTED_STOPS, "forward(torch.ones(2))"], "assert len(stops) == 1"),
        ("tensorflow", ["from importlib.metadata import version"], "assert version('tensorflow-cpu') >= '2'"),
        ("tensorflow", ["import keras", "layer = keras.layers.Dense(2)"], "assert layer.units == 2"),
        ("pytorch", ["rows = load_data('data/research-share.yaml')['conference_papers']['rows']",
                     "shares = [r['pytorch_papers'] / (r['pytorch_papers'] + r['tensorflow_papers']) for r in rows]"],
         "assert shares == sorted(shares)"),  # a dated data series the notebook declares
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
        ("pytorch", ["import importlib.util"], "assert importlib.util.find_spec('torch_xla') is None"),  # our lock file
    ],
)  # fmt: skip
def test_an_assert_unrelated_to_the_framework_is_not_linked(framework, cells, evidence):
    code = _code(*cells, evidence)
    assert not framework_linked(code, framework, [(len(cells), evidence)])


# The cases: a name means its latest binding before the assert, in cell order and within a
# cell, and neither a library's module alias nor a builtin becomes a framework value by being
# called with one somewhere else in the notebook.
FRAMEWORK_ELSEWHERE = [
    (["import torch", "value = torch.ones(1)", "value = 3"], "assert value == 3", []),  # earlier cell
    (["import torch"], "value = torch.ones(1)\nvalue = 3\nassert value == 3", []),  # earlier in the cell
    (["value = 3"], "assert value == 3", ["import torch\nvalue = torch.ones(1)"]),  # later cell
    (["import torch"], "value = 3\nassert value == 3\nvalue = torch.ones(1)", []),  # later in the cell
    (["import torch", "value = 3", "print(torch.tensor(value))"], "assert value == 3", []),  # an int stays 3
    (["import torch", "value = 3", "if torch.cuda.is_available():\n    pass"], "assert value == 3", []),
    (["import pandas as pd", "import torch", "frame = pd.DataFrame(torch.ones(2, 2).numpy())",
      "pd.set_option('display.width', 120)"], "assert pd.Series([1, 2, 3]).sum() == 6", []),
    (["import torch", "x = [1, 2]", "print(x, torch.ones(1))"], "assert len(x) == 2", []),  # print is a builtin
    (["import numpy as np", "import torch", "a = np.ones(3)", "t = torch.from_numpy(np.zeros(3))"],
     "np.testing.assert_allclose(a, np.ones(3))", []),
]  # fmt: skip


@pytest.mark.parametrize("before, evidence, after", FRAMEWORK_ELSEWHERE)
def test_a_literal_is_refused_whatever_the_name_holds_elsewhere(before, evidence, after):
    code = _code(*before, evidence, *after)
    where = [(len(before), evidence)]
    assert constant_asserts(code, where), "the assert only restates typed values"
    assert not framework_linked(code, "pytorch", where)


def test_a_binding_under_a_branch_keeps_both_possible_values():
    code = _code("import torch", "value = 3\nif torch.cuda.is_available():\n    value = torch.ones(1)", "assert value")
    assert framework_linked(code, "pytorch", [(2, "assert value")])
    assert not constant_asserts(code, [(2, "assert value")])


def test_the_check_reads_a_notebook_of_hundreds_of_cells_quickly():
    cells = ["import torch\nimport pandas as pd"]
    for n in range(300):
        cells.append(f"def helper_{n}(x):\n    return torch.ones(x) * {n}\n\n\nvalue_{n} = helper_{n}({n % 7 + 1})")
        cells.append(f"rows_{n} = pd.DataFrame({{'a': [value_{n}.sum().item()]}})\nassert rows_{n}['a'].iloc[0] >= 0")
    started = time.perf_counter()
    code = _code(*cells)
    assert framework_linked(code, "pytorch", [(len(cells) - 1, cells[-1])])
    assert time.perf_counter() - started < 5  # about 0.2 s here; make check reads every notebook


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


def test_factcheck_check_refuses_a_constant_assert_before_anything_runs(demo, capsys):
    from factcheck.cli import main

    _build(demo, "value = 3\nassert value == 3", BASIC[3][1])
    assert main(["--root", str(demo.root), "check"]) == 1
    message = capsys.readouterr().err
    # cell 4 of the source notebook (the executed copy adds a banner, hence cell 5 in the build)
    assert (
        "claim 'demo-weak' (tensorflow): notebooks/demo/basic.ipynb cell 4 ('tf-check'): `assert value == 3`" in message
    )
    assert "none of the asserts in 'tf-check' depends on a call into TensorFlow" in message


def test_factcheck_check_passes_the_basic_fixture(demo, capsys):
    from factcheck.cli import main

    demo.basic()
    assert main(["--root", str(demo.root), "check"]) == 0
