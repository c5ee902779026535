"""The verdict on every release: committed version-matrix results, read against each claim's
declared history, become a sentence and strips on the panel, a Versions table with numbered
notes, and per-release verdicts and ``since`` in claims.json, without executing any old release.
A failure is a verdict only inside a declared era; one no era explains, or an era whose releases
pass, is a contradiction named by claim, side and release. Could-not-run is "not checkable here",
with its reason in words, never a failure."""

from __future__ import annotations

from dataclasses import replace

import pytest
from builders import build_site, claim, sample_result
from test_render import render_page

from factcheck.errors import RegistryError
from factcheck.judging.results import NotebookResult, Reason, RunResult, SideResult, write_result
from factcheck.reports.history import problems, release_verdicts, sentence, since
from factcheck.reports.releases import Mark, Matrix, ranges
from factcheck.sources.registry import Era, load_registry
from factcheck.vocabulary import COULD_NOT_RUN, FAILS, HOLDS

ESTIMATOR = Era("2.12", "2.15", "holds", "tf.estimator still shipped; TensorFlow 2.16 removed it")
ESTIMATOR_ENTRY = {"because": ESTIMATOR.because, "fails_with": ["tf.estimator ships"]}  # the words _marks records


def _claim(demo, verdict="outdated", history=None):
    demo.basic()
    entry = claim("demo-basic-claim", verdict=verdict)
    if history:
        entry["history"] = history
    demo.write_claims([entry])
    return load_registry(demo.root / "claims", demo.root / "notebooks")["demo-basic-claim"]


def _marks(outcomes: dict[str, str], tag: str = "tf-check") -> list[Mark]:
    return [
        Mark(release, f"{release}.1", outcome, "AssertionError: tf.estimator ships" if outcome == FAILS else None,
             "2026-12-07", cell_tag=tag if outcome == FAILS else None)
        for release, outcome in outcomes.items()
    ]  # fmt: skip


def test_consecutive_releases_read_as_ranges():
    releases = ["2.0", "2.1", "2.2", "2.3", "2.4"]
    assert ranges(releases, {"2.1", "2.2", "2.4"}) == ["2.1–2.2", "2.4"]
    assert ranges(releases, set(releases)) == ["2.0–2.4"]


def test_a_declared_history_is_verified_and_read_as_the_verdict_there(demo):
    c = _claim(demo, history={"tensorflow": [{"releases": "2.12-2.15", "verdict": "holds",
                                              **ESTIMATOR_ENTRY, "cells": ["tf-check"]}]})  # fmt: skip
    marks = _marks({"2.12": FAILS, "2.15": FAILS, "2.16": HOLDS, "2.21": HOLDS})
    verdicts = release_verdicts(c, "tensorflow", marks)
    assert [v.verdict for v in verdicts] == ["holds", "holds", "outdated", "outdated"]
    assert problems(c, "tensorflow", verdicts) == []
    assert since(c, verdicts) == "2.16"
    text = sentence(c, {"tensorflow": verdicts, "pytorch": []})
    assert text.startswith("Outdated since TensorFlow 2.16; on TensorFlow 2.12–2.15 the verdict was holds: tf.")


def test_an_era_in_the_middle_of_the_window_is_not_read_as_since(demo):
    c = _claim(demo, verdict="holds", history={"tensorflow": [{
        "releases": "2.16-2.17", "verdict": "nuanced", "cells": ["tf-check"],
        "because": "the Keras of those releases did not average the replicas' gradients in fit",
        "fails_with": ["tf.estimator ships"]}]})  # fmt: skip
    marks = _marks({"2.14": HOLDS, "2.15": HOLDS, "2.16": FAILS, "2.17": FAILS, "2.18": HOLDS, "2.21": HOLDS})
    verdicts = release_verdicts(c, "tensorflow", marks)
    assert problems(c, "tensorflow", verdicts) == []
    text = sentence(c, {"tensorflow": verdicts, "pytorch": []})
    assert text.startswith("Holds on TensorFlow 2.14–2.15, 2.18–2.21; on TensorFlow 2.16–2.17 the verdict was nuanced")
    assert "since" not in text, "it held before the era too"
    same = _claim(
        demo,
        verdict="nuanced",
        history={
            "tensorflow": [
                {"releases": "2.12-2.15", "verdict": "holds", "cells": ["tf-check"], **ESTIMATOR_ENTRY},
                {
                    "releases": "2.16",
                    "verdict": "nuanced",
                    "cells": ["tf-check"],
                    "because": "another wording of the warning",
                    "fails_with": ["tf.estimator ships"],
                },
            ]
        },
    )
    marks = _marks({"2.15": FAILS, "2.16": FAILS, "2.17": HOLDS})
    text = sentence(same, {"tensorflow": release_verdicts(same, "tensorflow", marks), "pytorch": []})
    assert "on TensorFlow 2.16 the verdict was nuanced too: another wording" in text, "the same verdict, another reason"


def test_an_era_with_today_s_verdict_is_still_named_in_the_sentence(demo):
    c = _claim(demo, verdict="holds", history={"tensorflow": [{
        "releases": "2.12", "verdict": "holds", "cells": ["tf-check"],
        "because": "TensorFlow 2.12 still aliased a converted NumPy array",
        "fails_with": ["tf.estimator ships"]}]})  # fmt: skip
    verdicts = release_verdicts(c, "tensorflow", _marks({"2.12": FAILS, "2.13": HOLDS, "2.21": HOLDS}))
    assert problems(c, "tensorflow", verdicts) == []
    text = sentence(c, {"tensorflow": verdicts, "pytorch": []})
    assert "on TensorFlow 2.12 the verdict was holds too: TensorFlow 2.12 still aliased" in text, text
    assert "every release checked:" not in text, "the era's reason would show nowhere"
    assert "Holds on TensorFlow 2.13–2.21; on TensorFlow 2.12 the verdict was holds too" in text, (
        "the era's releases are named once, with their reason"
    )


def test_a_change_no_history_explains_is_refused_naming_claim_side_and_release(demo):
    c = _claim(demo)
    verdicts = release_verdicts(c, "tensorflow", _marks({"2.12": FAILS, "2.13": HOLDS}))
    (problem,) = problems(c, "tensorflow", verdicts)
    assert problem.startswith("claim 'demo-basic-claim' (TensorFlow 2.12): fails on 2.12")
    assert "no declared history explains it" in problem


def test_a_declared_history_the_releases_do_not_show_is_refused(demo):
    c = _claim(demo, history={"tensorflow": [{"releases": "2.12", "verdict": "holds", **ESTIMATOR_ENTRY}]})
    verdicts = release_verdicts(c, "tensorflow", _marks({"2.12": HOLDS}))
    assert "but the evidence passes there" in problems(c, "tensorflow", verdicts)[0]
    # ... and a history that names its cells must fail at one of them.
    c = _claim(demo, history={"tensorflow": [{"releases": "2.12", "verdict": "holds", **ESTIMATOR_ENTRY,
                                              "cells": ["tf-check"]}]})  # fmt: skip
    verdicts = release_verdicts(c, "tensorflow", _marks({"2.12": FAILS}, tag="tf-other"))
    assert "a cell the history of 2.12 does not name" in problems(c, "tensorflow", verdicts)[0]


def test_a_declared_history_that_fails_for_another_reason_is_refused(demo):
    c = _claim(demo, history={"tensorflow": [{"releases": "2.12", "verdict": "holds", **ESTIMATOR_ENTRY,
                                              "cells": ["tf-check"]}]})  # fmt: skip
    marks = [replace(m, detail="NameError: name 'keras_hub' is not defined") for m in _marks({"2.12": FAILS})]
    verdicts = release_verdicts(c, "tensorflow", marks)
    (problem,) = problems(c, "tensorflow", verdicts)
    assert problem.startswith("claim 'demo-basic-claim' (TensorFlow 2.12): fails on 2.12 with \"NameError")
    assert "not the failure the history of 2.12 expects ('tf.estimator ships')" in problem
    assert problems(c, "tensorflow", release_verdicts(c, "tensorflow", _marks({"2.12": FAILS}))) == []


def test_a_declared_history_must_name_the_failure_it_expects(demo):
    demo.basic()
    entry = claim("demo-basic-claim", verdict="outdated")
    entry["history"] = {"tensorflow": [{"releases": "2.12", "verdict": "holds", "because": ESTIMATOR.because}]}
    demo.write_claims([entry])
    with pytest.raises(RegistryError, match="fails_with"):
        load_registry(demo.root / "claims", demo.root / "notebooks")


def test_a_stale_result_is_not_held_against_the_history(demo):
    c = _claim(demo)
    stale = [replace(m, stale=True) for m in _marks({"2.12": FAILS})]
    assert problems(c, "tensorflow", release_verdicts(c, "tensorflow", stale)) == []


def test_could_not_run_is_not_checkable_here_with_its_reason_in_words_never_a_failure(demo):
    c = _claim(demo, verdict="holds")
    refused = "cell 9: RuntimeError: Python 3.11+ not yet supported for torch.compile"
    python = Mark("2.0", "2.0.1", COULD_NOT_RUN, refused, "2026-12-07", reason_kind="unsupported-python")
    missing = Mark("2.1", "2.1.2", COULD_NOT_RUN, "cell 9: No module named 'litert_torch'", "2026-12-07",
                   reason_kind="missing-package", package="litert_torch",
                   left_out="not yet released: its first release (2024-05-14) came after the next minor")  # fmt: skip
    verdicts = release_verdicts(c, "pytorch", [python, missing, *_marks({"2.2": HOLDS})])
    assert [v.verdict for v in verdicts] == [None, None, "holds"] and problems(c, "pytorch", verdicts) == []
    text = sentence(c, {"tensorflow": [], "pytorch": verdicts})
    assert "not checkable here on PyTorch 2.0: torch.compile in this release refuses Python 3.11" in text
    assert "the release itself installs and runs here" in text
    assert "litert_torch is not installed beside this release (not yet released" in text
    unreleased = "not yet released: no release before the next minor torch after 2.0 came out (2023-10-04)"
    early = Mark("2.0", "2.0.1", COULD_NOT_RUN, "cell 16: No module named 'executorch'", "2026-12-07",
                 reason_kind="missing-package", package="executorch", left_out=unreleased)  # fmt: skip
    assert release_verdicts(c, "pytorch", [early])[0].note == (
        "executorch had no release on PyPI yet in this release's time (none, leaving aside any later yanked,"
        " before the next torch minor came out on 2023-10-04)"
    )
    assert "fail" not in text
    newer = Mark("2.7", "2.7.1", COULD_NOT_RUN, "cell 5: AttributeError: module 'torch' has no attribute 'xpu'",
                 "2026-12-07", reason_kind="package-mismatch", package="torch")  # fmt: skip
    words = release_verdicts(c, "pytorch", [newer])[0].note
    assert words == (
        "a library the evidence needs, installed here, needs a newer torch than this release (it reads torch.xpu)"
    ), "the name it wanted, so a reader can tell which release brought it"
    older_api = Mark("2.4", "2.4.0", COULD_NOT_RUN, "cell 16: ImportError: cannot import name"
                     " 'to_edge_transform_and_lower' from 'executorch.exir' ($VENV/...)", "2026-12-07",
                     reason_kind="missing-package", package="executorch")  # fmt: skip
    words = release_verdicts(c, "pytorch", [older_api])[0].note
    assert words.startswith("executorch installed here lacks executorch.exir.to_edge_transform_and_lower"), words
    assert "not installed" not in words and "a limit of our evidence" in words
    keras2 = Mark("2.15", "2.15.1", COULD_NOT_RUN, "cell 10: ModuleNotFoundError: No module named 'keras_hub' that"
                  " imports here (ImportError: cannot import name 'ops' from 'keras' (...))", "2026-12-07",
                  reason_kind="package-mismatch", package="keras_hub")  # fmt: skip
    words = release_verdicts(c, "tensorflow", [keras2])[0].note
    assert words.startswith("keras_hub needs Keras 3 (it imports keras.ops)"), "the library's boundary, named"
    assert "this release ships Keras 2" in words


def test_a_library_of_the_release_s_time_pinned_to_its_other_patch_is_named_as_our_run_s_limit(demo):
    c = _claim(demo, verdict="holds")
    pins = "executorch 0.4.0 depends on torch==2.5.0; executorch 0.3.0 depends on torch==2.4.0"
    other_patch = Mark("2.5", "2.5.1", COULD_NOT_RUN, "cell 16: ModuleNotFoundError: No module named 'executorch'",
                       "2026-12-07", reason_kind="missing-package", package="executorch", left_out=pins)  # fmt: skip
    words = release_verdicts(c, "pytorch", [other_patch])[0].note
    assert words == (
        "executorch 0.4.0, made for this release, pins torch 2.5.0, and this run took 2.5.1 (ExecuTorch 0.4.0 also"
        " pins NumPy 1.23.2 on Python 3.11, which TensorFlow 2.21, needing NumPy 1.26 or newer, excludes):"
        " a limit of our run, not of this release"
    ), "why the run kept its newest patch, named"
    older_minor = Mark("2.6", "2.6.0", COULD_NOT_RUN, "cell 16: ModuleNotFoundError: No module named 'executorch'",
                       "2026-12-07", reason_kind="missing-package", package="executorch", left_out=pins)  # fmt: skip
    words = release_verdicts(c, "pytorch", [older_minor])[0].note
    assert words.endswith("not installed beside this release (executorch 0.4.0 depends on torch==2.5.0)"), (
        "pip's first reason only: the sentence stays readable"
    )


def test_an_installed_library_that_does_not_import_is_never_called_not_installed(demo):
    c = _claim(demo, verdict="holds")
    broken = Mark("2.7", "2.7.1", COULD_NOT_RUN, "cell 13: ModuleNotFoundError: No module named 'transformers' that"
                  " imports here (ImportError: cannot import name 'ScalingType' from 'torch.nn.functional' (...))",
                  "2026-12-07", reason_kind="missing-package", package="transformers")  # fmt: skip
    words = release_verdicts(c, "pytorch", [broken])[0].note
    assert words == (
        "transformers is installed here but does not import beside this release"
        " (it imports torch.nn.functional.ScalingType)"
    )
    own_check = Mark("2.3", "2.3.1", COULD_NOT_RUN, "cell 12: ImportError: Dinov2Model requires PyTorch >= 2.6, but"
                     " PyTorch was not found or an older version is installed.", "2026-12-07",
                     reason_kind="missing-package")  # fmt: skip
    words = release_verdicts(c, "pytorch", [own_check])[0].note
    assert words == "a library the evidence needs, installed here, needs PyTorch 2.6 or newer, not this release"
    assert "not installed" not in words


def test_a_library_whose_own_code_raised_is_named_with_its_version_and_where_it_came_from(demo):
    # Keras 3.15 on the torch backend, run in a child process beside torch 2.0-2.2: the Keras
    # pinned beside TensorFlow in every PyTorch run is the library too new for the release. One
    # note for that cause, whatever each release lacked, and nothing said of an older Keras.
    c = _claim(demo, verdict="holds")
    reads = Mark("2.1", "2.1.2", COULD_NOT_RUN, "cell 34: AssertionError: ... AttributeError: module"
                 " 'torch.utils._pytree' has no attribute 'register_pytree_node' (from keras, installed here,"
                 " which needs a newer torch)", "2026-12-07", reason_kind="package-mismatch", package="torch",
                 library="keras 3.15.1", beside="TensorFlow 2.21.0")  # fmt: skip
    passes = Mark("2.2", "2.2.2", COULD_NOT_RUN, "cell 34: AssertionError: ... TypeError: register_pytree_node()"
                  " got an unexpected keyword argument 'flatten_with_keys_fn' (keras, installed here, calls an API"
                  " of a newer release)", "2026-12-07", reason_kind="package-mismatch",
                  library="keras 3.15.1", beside="TensorFlow 2.21.0")  # fmt: skip
    words = {v.note for v in release_verdicts(c, "pytorch", [reads, passes])}
    assert words == {
        "keras 3.15.1, which every PyTorch run installs with TensorFlow 2.21.0 at the project's pins, needs a newer"
        " torch than this release; no older keras was tried"
    }, "the release it needs is named even where the error does not name it"
    # a library of this run's own choosing: what it wanted, where the error says
    own = Mark("2.7", "2.7.1", COULD_NOT_RUN, "cell 5: AttributeError: module 'torch' has no attribute 'xpu' (from"
               " timm, installed here, which needs a newer torch)", "2026-12-07", reason_kind="package-mismatch",
               package="torch", library="timm 1.0.0", beside="TensorFlow 2.21.0")  # fmt: skip
    assert release_verdicts(c, "pytorch", [own])[0].note == (
        "timm 1.0.0, installed here, needs a newer torch than this release (it reads torch.xpu)"
    )
    # a library that needs a newer other library is never said to need a newer release
    dtypes = replace(own, package="ml_dtypes", detail="cell 5: AttributeError: module 'ml_dtypes' has no attribute"
                     " 'float4_e2m1fn' (installed, but it does not work with this release)")  # fmt: skip
    assert "than this release" not in release_verdicts(c, "pytorch", [dtypes])[0].note


def test_the_library_named_comes_from_the_run_s_record_with_the_version_it_installed():
    run = sample_result(requested="2.1", got="2.1.2", outcome=COULD_NOT_RUN)
    run.environment.packages["keras"] = "3.15.1"
    detail = (
        "cell 2: AssertionError: ... AttributeError: no float8 (from keras, installed here, which needs a newer torch)"
    )
    run.claims["demo-claim"]["pytorch"] = SideResult(
        COULD_NOT_RUN, ("c",), reason=Reason("package-mismatch", detail, 2, "torch")
    )
    run.notebooks["demo/a.ipynb"].errors = [{"cell": 2, "tags": ["c"], "error": "x", "raised_in": ["keras", "torch"]}]
    (mark,) = Matrix({"pytorch": [run], "tensorflow": []}).marks("demo-claim", "pytorch", "demo/a.ipynb")
    assert (mark.library, mark.beside) == ("keras 3.15.1", "TensorFlow 2.21.0")
    run.notebooks["demo/a.ipynb"].errors = [{"cell": 2, "tags": ["c"], "error": "x"}]
    (mark,) = Matrix({"pytorch": [run], "tensorflow": []}).marks("demo-claim", "pytorch", "demo/a.ipynb")
    assert mark.library is None, "the words of the reason are not parsed back: only the record names a library"


def test_a_library_left_out_says_why_in_words_that_do_not_contradict_themselves(demo):
    c = _claim(demo, verdict="holds")

    def left(reason, package="litert_torch"):
        mark = Mark("2.6", "2.6.0", COULD_NOT_RUN, f"cell 9: No module named '{package}'", "2026-12-07",
                    reason_kind="missing-package", package=package, left_out=reason)  # fmt: skip
        return release_verdicts(c, "pytorch", [mark])[0].note

    broken = left("installs but does not work here (0.9.4 tried): AttributeError: module 'torch' has no attribute 'x'")
    assert broken == (
        "litert_torch does not import beside this release (AttributeError: module 'torch' has no attribute 'x'),"
        " and its older releases 0.9.4 did not serve either, so the run left it out"
    )
    shadowed = Mark("2.7", "2.7.1", COULD_NOT_RUN, "cell 9: No module named 'litert_torch'", "2026-12-07",
                    reason_kind="missing-package", package="litert_torch", beside="TensorFlow 2.21.0",
                    left_out="does not install beside the libraries before it: litert-torch brings packages that"
                    " shadow the frameworks here")  # fmt: skip
    assert release_verdicts(c, "pytorch", [shadowed])[0].note.endswith(
        "a limit of our run, which holds TensorFlow 2.21.0"
    ), "the pinned other framework is what stands in the way, not another evidence library"
    pinned = left("does not install beside the libraries before it: litert-torch 0.10.0 depends on torchao>=0.17.0")
    assert pinned.endswith("a limit of our run, which installs every evidence library in one environment")
    keras_2 = left("needs Keras 3 (it imports keras.ops)", package="keras_hub")
    assert keras_2.startswith("keras_hub needs Keras 3 (it imports keras.ops), and TensorFlow's Keras became Keras 3")


def test_a_side_whose_every_release_is_in_an_era_of_today_s_verdict_reads_as_a_whole_sentence(demo):
    c = _claim(demo, verdict="holds", history={"tensorflow": [{
        "releases": "2.12-2.13", "verdict": "holds", "cells": ["tf-check"],
        "because": "TensorFlow 2.12 and 2.13 still aliased a converted NumPy array",
        "fails_with": ["tf.estimator ships"]}]})  # fmt: skip
    verdicts = release_verdicts(c, "tensorflow", _marks({"2.12": FAILS, "2.13": FAILS}))
    text = sentence(c, {"tensorflow": verdicts, "pytorch": []})
    assert text.startswith("Holds on TensorFlow 2.12–2.13; on TensorFlow 2.12–2.13 the verdict was holds too: "), text


def test_a_claim_whose_api_is_not_in_the_release_reads_what_arrived_when(demo):
    c = _claim(demo, verdict="false")
    own = "cell 36: keras.ops arrived with Keras 3 (TensorFlow 2.16); this is Keras 2.15.0"
    knock = ("cell 36 (tf-gelu) raised ImportError: not in this release: keras.ops arrived with Keras 3 (TensorFlow"
             " 2.16); this is Keras 2.15.0; then cell 38: NameError: name 'ops' is not defined")  # fmt: skip
    marks = [Mark(r, f"{r}.1", COULD_NOT_RUN, d, "2026-12-07", reason_kind="not-in-release")
             for r, d in (("2.14", own), ("2.15", knock))]  # fmt: skip
    words = [v.note for v in release_verdicts(c, "tensorflow", marks)]
    expected = "what the claim is about is not in this release (keras.ops arrived with Keras 3 (TensorFlow 2.16)"
    assert all(w.startswith(expected) and "NameError" not in w for w in words), words


def _run(framework: str, release: str, version: str, claims: dict) -> RunResult:
    return RunResult(
        kind="matrix", framework=framework, requested=release, got={framework: version}, date="2026-11-29",
        status="complete", wall={"total": 60.0}, environment=None,
        notebooks={"demo/basic.ipynb": NotebookResult("demo/basic.ipynb", "ran", "0123456789abcdef",
                                                      errors=[{"cell": 4, "tags": ["tf-check"], "error": "x"}])},
        claims=claims,
    )  # fmt: skip


def test_a_site_builds_its_strips_versions_table_and_claims_json_from_committed_results(demo):
    era = {"releases": "2.12", "verdict": "false", "cells": ["tf-check"],
           "because": "eager execution was off by default in this made-up release",
           "fails_with": ["executing_eagerly"]}  # fmt: skip
    _claim(demo, verdict="holds", history={"tensorflow": [era]})
    (demo.root / "docs" / "versions.md").write_text("# Versions { #versions }\n\n<!-- version-matrix -->\n\n"
                                                    "<!-- version-runs -->\n")  # fmt: skip
    folder = demo.root / "data" / "version-matrix"
    missing = Reason("missing-package", "cell 3: No module named 'onnx'", package="onnx")
    write_result(_run("torch", "2.0", "2.0.1", {"demo-basic-claim": {
        "pytorch": SideResult(COULD_NOT_RUN, ("pt-check",), reason=missing),
        "tensorflow": SideResult(HOLDS, ("tf-check",))}}), folder / "torch-2.0.json")  # fmt: skip
    refreshed = _run("torch", "2.1", "2.1.2", {"demo-basic-claim": {"pytorch": SideResult(HOLDS, ("pt-check",))}})
    refreshed.notebooks["demo/basic.ipynb"].ran_on = "2026-12-01"  # re-executed by `make matrix REFRESH=1`
    write_result(refreshed, folder / "torch-2.1.json")
    write_result(_run("tensorflow", "2.12", "2.12.1", {"demo-basic-claim": {
        "tensorflow": SideResult(FAILS, ("tf-check",), error="AssertionError: eager is off", cell=4)}}),
        folder / "tensorflow-2.12.json")  # fmt: skip
    assert not Matrix.load(folder).empty

    site = build_site(demo.root)
    panel = render_page(site, "<!-- claim: demo-basic-claim -->\n")
    assert "on TensorFlow 2.12 the verdict was false: eager execution was off" in panel
    assert 'not checkable here on PyTorch 2.0 (<a href="#demo-basic-claim-release-note-1">note 1</a>)' in panel
    assert '<li id="demo-basic-claim-release-note-1">PyTorch 2.0: onnx is not installed beside this release' in panel
    versions = render_page(site, (demo.root / "docs" / "versions.md").read_text(), page="versions.md")
    assert '<th scope="row" id="demo-basic-claim" class="vm-claim">' in versions
    assert 'class="vm vm--false' in versions and 'class="vm vm--not-checkable' in versions
    assert "<code>demo-basic-claim</code>, TensorFlow 2.12: false: eager execution was off" in versions, "a note"
    assert "TensorFlow 2.12.1: false" in versions, "what a screen reader hears in the cell"
    assert 'id="vm-only-changes"' in versions and "vm-row--changes" in versions, "the filter and what it keeps"
    assert "vm--stale" in versions, "a result older than the notebook says so"
    assert "2026-11-29 (1 notebook re-run 2026-12-01, same packages)" in versions, "a refresh is dated"
    releases = site.claims_json(lambda page: page)["claims"][0]["releases"]
    assert releases["since"] == {"tensorflow": None, "pytorch": "2.1"}
    assert releases["pytorch"]["2.0"]["checkable"] is False and releases["pytorch"]["2.1"]["verdict"] == HOLDS
    assert releases["pytorch"]["2.1"]["run_date"] == "2026-12-01", "a refreshed notebook's result carries its date"
    assert releases["tensorflow"]["2.12"]["verdict"] == "false"


def test_the_runs_table_marks_a_keras_of_the_run_date_on_runs_older_than_the_rule(tmp_path):
    from factcheck.judging.results import Environment
    from factcheck.reports.versions_page import runs_html

    folder = tmp_path / "version-matrix"
    for release, date, keras in (("2.15", "2026-11-30", "2.15.0"), ("2.18", "2026-11-30", "3.15.1"),
                                 ("2.19", "2026-12-07", "3.9.2")):  # fmt: skip
        run = _run("tensorflow", release, f"{release}.1", {})
        run.date = date
        run.environment = Environment("3.11.7", {"keras": keras}, [], {}, [], [])
        write_result(run, folder / f"tensorflow-{release}.json")
    table = runs_html(Matrix.load(folder))
    assert "3.15.1 (of its run date, not of its release" in table, "2.18 ran before the rule"
    assert "3.9.2 (" not in table and "2.15.0 (" not in table, "a run since the rule, and Keras 2 inside TensorFlow"


def test_a_claim_whose_notebook_is_newer_than_the_run_is_not_tested_there_not_uncheckable(tmp_path):
    folder = tmp_path / "version-matrix"
    never = Reason("not-executed", "the run did not execute it")
    side = SideResult(COULD_NOT_RUN, ("tf-check",), reason=never)
    old = _run("tensorflow", "2.12", "2.12.1", {"demo-basic-claim": {"tensorflow": side}})
    write_result(old, folder / "tensorflow-2.12.json")
    matrix = Matrix.load(folder)
    assert [m.outcome for m in matrix.marks("demo-basic-claim", "tensorflow", "demo/new.ipynb")] == ["untested"]
    assert [m.outcome for m in matrix.marks("demo-basic-claim", "tensorflow", "demo/basic.ipynb")] == [COULD_NOT_RUN]


def test_a_site_without_results_shows_no_strip(demo):
    demo.basic()
    site = build_site(demo.root)
    assert "release-strip" not in render_page(site, "<!-- claim: demo-basic-claim -->\n")
    assert site.claims_json(lambda page: page)["claims"][0]["releases"]["summary"] == "Not yet run on other releases."


def test_a_run_whose_outcomes_moved_proposes_entries_for_the_changes_log():
    from factcheck.reports.releases import proposed_changes

    before = _run(
        "tensorflow", "2.20", "2.20.0", {"demo-basic-claim": {"tensorflow": SideResult(HOLDS, ("tf-check",))}}
    )
    after = _run("tensorflow", "2.20", "2.20.1", {"demo-basic-claim": {
        "tensorflow": SideResult(FAILS, ("tf-check",), error="AssertionError: eager is off", cell=4)}})  # fmt: skip
    (entry,) = proposed_changes(before, after, "2026-12-07")
    assert "claim: demo-basic-claim" in entry and "release: tensorflow 2.20.1" in entry
    assert "now fails (was holds): AssertionError: eager is off" in entry
    assert proposed_changes(before, before, "2026-12-07") == [] and proposed_changes(None, after, "x") == []


def test_a_sentence_points_to_numbered_notes_instead_of_repeating_each_reason(demo):
    from factcheck.reports.history import unchecked_notes

    c = _claim(demo, verdict="holds")
    missing = "cell 9: No module named 'litert_torch'"
    why = {"2.2": "it needs torch>=2.4", "2.3": "it needs torch>=2.4", "2.5": "it needs a newer torchao"}
    marks = [
        Mark(r, f"{r}.0", COULD_NOT_RUN, missing, "2026-12-07", reason_kind="missing-package",
             package="litert_torch", left_out=why[r])
        for r in ("2.2", "2.3", "2.5")
    ]  # fmt: skip
    verdicts = release_verdicts(c, "pytorch", [marks[0], marks[1], *_marks({"2.4": HOLDS}), marks[2]])
    notes = unchecked_notes({"tensorflow": [], "pytorch": verdicts})
    assert [releases for releases in notes.values()] == [["2.2", "2.3"], ["2.5"]], "one note per reason"
    numbers = {key: n for n, key in enumerate(notes, 1)}
    text = sentence(c, {"tensorflow": [], "pytorch": verdicts}, numbers)
    assert text.endswith("not checkable here on PyTorch 2.2–2.3 (note 1), 2.5 (note 2)."), text
    assert "needs torch" not in text, "the reasons are in the notes, not the sentence"
    assert "it needs torch>=2.4" in sentence(c, {"tensorflow": [], "pytorch": verdicts}), "inline without notes"


def test_a_strips_note_names_the_same_releases_as_the_sentence_that_points_to_it(demo):
    from factcheck.reports.versions_page import strip_html

    c = _claim(demo, verdict="holds")
    missing = "cell 9: No module named 'litert_torch'"
    marks = [
        Mark(r, f"{r}.0", COULD_NOT_RUN, missing, "2026-12-07", reason_kind="missing-package", package="litert_torch")
        for r in ("2.1", "2.3")
    ]  # fmt: skip
    untested = Mark("2.2", None, "untested", None, None)
    verdicts = release_verdicts(c, "pytorch", [marks[0], untested, marks[1], *_marks({"2.4": HOLDS})])
    strips = strip_html(c, {"tensorflow": [], "pytorch": verdicts}, "../versions/")
    assert 'not checkable here on PyTorch 2.1–2.3 (<a href="#' in strips, strips
    assert f'<li id="{c.id}-release-note-1">PyTorch 2.1–2.3: ' in strips, "the note spans what the sentence spans"


def test_a_strip_draws_one_stripe_per_run_of_releases_in_the_same_state(demo):
    from factcheck.reports.versions_page import strip_html

    c = _claim(demo, history={"tensorflow": [{"releases": "2.12-2.13", "verdict": "holds", **ESTIMATOR_ENTRY}]})
    tf = release_verdicts(c, "tensorflow", _marks({"2.12": FAILS, "2.13": FAILS, "2.14": HOLDS, "2.15": HOLDS}))
    torch = release_verdicts(c, "pytorch", _marks({"2.0": HOLDS, "2.1": HOLDS}))
    strips = strip_html(c, {"tensorflow": tf, "pytorch": torch}, "../versions/")
    assert "linear-gradient(90deg, var(--rel-holds) 0.00% 50.00%, var(--rel-outdated) 50.00% 100.00%)" in strips
    assert 'style="background:var(--rel-outdated)"' in strips, "a side in one state is one colour"
    assert 'aria-label="TensorFlow: 2.12 holds, 2.13 holds, 2.14 outdated, 2.15 outdated"' in strips


def test_every_change_the_committed_matrix_shows_is_declared_history_or_not_checkable():
    """The committed results against the committed claims (what `factcheck check` runs): a
    release whose result differs from today's verdict is inside a declared era, or could not
    run for a reason given in words; nothing is left as an unexplained ✗."""
    from builders import REPO

    from factcheck.reports.history import release_problems
    from factcheck.reports.releases import current_hashes
    from factcheck.sources.notebooks import load_notebooks

    registry = load_registry(REPO / "claims", REPO / "notebooks")
    matrix = Matrix.load(REPO / "data" / "version-matrix")
    assert not matrix.empty, "no committed version-matrix results"
    problems_found = release_problems(registry, matrix, current_hashes(load_notebooks(REPO / "notebooks")))
    assert not problems_found, "\n".join(problems_found)
