"""Counterfactual runs (factcheck/counterfactuals/): a claim side's evidence is run with its fact
flipped by injected code, and must fail; what survives, breaks or goes stale is named; the panel
and claims.json say what would change the verdict and that the evidence was seen to fail then."""

from __future__ import annotations

import json

import pytest
from builders import build_site, claim

from factcheck.cli import main as factcheck
from factcheck.counterfactuals import results
from factcheck.counterfactuals.runner import current, items_by_notebook, run_notebook, tasks
from factcheck.run.cache import code_hash
from factcheck.sources.notebooks import read_notebook
from factcheck.sources.registry import load_registry

CELLS = [
    ("md", "# Defaults\n\nA default, read from the library."),
    ("code", "import statistics\nDEFAULT = statistics.median([1, 2, 3])"),
    ("code", "assert statistics.median([1, 2, 3]) == 2, 'the median moved'\nprint('median', DEFAULT)", ["tf-check"]),
    ("code", "assert DEFAULT + 1 == 3", ["pt-check"]),
    ("code", "print('a later cell: a counterfactual run stops before it')", ["later"]),
]


def _project(demo, tf_counterfactuals, pt_counterfactuals=None):
    demo.write_notebook("demo/defaults.ipynb", CELLS)
    entry = claim("demo-default", "demo/defaults.ipynb")
    entry["evidence"]["tensorflow"]["counterfactuals"] = tf_counterfactuals
    if pt_counterfactuals:
        entry["evidence"]["pytorch"]["counterfactuals"] = pt_counterfactuals
    demo.write_claims([entry])
    demo.write_page("# Demo { #demo }\n\n<!-- claim: demo-default -->\n")
    return load_registry(demo.root / "claims", demo.root / "notebooks")


def _run(demo, registry):
    items = items_by_notebook(registry)["demo/defaults.ipynb"]
    return run_notebook("demo/defaults.ipynb", items, demo.root, jobs=2, progress=lambda line: None), items


FLIP = {"if": "the median of three numbers were their mean plus one", "code": "statistics.median = lambda xs: 3"}


def test_a_flipped_fact_makes_the_evidence_fail_and_the_cell_and_error_are_recorded(demo):
    data, _ = _run(demo, _project(demo, [FLIP]))
    (result,) = data.results
    assert (result.outcome, result.cell) == ("failed", "tf-check")
    assert result.error == "AssertionError: the median moved"
    assert result.condition == FLIP["if"] and result.checked_on


def test_a_counterfactual_the_evidence_survives_is_named_not_hidden(demo):
    harmless = {"if": "the statistics module gained a new function", "code": "statistics.new_thing = len"}
    data, _ = _run(demo, _project(demo, [harmless]))
    assert data.results[0].outcome == "survived"


def test_injected_code_that_raises_is_a_broken_counterfactual(demo):
    broken = {"if": "the default were read from a missing module", "code": "import not_a_module_at_all"}
    data, _ = _run(demo, _project(demo, [broken]))
    assert data.results[0].outcome == "broken" and "not_a_module_at_all" in data.results[0].error


def test_start_injects_before_the_setup_and_the_run_stops_after_the_evidence(demo):
    # Injected at the start, the patch is in place when the setup cell computes DEFAULT, so the
    # PyTorch side's cell (which reads DEFAULT) fails; the later cell that raises never runs.
    early = {"if": "the setup's median came out otherwise", "code": "import statistics\nstatistics.median = max",
             "before": "start"}  # fmt: skip
    registry = _project(demo, [FLIP], [early])
    data, items = _run(demo, registry)
    by_side = {r.side: r for r in data.results}
    assert by_side["pytorch"].outcome == "failed" and by_side["pytorch"].cell == "pt-check"
    nb = read_notebook(demo.root / "notebooks" / "demo/defaults.ipynb")
    planned = dict(tasks("demo/defaults.ipynb", items, demo.root, demo.root))
    later = next(i for i, c in enumerate(nb.cells) if "later" in c.metadata.get("tags", []))
    assert all(task.stop_after < later for task in planned.values()), "cut after the side's evidence"
    setup = next(i for i, c in enumerate(nb.cells) if "DEFAULT =" in c.source)
    start = next(task for item, task in planned.items() if item.side == "pytorch")
    assert start.inject[0][0] <= setup, "'start' goes in before the setup cell"


def test_a_result_goes_stale_when_the_notebook_or_the_counterfactual_changes(demo):
    registry = _project(demo, [FLIP])
    data, items = _run(demo, registry)
    notebook_hash = code_hash(read_notebook(demo.root / "notebooks" / "demo/defaults.ipynb"))
    assert current(data, items, notebook_hash)
    assert not current(data, items, "0" * 20), "the notebook's code changed"
    changed = _project(demo, [dict(FLIP, code="statistics.median = lambda xs: 4")])
    assert not current(data, items_by_notebook(changed)["demo/defaults.ipynb"], notebook_hash)


def test_the_cli_writes_each_notebook_s_results_and_skips_what_is_current(demo, capsys):
    _project(demo, [FLIP])
    assert factcheck(["counterfactuals", "--root", str(demo.root)]) == 0
    written = json.loads((demo.root / "data" / "counterfactuals" / "demo" / "defaults.json").read_text())
    assert written["results"][0]["outcome"] == "failed"
    capsys.readouterr()
    assert factcheck(["counterfactuals", "--root", str(demo.root), "--list"]) == 0
    assert capsys.readouterr().out == "", "nothing left to run"


def test_the_panel_and_claims_json_say_what_would_change_the_verdict(demo):
    from builders import TF_ASSERT, TORCH_ASSERT
    from test_render import render_page

    cells = [("md", "# Versions"), ("code", TF_ASSERT, ["tf-check"]), ("code", TORCH_ASSERT, ["pt-check"])]
    demo.write_notebook("demo/versions.ipynb", cells)
    entry = claim("demo-major", "demo/versions.ipynb")
    flip = {"if": "TensorFlow had moved to a third major release", "code": (
        "import importlib.metadata as md\n_version = md.version\n"
        "md.version = lambda name: '3.0' if name == 'tensorflow-cpu' else _version(name)"
    )}  # fmt: skip
    entry["evidence"]["tensorflow"]["counterfactuals"] = [flip]
    demo.write_claims([entry])
    demo.write_page("# Demo { #demo }\n\n<!-- claim: demo-major -->\n")
    registry = load_registry(demo.root / "claims", demo.root / "notebooks")
    items = items_by_notebook(registry)["demo/versions.ipynb"]
    data = run_notebook("demo/versions.ipynb", items, demo.root, progress=lambda line: None)
    results.write(demo.root / "data" / "counterfactuals", data)
    site = build_site(demo.root)
    page = render_page(site, "<!-- claim: demo-major -->")
    assert f"If {flip['if']}: fails at <code>tf-check</code> (AssertionError), checked on" in page
    entry = site.claims_json(lambda p: p)["claims"][0]
    assert entry["counterfactuals"]["tensorflow"][0]["outcome"] == "failed"


def test_a_malformed_counterfactual_names_its_field(demo):
    from factcheck.errors import RegistryError

    with pytest.raises(RegistryError, match=r"counterfactuals/0.*'code' is a required property|code"):
        _project(demo, [{"if": "something else were true instead"}])


def test_a_condition_s_code_spans_are_shown_as_code_and_the_rest_escaped():
    from factcheck.pages.render import counterfactuals_html

    result = results.CounterfactualResult(
        "demo", "tensorflow", 0, "`tf.function` traced <at once> & `x < 1`", "d", "failed",
        "tf-check", "AssertionError: no", "2026-12-07",
    )  # fmt: skip
    html = counterfactuals_html([result])
    assert "If <code>tf.function</code> traced &lt;at once&gt; &amp; <code>x &lt; 1</code>: fails at" in html


def test_every_testable_claim_side_was_seen_to_fail_under_each_of_its_counterfactuals():
    from builders import REPO

    from factcheck.counterfactuals.runner import current_results
    from factcheck.vocabulary import FRAMEWORK_IDS

    registry = load_registry(REPO / "claims", REPO / "notebooks")
    recorded = results.load_all(REPO / "data" / "counterfactuals")
    hashes = {rel: code_hash(read_notebook(REPO / "notebooks" / rel)) for rel in items_by_notebook(registry)}
    seen = current_results(registry, recorded, hashes)
    problems = []
    for c in registry:
        for side in FRAMEWORK_IDS:
            evidence = c.evidence.get(side)
            if evidence is None or evidence.untestable:
                continue
            if not evidence.counterfactuals:
                problems.append(f"{c.id} ({side}): no counterfactual")
                continue
            got = {r.index: r for r in seen.get(c.id, {}).get(side, [])}
            for index, counterfactual in enumerate(evidence.counterfactuals):
                r = got.get(index)
                if r is None:
                    problems.append(
                        f"{c.id} ({side}) #{index}: no current result (run: python -m factcheck "
                        f"counterfactuals --claim {c.id})"
                    )
                elif r.outcome != results.FAILED:
                    why = f"{r.outcome} {r.error or ''}"
                    problems.append(f"{c.id} ({side}) #{index} '{counterfactual.condition}': {why}")
    assert not problems, "\n".join(problems)
