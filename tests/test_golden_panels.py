"""The rendered claim panels and claims.json of a fixture project match a reviewed copy
(tests/golden/), so restructuring the engine cannot change a page by accident. A change that is
meant: regenerate with `FACTCHECK_UPDATE_GOLDEN=1 pytest tests/test_golden_panels.py` and review
the diff of tests/golden/ in the same commit."""

from __future__ import annotations

import json
import os
import re

import markdown
import pytest
from builders import BASIC, REPO, TF_ASSERT, TORCH_ASSERT, build_site, claim

GOLDEN = REPO / "tests" / "golden"
UPDATE = os.environ.get("FACTCHECK_UPDATE_GOLDEN") == "1"

CELLS = [
    ("md", "# Golden\n\nEvery kind of panel content."),
    BASIC[1],
    BASIC[2],
    BASIC[3],
    ("code", TF_ASSERT + "\nrecord('golden-eps-tf', 0.001, '{:g}')", ["tf-eps"]),
    ("code", TORCH_ASSERT + "\nrecord('golden-eps-torch', 1e-05, '{:g}')\nrecord('golden-gap', 0.25, '{:.2f}')",
     ["pt-eps"]),
    ("code", "print('context only, no assert')", ["tf-opinion"]),
    ("code", "import pandas as pd\npd.DataFrame({'framework': ['TF', 'PyTorch'], 'x': [1, 2]})", ["both-table"]),
    ("code", "import matplotlib\nmatplotlib.use('svg')\nprint('\\x1b[31m<escaped> & shown\\x1b[0m')", ["both-text"]),
]  # fmt: skip


def _project(demo):
    demo.write_notebook("demo/golden.ipynb", CELLS)
    nb = "demo/golden.ipynb"
    diff = {"setting": "Epsilon", "changes": "inference", "tensorflow": "golden-eps-tf", "pytorch": "golden-eps-torch",
            "symptom": "Outputs differ by <!-- value: golden-gap -->.",
            "fix": "set eps to <!-- value: golden-eps-tf -->"}  # fmt: skip
    opinion = claim("golden-opinion", notebook=nb, tf_cells=("tf-opinion",), pt_cells=("pt-check",))
    opinion["evidence"]["tensorflow"]["untestable"] = "Whether a framework is liked is an opinion: surveys say."
    shared = claim("golden-shared", notebook=nb, verdict="nuanced")
    shared["evidence"]["both"] = {"notebook": nb, "cells": ["both-table", "both-text"]}
    claims = [
        claim("golden-basic", notebook=nb, explanation="The gap is <!-- value: golden-gap --> here. It stays."),
        claim("golden-docs", notebook=nb, tf_cells=("tf-eps",), pt_cells=("pt-eps",), verdict="false",
              difference=diff, origin={"title": "A framework's docs", "url": "https://example.org/docs"}),
        opinion,
        shared,
    ]  # fmt: skip
    demo.write_claims(claims)
    page = "# Demo { #demo }\n\n<!-- differences-checklist -->\n\n<!-- differences-table -->\n\n" + "\n\n".join(
        f"<!-- claim: {c['id']} -->" for c in claims
    )
    demo.write_page(page + "\n\n<!-- scoreboard -->\n")
    return page


def _render(site, text: str) -> str:
    from factcheck.pages.shortcodes import ShortcodeExtension

    md = markdown.Markdown(
        extensions=[
            ShortcodeExtension(lambda k, a, s: site.resolver("demo.md", "demo/")(k, a, s)),
            "attr_list",
            "md_in_html",
            "admonition",
            "tables",
            "pymdownx.details",
            "pymdownx.superfences",
        ]  # fmt: skip
    )
    return md.convert(text)


def _stable(text: str) -> str:
    return re.sub(r"ran in \d+\.\d+ s", "ran in N s", text)


def _check(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual)
    assert path.is_file(), f"{path} is missing: run with FACTCHECK_UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_text(), f"{name} changed: review, then regenerate with FACTCHECK_UPDATE_GOLDEN=1"


@pytest.fixture(scope="module")
def golden_site(tmp_path_factory):
    from builders import DemoProject

    demo = DemoProject(tmp_path_factory.mktemp("golden") / "project")
    page = _project(demo)
    return build_site(demo.root, repo_url="https://github.com/o/r"), page


def test_rendered_panels_match_the_reviewed_copy(golden_site):
    site, page = golden_site
    _check("panels.html", _stable(_render(site, page)) + "\n")


def test_claims_json_matches_the_reviewed_copy(golden_site):
    site, _ = golden_site
    data = site.claims_json(lambda page: f"https://site.example/{page.removesuffix('.md')}/")
    for entry in data["claims"]:
        entry["verified_on"] = "DATE"
        # Which evidence libraries are installed varies by environment: only the core is compared.
        entry["versions"] = {k: "VERSION" for k in entry["versions"] if k in ("python", "tensorflow", "torch")}
    _check("claims.json", json.dumps(data, indent=2, sort_keys=True) + "\n")
