"""A claim's evidence must really have run: executed, timed, error-free, non-empty, asserting."""

from __future__ import annotations

import pytest
from builders import build_site, claim

from factcheck.errors import EvidenceError
from factcheck.evidence.checks import check_evidence_ran
from factcheck.evidence.extract import EvidenceCell


def _cell(**changes) -> EvidenceCell:
    fields = dict(
        notebook="demo/basic.ipynb", tag="tf-check", index=2, source="assert 1 + 1 == 2",
        outputs=(), execution_count=3, seconds=0.01,
    )  # fmt: skip
    fields.update(changes)
    return EvidenceCell(**fields)


def test_evidence_that_ran_timed_and_asserts_passes():
    assert check_evidence_ran("demo-claim", "tensorflow", [_cell()]) is None  # raises nothing


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
    demo.write_page("# Demo { #demo }\n\n<!-- claim: demo-prints -->\n")
    with pytest.raises(EvidenceError, match=r"demo-prints.*asserts anything, so the evidence cannot fail"):
        build_site(demo.root)
