"""A claim's evidence must really have run: executed, timed, error-free, non-empty, asserting."""

from __future__ import annotations

import pytest
from builders import claim

from factcheck import Engine, Project
from factcheck.errors import EvidenceError
from factcheck.extract import EvidenceCell, check_evidence_ran


def _cell(**changes) -> EvidenceCell:
    fields = dict(
        notebook="demo/basic.ipynb", tag="tf-check", index=2, source="assert 1 + 1 == 2",
        outputs=(), execution_count=3, seconds=0.01,
    )  # fmt: skip
    fields.update(changes)
    return EvidenceCell(**fields)


def test_evidence_that_ran_timed_and_asserts_passes():
    check_evidence_ran("demo-claim", "tensorflow", [_cell()])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"execution_count": None}, "was never executed"),
        ({"seconds": None}, "has no recorded duration"),
        (
            {"outputs": ({"output_type": "error", "ename": "E", "evalue": "", "traceback": []},)},
            "holds an error output",
        ),
        ({"source": "   "}, "is empty"),
        ({"source": "print('it works')"}, "asserts anything"),
    ],
)
def test_evidence_that_did_not_really_run_names_claim_cell_and_reason(changes, message):
    with pytest.raises(EvidenceError) as err:
        check_evidence_ran("demo-claim", "tensorflow", [_cell(**changes)])
    text = str(err.value)
    assert "demo-claim" in text and message in text
    if message != "asserts anything":
        assert "notebooks/demo/basic.ipynb cell 3 ('tf-check')" in text


def test_a_claim_whose_cells_only_print_fails_the_build(demo):
    demo.write_notebook(
        "demo/basic.ipynb",
        [
            ("md", "# Prints only"),
            ("code", "print('tf fine')", ["tf-check"]),
            ("code", "print('pt fine')", ["pt-check"]),
        ],
    )
    demo.write_claims([claim("demo-prints")])
    eng = Engine(Project.at(demo.root), progress=lambda line: None)
    eng.execute().raise_for_failures()
    with pytest.raises(EvidenceError, match=r"demo-prints.*asserts anything, so the evidence cannot fail"):
        eng.verify_evidence()
