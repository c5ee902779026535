"""The version matrix's runner (factcheck/matrix/): resuming, one runner at a time, refreshes,
reclassifying, release discovery, pip's messages, the core environment (no real installs)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from builders import REPO, claim
from builders import sample_result as _result

from factcheck.judging.classify import classify_claims
from factcheck.judging.results import PACKAGE_MISMATCH, Check, NotebookResult, read_result, validate, write_result
from factcheck.matrix import ENVS, ROOT, WHEELHOUSE, checks, cli, discovery, environments, pip, run
from factcheck.matrix.run import Run
from factcheck.run.cache import code_hash
from factcheck.sources.notebooks import read_notebook
from factcheck.sources.registry import load_registry
from factcheck.vocabulary import COULD_NOT_RUN, FAILS, HOLDS

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
    monkeypatch.setattr(cli, "CACHE", tmp_path / "cache")  # never the real runner's lock or environments
    monkeypatch.setattr(cli, "ENVS", tmp_path / "cache" / "matrix-envs")
    monkeypatch.setattr(cli, "fetch_json", lambda name: {"releases": {}})
    monkeypatch.setattr(
        cli, "plan", lambda pypi: [("torch", "2.1", "2.1.2"), ("torch", "2.2", "2.2.2"), ("torch", "2.3", "2.3.1")]
    )
    monkeypatch.setattr(cli, "Run", FakeRun)
    FakeRun.crash, FakeRun.ran = set(), []
    return FakeRun


def test_runs_resume_after_a_crash(tmp_path, fake_runner):
    out = tmp_path / "version-matrix"
    write_result(_result(requested="2.1", got="2.1.2"), out / "torch-2.1.json")  # done earlier
    (out / "torch-2.2.json").write_text('{"schema": 1, "kind": "matr')  # partial: to redo
    fake_runner.crash = {"torch-2.3"}
    with pytest.raises(KeyboardInterrupt):
        cli.main(["--out-dir", str(out)])
    assert fake_runner.ran == ["torch-2.2", "torch-2.3"]
    assert read_result(out / "torch-2.2.json") is not None
    assert not (out / "torch-2.3.json").exists(), "the run in progress leaves no file"

    fake_runner.crash, fake_runner.ran = set(), []
    assert cli.main(["--out-dir", str(out)]) == 0
    assert fake_runner.ran == ["torch-2.3"], "only the lost run is redone"
    fake_runner.ran = []
    cli.main(["--out-dir", str(out), "--framework", "torch", "--version", "2.1", "--force"])
    assert fake_runner.ran == ["torch-2.1"]


def test_one_runner_at_a_time(tmp_path, fake_runner):
    import fcntl

    (tmp_path / "cache").mkdir()
    with (tmp_path / "cache" / "matrix.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert cli.main(["--out-dir", str(tmp_path / "vm")]) == 3
    assert fake_runner.ran == []


def test_one_run_by_framework_and_version(tmp_path, fake_runner, capsys):
    out = tmp_path / "vm"
    assert cli.main(["--out-dir", str(out), "--framework", "torch", "--version", "2.2"]) == 0
    assert fake_runner.ran == ["torch-2.2"]
    assert [p.name for p in out.glob("*.json")] == ["torch-2.2.json"]
    assert cli.main(["--out-dir", str(out), "--framework", "torch", "--version", "9.9"]) == 2


def test_a_refresh_reruns_only_the_changed_notebooks_and_keeps_the_rest_of_the_run(executed):
    # A notebook edit (here: the setup cell of setup-import now imports what it needs) makes one
    # notebook stale; the refresh re-executes it alone and judges every claim again.
    import copy

    from factcheck.judging.blame import notebook_errors

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
    merged = run.merge_refresh(previous, fresh, {rel: fixed}, registry, sources, "2026-12-01", "re-executed 1")

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
        rel: NotebookResult(rel, "ran", code_hash(read_notebook(REPO / "notebooks" / rel)))
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

    def refresh(self, previous, stale, again=()):
        refreshed.append((self.name, stale))
        return dataclasses.replace(previous, wall=dict(previous.wall, refresh=1.0))

    monkeypatch.setattr(FakeRun, "refresh", refresh, raising=False)
    assert cli.main(["--out-dir", str(out), "--refresh"]) == 0
    assert refreshed == [("torch-2.2", ["paradigm/debugging.ipynb"])], "torch-2.3 has no run: nothing to refresh"
    assert fake_runner.ran == [], "a refresh never starts a whole run"
    assert read_result(out / "torch-2.2.json").wall["refresh"] == 1.0

    refreshed.clear()
    monkeypatch.setattr(FakeRun, "refresh", lambda self, previous, stale, again=(): refreshed.append(
        (self.name, stale, again)) or refresh(self, previous, stale))  # fmt: skip
    assert cli.main(["--out-dir", str(out), "--refresh", "--notebook", "performance/benchmark.ipynb"]) == 0
    assert ("torch-2.1", [], ["performance/benchmark.ipynb"]) in refreshed, "a current run re-executes one asked for"

    def broken(self, previous, stale, again=()):
        raise RuntimeError("the recorded packages do not install again: no matching distribution")

    monkeypatch.setattr(FakeRun, "refresh", broken, raising=False)
    before = (out / "torch-2.2.json").read_text()
    (out / "torch-2.2.json").write_text(before.replace('"refresh": 1.0', '"refresh": 2.0'))
    one_changed_text = (out / "torch-2.2.json").read_text()
    assert cli.main(["--out-dir", str(out), "--refresh"]) == 0
    assert (out / "torch-2.2.json").read_text() == one_changed_text, "a failed refresh leaves the run as it was"


def test_the_workflow_runs_missing_releases_and_refreshes_changed_ones(tmp_path, fake_runner, capsys):
    current = {rel: NotebookResult(rel, "ran", digest) for rel, digest in cli.current_hashes().items()}
    out = tmp_path / "vm"
    up_to_date, changed = _result(requested="2.1", got="2.1.2"), _result(requested="2.2", got="2.2.2")
    up_to_date.notebooks = dict(current)
    changed.notebooks = dict(current, **{"paradigm/debugging.ipynb": NotebookResult("x", "ran", "0" * 20)})
    for result in (up_to_date, changed):
        write_result(result, out / f"torch-{result.requested}.json")
    assert cli.main(["--out-dir", str(out), "--github-matrix"]) == 0
    jobs = json.loads(capsys.readouterr().out)["include"]
    assert [(j["version"], j["mode"]) for j in jobs] == [("2.2", "refresh"), ("2.3", "run")]
    assert cli.main(["--out-dir", str(out), "--github-matrix", "--force"]) == 0
    assert {j["mode"] for j in json.loads(capsys.readouterr().out)["include"]} == {"run"}


def test_reclassify_judges_current_notebooks_again_and_keeps_changed_ones(tmp_path, monkeypatch):
    from builders import DemoProject

    from factcheck.judging.results import SideResult

    demo = DemoProject(tmp_path / "project")
    for name, setup, use in (("a", "x = 1", "f(x)"), ("b", "y = 1", "g(y)")):
        cells = [("md", f"# {name}"), ("code", setup, [f"t{name}"]), ("code", use, [f"p{name}"])]
        demo.write_notebook(f"demo/{name}.ipynb", cells, sync=False)
    demo.write_claims([claim(f"demo-{n}", f"demo/{n}.ipynb", [f"t{n}"], [f"p{n}"]) for n in "ab"])
    monkeypatch.setattr(run, "ROOT", demo.root)
    hashes = cli.current_hashes()
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
    assert run.reclassify(tmp_path / "vm") == 0
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
    found = discovery.releases("pkg", data)
    assert "2.3.0" not in found and "2.1.0rc1" not in found and "0.29.2" in found
    assert discovery.newest_per_minor(found, (2, 0)) == {"2.0": "2.0.1", "2.1": "2.1.2", "2.2": "2.2.0"}


def test_a_minor_runs_on_the_patch_its_in_step_library_requires_where_one_is_named(monkeypatch):
    torch = _pypi("2.3.1", "2.4.0", "2.4.1", "2.5.1")
    monkeypatch.setattr(discovery, "FRAMEWORKS", {"torch": {**discovery.FRAMEWORKS["torch"], "first": (2, 3)}})
    runs = discovery.plan({"torch": torch})
    assert runs == [("torch", "2.3", "2.3.1"), ("torch", "2.4", "2.4.0"), ("torch", "2.5", "2.5.1")]
    assert "ExecuTorch 0.3.0" in discovery.IN_STEP_PATCH[("torch", "2.4")][1]


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
        pip.key_line(PIP_CONFLICT)
        == "litert-torch 0.10.0 depends on torch<2.15; litert-torch 0.9.0 depends on torch<2.14"
    )
    assert (
        pip.key_line(
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
    why = checks.why_not_newest("typing-extensions", "4.16.0", requires)
    assert why == "xdsl requires typing-extensions<4.13,>=4.7"


def test_pip_calls_lift_the_machine_constraint(monkeypatch):
    monkeypatch.setenv("PIP_CONSTRAINT", "/etc/xdg/pip/constraints.txt")
    env = pip.pip_env()
    assert env["PIP_CONSTRAINT"] == "/dev/null"
    assert env["PIP_FIND_LINKS"] == str(WHEELHOUSE)


def test_pruning_keeps_pinned_wheels_and_drops_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(pip, "WHEELHOUSE", tmp_path)
    monkeypatch.setattr(pip, "BIG_WHEEL", 10)
    pinned = tmp_path / "tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl"
    tested = tmp_path / "torch-2.3.1-cp311-cp311-manylinux1_x86_64.whl"
    small = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
    pinned.write_bytes(b"x" * 100)
    tested.write_bytes(b"x" * 100)
    small.write_bytes(b"x")
    pip.prune_wheelhouse([pinned, tested, small], {"tensorflow-cpu": "2.21.0", "torch": "2.14.1"})
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
        if discovery._version_key(version) <= discovery._version_key(self.works_up_to):
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
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    run = Run("tensorflow", "2.12", "2.12.1", {}, tmp_path)
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
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    # litert-torch's xdsl needs typing-extensions<4.13: a core that took 4.16 left it out.
    run = Run("tensorflow", "2.16", "2.16.2", {}, tmp_path)
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
    run = Run("tensorflow", "2.16", "2.16.2", {}, tmp_path)
    monkeypatch.setattr(run, "other_candidates", lambda: ["2.14.1"])
    monkeypatch.setattr(run, "_companion_reqs", lambda fw, version, pinned: [])
    pip = FakePip("2.14.1", caps_fit=False)
    other, _ = run.build_core(pip, log=None)
    assert other["got"] == "2.14.1" and pip.install_constraints == [None]
    assert any("requirements.lock" in note for note in run.notes), run.notes


def test_core_requirements_hold_what_releases_need_but_do_not_declare(tmp_path, monkeypatch):
    old_torch = Run("torch", "2.0", "2.0.1", {}, tmp_path)
    monkeypatch.setattr(old_torch, "_companion_reqs", lambda fw, version, pinned: [])
    reqs = old_torch.core_reqs("2.21.0")
    assert "torch==2.0.1" in reqs and "tensorflow-cpu==2.21.0" in reqs and "numpy<2" in reqs
    assert any(r.startswith("numpy<=") for r in reqs), "no newer than the lock"
    assert "NumPy 1" in old_torch.asked["numpy"]

    old_tf = Run("tensorflow", "2.12", "2.12.1", {}, tmp_path)
    monkeypatch.setattr(old_tf, "_companion_reqs", lambda fw, version, pinned: [])
    assert {"ipython<8.23", "numpy<2", "torch==2.1.2"} <= set(old_tf.core_reqs("2.1.2"))

    new_tf = Run("tensorflow", "2.21", "2.21.0", {}, tmp_path)
    monkeypatch.setattr(new_tf, "_companion_reqs", lambda fw, version, pinned: [])
    assert not {"ipython<8.23", "numpy<2"} & set(new_tf.core_reqs("2.14.1"))


def test_the_core_takes_the_pins_of_the_in_step_library_of_the_release_s_time(tmp_path, monkeypatch):
    torch_26 = Run("torch", "2.6", "2.6.0", {}, tmp_path)
    monkeypatch.setattr(torch_26, "_companion_reqs", lambda fw, version, pinned: [])
    reqs = torch_26.core_reqs("2.21.0")
    assert {"numpy==2.0.0", "pandas==2.2.2"} <= set(reqs)
    assert "ExecuTorch 0.5.0" in torch_26.asked["numpy"] and "ExecuTorch 0.5.0" in torch_26.asked["pandas"]

    torch_27 = Run("torch", "2.7", "2.7.1", {}, tmp_path)
    monkeypatch.setattr(torch_27, "_companion_reqs", lambda fw, version, pinned: [])
    assert not {"numpy==2.0.0", "pandas==2.2.2"} & set(torch_27.core_reqs("2.21.0"))


def test_result_files_carry_no_machine_paths():
    env_path = f"{ENVS.resolve()}/tensorflow-2.12/lib/python3.11/site-packages/keras/__init__.py"
    line = f"ImportError: cannot import name 'ops' from 'keras' ({env_path})"
    assert (
        run.scrub(line)
        == "ImportError: cannot import name 'ops' from 'keras' ($VENV/lib/python3.11/site-packages/keras/__init__.py)"
    )
    assert run.scrub("no file /tmp/tf-deploy-ub8c5f2e/models/1") == "no file $TMPDIR/tf-deploy-…/models/1"
    assert run.scrub(f"{ROOT}/notebooks/a.ipynb") == "$REPO/notebooks/a.ipynb"


class _StatePip:
    """A pip over a dict of installed packages: downloads succeed, uninstalls remove."""

    def __init__(self, state: dict):
        self.state = state

    def freeze(self):
        return dict(self.state)

    def download(self, reqs, constraints, dest, timeout):
        return 0, "", []

    def uninstall(self, names):
        for name in names:
            self.state.pop(name, None)
        return 0, ""


def _dated(*pairs):
    """PyPI JSON with one wheel per release, uploaded on the given day."""
    wheel = "pkg-{}-cp311-cp311-manylinux_2_28_x86_64.whl"
    return {
        "releases": {
            v: [{"filename": wheel.format(v), "yanked": False, "upload_time_iso_8601": f"{day}T12:00:00Z"}]
            for v, day in pairs
        }
    }


def test_keras_is_the_keras_of_the_release_s_time_and_the_pinned_run_uses_the_lock(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    tf = [("2.16.1", "2024-03-08"), ("2.16.2", "2024-06-28"), ("2.17.0", "2024-07-11"), ("2.21.0", "2026-03-06")]
    keras = [("3.0.5", "2024-02-14"), ("3.4.1", "2024-06-26"), ("3.5.0", "2024-08-12"), ("3.15.1", "2026-10-01")]
    pypi = {"tensorflow-cpu": _dated(*tf), "keras": _dated(*keras)}
    old = Run("tensorflow", "2.16", "2.16.2", pypi, tmp_path)
    assert old.cutoff == "2024-07-11", "TensorFlow 2.17 replaced 2.16 that day"
    req, why = old.of_its_time("keras")
    assert req == "keras<=3.4.1" and "2024-07-11" in why, "the Keras of TensorFlow 2.16's time"
    req, why = old.of_its_time("transformers")
    assert req == f"transformers<={old.lock['transformers']}", "other libraries: the newest that works (ensure_imports)"
    pinned = Run("tensorflow", "2.21", old.lock["tensorflow-cpu"], pypi, tmp_path)
    assert pinned.pinned_run and pinned.of_its_time("keras")[0] == f"keras=={old.lock['keras']}"


def test_executorch_in_a_torch_run_is_the_executorch_of_that_release_s_time(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    torch = [("2.10.0", "2026-01-21"), ("2.11.0", "2026-04-08"), ("2.14.1", "2026-10-20")]
    executorch = [("1.1.0", "2026-01-28"), ("1.2.0", "2026-03-30"), ("1.5.1", "2026-11-02")]
    pypi = {"torch": _dated(*torch), "executorch": _dated(*executorch)}
    old = Run("torch", "2.10", "2.10.0", pypi, tmp_path)
    assert old.cutoff == "2026-04-08", "torch 2.11 replaced 2.10 that day"
    req, why = old.of_its_time("executorch")
    assert req == "executorch<=1.2.0" and "executorch of torch 2.10's time" in why
    assert old.of_its_time("onnxscript")[0].startswith("onnxscript"), "not released in step: the lock's cap"
    before = Run("torch", "2.0", "2.0.1", {"torch": _dated(("2.0.1", "2023-05-08"), ("2.1.0", "2023-10-04")),
                                           "executorch": _dated(*executorch)}, tmp_path)  # fmt: skip
    req, why = before.of_its_time("executorch")
    assert req is None and "2023-10-04" in why, "no ExecuTorch before torch 2.1 came: left out, not yet released"


def test_a_library_that_installs_but_does_not_import_gives_way_to_its_newest_older_release_that_does(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    monkeypatch.setattr(Run, "frameworks_intact", lambda self, pip: Check("imports-as-installed", True))
    run = Run("tensorflow", "2.16", "2.16.2", {"onnx": _dated(("1.16.2", "2024-05-01"), ("1.17.0", "2024-09-01"),
                                                              ("1.18.0", "2025-03-01"))}, tmp_path)  # fmt: skip
    installed = {"onnx": "1.18.0"}

    class Pip(_StatePip):
        def install(self, reqs, constraints, timeout=900, extra=()):
            installed["onnx"] = reqs[0].split("==")[1]
            return 0, ""

    def import_error(python, lib, framework="torch"):
        return (
            None
            if installed[lib] == "1.17.0"
            else "AttributeError: module 'ml_dtypes' has no attribute 'float4_e2m1fn'"
        )

    monkeypatch.setattr(environments, "import_error", import_error)
    assert run.ensure_imports(Pip(installed), ["onnx"], {"onnx": "onnx<=1.18.0"}) == []
    assert installed["onnx"] == "1.17.0"
    assert any("onnx 1.17.0: the newest older release that imports" in note for note in run.notes)


def test_a_library_that_another_left_out_library_broke_is_kept_as_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    monkeypatch.setattr(Run, "frameworks_intact", lambda self, pip: Check("imports-as-installed", True))
    dated = _dated(("0.8.0", "2024-05-01"), ("0.9.0", "2024-09-01"))
    run = Run("torch", "2.4", "2.4.0", {"transformers": dated, "litert-torch": dated}, tmp_path)
    installed = {"transformers": "0.9.0", "litert-torch": "0.9.0", "torchao": "0.18.0"}

    class Pip(_StatePip):
        def install(self, reqs, constraints, timeout=900, extra=()):
            name, version = reqs[0].split("==")
            installed[name] = version
            return 0, ""

    def import_error(python, lib, framework="torch"):  # litert-torch's torchao breaks both while it is installed
        return "AttributeError: module 'torch' has no attribute 'int1'" if "torchao" in installed else None

    monkeypatch.setattr(environments, "import_error", import_error)

    def remove(self, pip, lib, start, others):  # with what it alone brought
        installed.pop(lib), installed.pop("torchao")

    monkeypatch.setattr(Run, "remove", remove)
    left = run.ensure_imports(Pip(installed), ["transformers", "litert-torch"], {}, start={})
    assert [x.package for x in left] == ["litert-torch"]
    assert installed == {"transformers": "0.9.0"}, "transformers kept as installed, not traded for an older one"
    assert any("transformers imports once the libraries handled before it" in n for n in run.notes)


def test_pip_running_out_of_disk_stops_the_run_instead_of_naming_libraries_left_out(tmp_path, monkeypatch):
    import io
    import subprocess

    full = subprocess.CompletedProcess([], 1, "", "ERROR: Could not install packages due to an OSError: "
                                                 "[Errno 28] No space left on device")  # fmt: skip
    monkeypatch.setattr(pip.subprocess, "run", lambda *a, **k: full)
    with pytest.raises(pip.DiskFullError, match="out of disk space"):
        pip.Pip(tmp_path / "python", io.StringIO()).install(["keras-hub"], None)
    other = subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution found for keras-hub")
    monkeypatch.setattr(pip.subprocess, "run", lambda *a, **k: other)
    rc, _ = pip.Pip(tmp_path / "python", io.StringIO()).install(["keras-hub"], None)
    assert rc == 1, "any other failure is the library's, recorded as before"


def test_a_library_that_does_not_install_beside_the_others_gives_way_to_its_newest_older_release_that_does(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    shadowed = {"0.9.1"}  # this release brings a nightly TensorFlow: refused, the next older one taken
    monkeypatch.setattr(
        Run,
        "frameworks_intact",
        lambda self, pip: Check(
            "imports-as-installed", not shadowed.pop() if shadowed else True, "tensorflow imports as 2.21.0-dev"
        ),
    )
    litert = _dated(("0.8.0", "2025-09-01"), ("0.9.1", "2026-01-10"), ("0.10.0", "2026-06-01"))
    run = Run("torch", "2.10", "2.10.0", {"litert-torch": litert}, tmp_path)
    asked = []

    class Pip:
        def freeze(self):
            return {"torch": "2.10.0"}

        def download(self, reqs, constraints, dest, timeout):
            return 0, "", []

        def install(self, reqs, constraints, timeout=900, extra=()):
            asked.append(reqs[0])
            return (0, "") if reqs[0] in ("litert-torch==0.9.1", "litert-torch==0.8.0") else (1, "ResolutionImpossible")

    tried = environments._wheel_version("litert-torch", [Path("litert_torch-0.10.0-py3-none-any.whl")])
    assert tried == "0.10.0"
    why = "litert-torch 0.10.0 depends on torchao>=0.17"
    assert run.older_that_installs(Pip(), "litert-torch", tried, tmp_path / "c.txt", why) == "0.8.0"
    assert asked == ["litert-torch==0.9.1", "litert-torch==0.8.0"], "newest older first; one that shadows TF refused"
    note = next(n for n in run.notes if n.startswith("litert-torch 0.8.0: the newest older release that installs"))
    assert "torchao" in note and "0.9.1: tensorflow imports as 2.21.0-dev" in note
    none = Run("torch", "2.10", "2.10.0", {"litert-torch": _dated(("0.10.0", "2026-06-01"))}, tmp_path)
    assert none.older_that_installs(Pip(), "litert-torch", "0.10.0", tmp_path / "c.txt", why) is None


def test_undoing_a_failed_try_reinstalls_the_packages_whose_folders_the_removed_ones_shared(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    run = Run("torch", "2.8", "2.8.0", {}, tmp_path)
    site = run.env_dir / "lib" / "python3.11" / "site-packages"
    files = {"keras-3.15.1": "keras/__init__.py", "keras_nightly-3.16.0.dev1": "keras/src/ops.py",
             "torch-2.8.0": "torch/__init__.py", "fire-0.7.1": "fire/core.py"}  # fmt: skip
    for dist, path in files.items():
        (site / f"{dist}.dist-info").mkdir(parents=True)
        (site / f"{dist}.dist-info" / "RECORD").write_text(f"{path},sha256=x,1\n{dist}.dist-info/RECORD,,\n")
    before = {"keras": "3.15.1", "torch": "2.8.0"}
    calls = []

    class Pip:
        def freeze(self):
            return {**before, "keras-nightly": "3.16.0.dev1", "fire": "0.7.1"}

        def uninstall(self, names):
            calls.append(("uninstall", sorted(names)))
            return 0, ""

        def install(self, reqs, constraints, timeout=900, extra=()):
            calls.append(("install", reqs, extra))
            return 0, ""

    run.restore(Pip(), before)
    assert calls == [
        ("uninstall", ["fire", "keras-nightly"]),
        ("install", ["keras==3.15.1"], ("--no-deps", "--force-reinstall")),
    ], "keras-nightly's removal takes keras/ files along; torch shares no folder with what went"
    assert "1 whose folders they shared reinstalled (keras==3.15.1)" in run.notes[-1]


@pytest.mark.parametrize(("keras", "asked"), [("2.15.0", True), ("3.4.1", False)])
def test_beside_keras_2_the_run_installs_kerasnlp_where_kerashub_cannot_load(tmp_path, monkeypatch, keras, asked):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    monkeypatch.setattr(environments, "import_error", lambda python, lib, framework="torch": None)
    text = _dated(("2.13.0rc0", "2023-06-01"), ("2.15.0", "2023-11-20"))
    run = Run("tensorflow", "2.15", "2.15.1", {"tensorflow-text": text}, tmp_path)
    run.env_dir.mkdir(parents=True)
    installed: list[str] = []

    class Pip:
        def freeze(self):
            return {"tensorflow-cpu": "2.15.1", "keras": keras, "numpy": "1.26.4"}

        def download(self, reqs, constraints, dest, timeout):
            return 0, "", []

        def install(self, reqs, constraints, timeout=900, extra=()):
            installed.extend(reqs)
            held.append(Path(constraints).read_text())
            return 0, ""

    held: list[str] = []
    left = run.install_evidence(Pip(), log=None)
    assert ("keras-nlp<0.13" in installed) is asked, "KerasNLP 0.12, the last to run on Keras 2, only there"
    assert [item.package for item in left] == (["keras-hub"] if asked else []), "KerasHub needs Keras 3: not tried"
    assert ("tensorflow-text==2.15.*" in held[0]) is asked, "its tensorflow-text: the one of this release"
    assert any(r.startswith("keras-hub") for r in installed) is not asked


def test_kerasnlp_is_left_out_named_where_its_tensorflow_text_never_had_a_final_release(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    monkeypatch.setattr(environments, "import_error", lambda python, lib, framework="torch": None)
    text = _dated(("2.12.1", "2023-04-01"), ("2.13.0rc0", "2023-06-01"), ("2.14.0", "2023-10-01"))
    run = Run("tensorflow", "2.13", "2.13.1", {"tensorflow-text": text}, tmp_path)
    run.env_dir.mkdir(parents=True)
    installed: list[str] = []

    class Pip:
        def freeze(self):
            return {"tensorflow-cpu": "2.13.1", "keras": "2.13.1", "numpy": "1.24.3"}

        def download(self, reqs, constraints, dest, timeout):
            return 0, "", []

        def install(self, reqs, constraints, timeout=900, extra=()):
            installed.extend(reqs)
            return 0, ""

    left = {item.package: item.reason for item in run.install_evidence(Pip(), log=None)}
    assert not any(r.startswith("keras-nlp") for r in installed), "no search for a missing tensorflow-text"
    assert left["keras-nlp"].startswith("needs tensorflow-text, which never had a final 2.13 release")


def test_a_library_of_its_time_that_does_not_fit_is_not_pulled_in_newer_by_another(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    monkeypatch.setattr(environments, "import_error", lambda python, lib, framework="torch": None)
    torch = [("2.9.1", "2025-11-12"), ("2.10.0", "2026-01-21"), ("2.14.1", "2026-10-20")]
    transformers = [("4.57.6", "2026-01-10"), ("5.24.0", "2026-11-20")]
    pypi = {
        "torch": _dated(*torch),
        "transformers": _dated(*transformers),
        "executorch": _dated(("1.0.1", "2025-12-01")),
    }
    run = Run("torch", "2.9", "2.9.1", pypi, tmp_path)
    run.env_dir.mkdir(parents=True)
    order: list[str] = []
    constraints_seen: list[str] = []

    class Pip:
        def freeze(self):
            return {"torch": "2.9.1", "huggingface-hub": "1.2.0"}

        def download(self, reqs, constraints, dest, timeout):
            return 0, "", []

        def install(self, reqs, constraints, timeout=900, extra=()):
            if len(reqs) > 1:
                return 1, "ResolutionImpossible"  # not all together: one by one
            order.append(reqs[0])
            constraints_seen.append(Path(constraints).read_text())
            if reqs[0].startswith("transformers"):
                return 1, "transformers 4.57.6 depends on huggingface-hub<1.0"
            return 0, ""

    left = run.install_evidence(Pip(), log=None)
    assert order[0] == "transformers<=4.57.6", "the library of the release's time goes first"
    assert any(item.package == "transformers" for item in left)
    assert all("transformers<=4.57.6" in text for text in constraints_seen[1:]), "no later library pulls a newer one"


def test_a_nightly_that_shadows_the_pinned_tensorflow_breaks_the_environment_instead_of_passing_unseen():

    said = [
        Check("tensorflow", True, "tensorflow 2.21.0-dev20251110 keras 3.16.0.dev2026102704 tf.constant(1) + 1 == 2")
    ]
    dists = {"tensorflow": "2.21.0", "keras": "3.15.1", "keras-nightly": "3.16.0.dev2026102704", "tb-nightly": "2.21a0"}
    check = environments.imports_as_installed(said, dists)
    assert not check.ok
    assert "tensorflow imports as 2.21.0-dev20251110, but tensorflow 2.21.0 is installed" in check.detail
    assert "shadowed by keras-nightly, tb-nightly" in check.detail
    fine = [Check("tensorflow", True, "tensorflow 2.15.1 keras 2.15.0 tf.constant(1) + 1 == 2")]
    assert environments.imports_as_installed(fine, {"tensorflow-cpu": "2.15.1", "keras": "2.15.0"}).ok


def test_libraries_that_together_shadow_the_frameworks_are_undone_and_the_culprit_left_out(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    monkeypatch.setattr(environments, "import_error", lambda python, lib, framework="torch": None)
    pypi = {
        "torch": _dated(("2.7.0", "2025-04-23"), ("2.8.0", "2025-08-06")),
        "executorch": _dated(("0.6.0", "2025-04-25")),
        "transformers": _dated(("4.51.0", "2025-04-05")),
    }
    run = Run("torch", "2.7", "2.7.0", pypi, tmp_path)
    run.env_dir.mkdir(parents=True)
    monkeypatch.setattr(environments, "EVIDENCE_LIBRARIES", ("executorch", "litert-torch"))
    state = {"torch": "2.7.0", "keras": "3.15.1"}
    folders = {"torch": {"torch"}, "keras": {"keras"}, "keras-nightly": {"keras"}, "executorch": {"executorch"},
               "litert-torch": {"litert_torch"}}  # fmt: skip
    monkeypatch.setattr(environments, "top_folders", lambda env_dir: {n: folders[n] for n in state})
    monkeypatch.setattr(Run, "frameworks_intact", lambda self, pip: Check(
        "imports-as-installed", "keras-nightly" not in state, "keras imports as 3.16.0.dev1"))  # fmt: skip

    class Pip(_StatePip):
        def install(self, reqs, constraints, timeout=900, extra=()):
            for req in reqs:
                name = re.split("[<=]", req)[0]
                state[name] = req.split("==")[1] if "==" in req else "1.0"
                if name == "litert-torch":  # the resolver reached back to a release with nightly deps
                    state["keras-nightly"] = "3.16.0.dev1"
            return 0, ""

    left = run.install_evidence(Pip(state), log=None)
    assert "keras-nightly" not in state and state["keras"] == "3.15.1", "the frameworks import as installed"
    assert "executorch" in state, "the library that does not shadow anything stays"
    (out,) = [item for item in left if item.package == "litert-torch"]
    assert "shadow the frameworks here: keras imports as 3.16.0.dev1" in out.reason


def test_a_library_left_out_is_uninstalled_with_what_it_alone_brought(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    run = Run("torch", "2.4", "2.4.0", {}, tmp_path)
    requires = {"torch": [], "keras": [], "skorch": ["scikit-learn>=1"], "scikit-learn": [],
                "executorch": ["torchao==0.4"], "torchao": [], "ai-edge-litert": ["flatbuffers"], "flatbuffers": [],
                "litert-torch": ["torchao>=0.17", "ai-edge-litert", "pytest; extra == 'test'"]}  # fmt: skip
    state = set(requires)
    editable = {"factcheck": "0.1.0"}  # this checkout, installed -e: importlib lists it, pip freeze does not
    monkeypatch.setattr(environments, "inspect", lambda python: {
        "dists": {**editable, **{n: "1" for n in state}}, "requires": {n: requires[n] for n in state}})  # fmt: skip

    class Pip:
        def freeze(self):
            return {n: "1" for n in state}

        def uninstall(self, names):
            assert "factcheck" not in names, "the project's own editable install is never removed"
            state.difference_update(names)
            return 0, ""

    run.remove(Pip(), "litert-torch", {"torch": "2.4.0", "keras": "3.15.1"}, ["skorch", "executorch"])
    assert state == {"torch", "keras", "skorch", "scikit-learn", "executorch", "torchao"}, (
        "ai-edge-litert and its flatbuffers go; torchao stays, executorch needs it; the other libraries stay"
    )
    assert "litert-torch, ai-edge-litert, flatbuffers" in run.notes[-1]


def test_failed_tries_leave_the_environment_as_it_was(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    run = Run("torch", "2.6", "2.6.0", {"litert-torch": _dated(("0.8.0", "2025-09-01"), ("0.9.4", "2026-01-10"))},
              tmp_path)  # fmt: skip
    state = {"torch": "2.6.0", "keras": "3.15.1"}
    calls = []

    class Pip:
        def freeze(self):
            return dict(state)

        def download(self, reqs, constraints, dest, timeout):
            return 0, "", []

        def install(self, reqs, constraints, timeout=900, extra=()):
            calls.append(("install", reqs))
            if reqs[0].startswith("litert-torch"):  # installs its nightly dependencies, then fails
                state.update({"keras-nightly": "3.16.0.dev1", "keras": "3.16.0"})
                return 1, "ResolutionImpossible"
            state.update(dict(r.split("==") for r in reqs))
            return 0, ""

        def uninstall(self, names):
            calls.append(("uninstall", names))
            for n in names:
                state.pop(n)
            return 0, ""

    assert run.older_that_installs(Pip(), "litert-torch", "0.10.0", tmp_path / "c.txt", "torchao") is None
    assert state == {"torch": "2.6.0", "keras": "3.15.1"}, "what the tries added is gone, what they moved is back"
    assert ("uninstall", ["keras-nightly"]) in calls and ("install", ["keras==3.15.1"]) in calls


def test_a_tensorflow_run_needs_transformers_to_import_not_its_pytorch_models_to_work(monkeypatch):
    ran = []

    def run(cmd, **kwargs):
        ran.append(cmd[-1])
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(checks.subprocess, "run", run)
    assert checks.import_error(Path("python"), "transformers", "torch") is None
    assert checks.import_error(Path("python"), "transformers", "tensorflow") is None
    torch_code, tf_code = ran
    assert "BertModel(BertConfig(" in torch_code, "a torch run: the PyTorch side's models must work"
    assert "BertModel" not in tf_code and "import transformers" in tf_code, "a TensorFlow run: it imports"


def test_a_library_that_a_trade_broke_after_it_imported_is_handled_again(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "ENVS", tmp_path / "envs")
    monkeypatch.setattr(Run, "frameworks_intact", lambda self, pip: Check("imports-as-installed", True))
    dated = _dated(("1.16.2", "2024-05-01"), ("1.17.0", "2024-09-01"), ("1.18.0", "2025-03-01"))
    run = Run("tensorflow", "2.16", "2.16.2", {"onnx": dated, "tf2onnx": dated}, tmp_path)
    installed = {"onnx": "1.17.0", "tf2onnx": "1.18.0"}

    class Pip(_StatePip):
        def install(self, reqs, constraints, timeout=900, extra=()):
            name, version = reqs[0].split("==")
            installed[name] = version
            if name == "tf2onnx":  # its older release moves onnx up to one that does not import here
                installed["onnx"] = "1.18.0"
            return 0, ""

    def import_error(python, lib, framework="torch"):
        if lib == "tf2onnx":
            return None if installed["tf2onnx"] == "1.17.0" else "ImportError: cannot import name 'x' from 'onnx'"
        return None if installed["onnx"] == "1.17.0" else "AttributeError: module 'ml_dtypes' has no attribute 'x'"

    monkeypatch.setattr(environments, "import_error", import_error)
    assert run.ensure_imports(Pip(installed), ["onnx", "tf2onnx"], {}) == []
    assert installed == {"onnx": "1.17.0", "tf2onnx": "1.17.0"}, "onnx, broken by tf2onnx's trade, traded back"
    assert any("onnx stopped importing after the trades above" in note for note in run.notes)
