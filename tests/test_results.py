"""Run result files (judging/results.py, schemas/result.schema.json): round trips, the schema,
partial files, stale notebooks, and what the site reads of them."""

from __future__ import annotations

import json

import pytest
from builders import sample_result as _result

from factcheck.judging.results import (
    ResultError,
    RunResult,
    load_results,
    read_result,
    stale_notebooks,
    validate,
    write_result,
)
from factcheck.reports.releases import Matrix
from factcheck.run.cache import code_hash
from factcheck.vocabulary import COULD_NOT_RUN, FAILS, HOLDS


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
    marks = Matrix.load(tmp_path).marks("demo-claim", "pytorch")
    assert [(m.version, m.outcome) for m in marks] == [("2.1.2", FAILS), ("2.2.2", COULD_NOT_RUN), ("2.3.1", HOLDS)]
    assert Matrix.load(tmp_path).marks("demo-claim", "tensorflow") == []


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
    assert code_hash(a) == code_hash(b) != code_hash(c)
