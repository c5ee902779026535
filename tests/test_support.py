"""Generated notebook cells (Colab setup, helpers, embedded data) and what a published notebook
carries (the 'verified with' banner, the fwbench wheel): everything that lets a notebook run
wherever a reader opens it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import nbformat
import pytest
from builders import BASIC, REPO, TORCH_ASSERT, claim

from factcheck import Project, RegistryError, load
from factcheck.cli import main
from factcheck.publish.banner import Commit, banner_markdown, with_banner
from factcheck.publish.wheel import build_wheel, fwbench_version
from factcheck.sources.support import COLAB_TAG, DATA_TAG, SUPPORT_TAG, stale, synced


def _tags(nb) -> list[list[str]]:
    return [c.metadata.get("tags", []) for c in nb.cells]


def test_generated_cells_follow_the_title_and_carry_only_what_the_notebook_uses(demo):
    (demo.root / "data").mkdir()
    (demo.root / "data" / "facts.yaml").write_text("answer: 42\nchecked: '2026-11-29'\n")
    cells = [
        ("md", "# Facts"),
        ("code", "import torch\n\nfacts = load_data('data/facts.yaml')\nrecord('demo-answer', facts['answer'])"),
    ]
    path = demo.write_notebook("demo/facts.ipynb", cells, metadata={"depends": ["data/facts.yaml"]})
    nb = nbformat.read(path, as_version=4)
    assert _tags(nb)[:4] == [[], [COLAB_TAG], [SUPPORT_TAG], [DATA_TAG]]
    support = nb.cells[2].source
    assert "def record(" in support and "def plot_style(" not in support, "only the helpers it calls"
    assert "answer: 42" in nb.cells[3].source and "def load_data(path):" in nb.cells[3].source


def test_the_colab_cell_does_nothing_outside_colab(demo):
    path = demo.write_notebook("demo/basic.ipynb", BASIC)
    cell = nbformat.read(path, as_version=4).cells[1]
    run = subprocess.run([sys.executable, "-c", cell.source], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout == "" and run.stderr == ""


def test_embedded_data_reads_back_like_the_file(demo, tmp_path):
    (demo.root / "data").mkdir()
    text = "rows:\n  - {date: 2024-01-02, value: 3}\nnote: 'a \"quoted\" word and a back\\\\slash'\n"
    (demo.root / "data" / "series.yaml").write_text(text)
    path = demo.write_notebook(
        "demo/series.ipynb", [("md", "# Series"), ("code", "x = 1")], metadata={"depends": ["data/series.yaml"]}
    )
    data_cell = next(c for c in nbformat.read(path, as_version=4).cells if DATA_TAG in c.metadata.get("tags", []))
    probe = data_cell.source + "\nimport yaml, json\nprint(json.dumps(load_data('data/series.yaml'), default=str))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    import yaml

    assert json.loads(run.stdout) == json.loads(json.dumps(yaml.safe_load(text), default=str))


def test_a_declared_module_is_embedded_and_imports_by_name_outside_the_checkout(demo, tmp_path):
    (demo.root / "src").mkdir()
    source = '"""A helper module with a docstring."""\n\n\ndef twice(x):\n    return 2 * x  # back\\slash\n'
    (demo.root / "src" / "helper.py").write_text(source)
    cells = [("md", "# Uses a module"), ("code", "import helper\n\nprint(helper.twice(21))")]
    path = demo.write_notebook("demo/uses.ipynb", cells, metadata={"depends": ["src/helper.py"]})
    nb = nbformat.read(path, as_version=4)
    assert _tags(nb)[:3] == [[], [COLAB_TAG], [DATA_TAG]]
    program = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert run.stdout == "42\n"
    probe = nb.cells[2].source + "\nimport helper, inspect\nprint(helper.__doc__)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.startswith("A helper")


def test_an_edited_module_makes_the_notebook_stale(demo):
    (demo.root / "src").mkdir()
    (demo.root / "src" / "helper.py").write_text("ANSWER = 42\n")
    demo.write_notebook("demo/basic.ipynb", BASIC, metadata={"depends": ["src/helper.py"]})
    demo.write_claims([claim("demo-basic-claim")])
    load(Project.at(demo.root))
    (demo.root / "src" / "helper.py").write_text("ANSWER = 43\n")
    with pytest.raises(RegistryError, match=r"notebooks/demo/basic.ipynb: its generated cells .* run `make notebooks`"):
        load(Project.at(demo.root))


def test_a_changed_data_file_makes_the_notebook_stale_and_the_build_says_run_make_notebooks(demo):
    (demo.root / "data").mkdir()
    (demo.root / "data" / "facts.yaml").write_text("answer: 42\n")
    demo.write_notebook("demo/basic.ipynb", BASIC, metadata={"depends": ["data/facts.yaml"]})
    demo.write_claims([claim("demo-basic-claim")])
    load(Project.at(demo.root))  # in step: loads
    (demo.root / "data" / "facts.yaml").write_text("answer: 43\n")
    with pytest.raises(RegistryError, match=r"notebooks/demo/basic.ipynb: its generated cells .* run `make notebooks`"):
        load(Project.at(demo.root))
    assert main(["--root", str(demo.root), "sync", "--check"]) == 1
    assert main(["--root", str(demo.root), "sync"]) == 0
    assert main(["--root", str(demo.root), "sync", "--check"]) == 0
    load(Project.at(demo.root))


def test_sync_leaves_authored_cells_alone_and_is_idempotent(demo):
    path = demo.write_notebook("demo/basic.ipynb", BASIC, sync=False)
    ctx = Project.at(demo.root).support_context()
    before = nbformat.read(path, as_version=4)
    once = synced(before, ctx)
    assert [c.source for c in once.cells if not c.metadata.get("tags") or "tf-check" in c.metadata["tags"]][:1] == [
        BASIC[0][1].strip()
    ]
    assert not stale(once, ctx) and stale(before, ctx)
    assert synced(once, ctx).cells == once.cells


def test_the_banner_names_date_versions_and_commit():
    record = {
        "executed_at": "2026-11-29T10:00:00+00:00",
        "versions": {"tensorflow": "2.21.0", "torch": "2.14.1+cu130", "python": "3.11.7"},
    }
    commit = Commit("0123456789abcdef0123", dirty=False)
    text = banner_markdown(record, commit, "https://github.com/o/r", "paradigm/x.ipynb", "https://site/")
    assert "on 2026-11-29 with TensorFlow 2.21.0, PyTorch 2.14.1 and Python 3.11.7" in text
    assert "https://github.com/o/r/blob/0123456789abcdef0123/notebooks/paradigm/x.ipynb" in text
    # Its claims are listed on the claims index, and each release's verdict on the Versions page:
    # never a page that does not exist (a drift report) or the notebook page itself.
    assert "<https://site/claims/#nb-paradigm-x>" in text and "<https://site/versions/>" in text
    assert "drift" not in text
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("1")])
    nb = with_banner(with_banner(nb, text), text)
    assert [c.cell_type for c in nb.cells] == ["markdown", "markdown", "code"], "one banner, after the title"


def test_the_fwbench_wheel_is_installable_and_the_same_every_build(tmp_path):
    package = REPO / "src" / "fwbench"
    version = fwbench_version(package)
    wheel = build_wheel(package, version)
    assert wheel == build_wheel(package, version)
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        names = archive.namelist()
        assert "fwbench/__init__.py" in names and f"fwbench-{version}.dist-info/RECORD" in names
        archive.extractall(tmp_path)
    probe = "import fwbench, sys; print(fwbench.__file__); print(sorted(fwbench.MODES))"
    run = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {probe}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert run.stdout.startswith(str(tmp_path)) and "quick" in run.stdout


def test_a_notebook_without_record_gets_no_helpers(demo):
    path = demo.write_notebook("demo/plain.ipynb", [("md", "# Plain"), ("code", TORCH_ASSERT)])
    assert [t for t in _tags(nbformat.read(path, as_version=4)) if t] == [[COLAB_TAG]]


def test_a_library_that_does_not_import_fails_only_the_cells_that_use_it_and_names_itself(capsys):
    from factcheck.sources.notebook import optional_import

    json_module = optional_import("json")
    assert json_module.dumps([1]) == "[1]"
    dumps, loads = optional_import("json", "dumps", "loads")
    assert loads(dumps({"a": 1})) == {"a": 1}

    absent = optional_import("no_such_library_here")  # importing it does not raise...
    assert "no_such_library_here" in capsys.readouterr().out
    with pytest.raises(ModuleNotFoundError, match="No module named 'no_such_library_here'") as err:
        absent.load()  # ...using it does, with the line the matrix reads as a missing package
    assert err.value.name == "no_such_library_here"
    assert getattr(absent, "__version__", "not available") == "not available", "a setup cell can print versions"

    model, config = optional_import("json", "NoSuchModel", "NoSuchConfig")  # a name this release lacks
    with pytest.raises(ModuleNotFoundError, match=r"No module named 'json' that imports here \(AttributeError"):
        model(config)


def test_colab_installs_what_a_notebook_imports_with_optional_import_too():
    from factcheck.sources.support import imported_modules

    source = (
        "import torch\nfrom keras import ops\n"
        'hub = optional_import("keras_hub")\nBert = optional_import("transformers.models", "Bert")\n'
    )
    assert imported_modules(source) == {"torch", "keras", "keras_hub", "transformers"}


def test_the_research_share_rule_is_one_helper_that_keeps_accepted_papers_after_pytorch_in_long_series():
    from factcheck.sources.notebook import selected_rows
    from factcheck.sources.support import support_cell

    def row(venue, date, counts="accepted"):
        return {"venue": venue, "date": date, "counts": counts}

    rows = [row("A", f"{year}-06") for year in range(2016, 2021)]  # 2016 is before PyTorch
    rows += [row("B", f"{year}-06") for year in range(2018, 2021)]  # three rows: too short
    rows += [row("C", f"{year}-06", "submissions") for year in range(2017, 2022)]
    papers = {"selection": {"counts": "accepted", "after_date": "2017-01-19", "min_rows_per_venue": 4}, "rows": rows}
    assert [(r["venue"], r["date"]) for r in selected_rows(papers)] == [("A", f"{y}-06") for y in range(2017, 2021)]

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("rows = selected_rows(papers)")])
    assert "def selected_rows(papers" in support_cell(nb, None, needs_fwbench=False).source
