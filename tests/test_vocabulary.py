"""One vocabulary (src/factcheck/vocabulary.py): the claims schema, the stylesheet, the shortcode
table and the resolvers agree with it, so a new verdict or shortcode is added in one place and
the tests say where else it must appear."""

from __future__ import annotations

import json
import re

from builders import REPO

from factcheck.pages.render import badge_endpoint, verdict_badge
from factcheck.pages.resolvers import RESOLVERS
from factcheck.pages.shortcodes import KINDS
from factcheck.vocabulary import VERDICTS

CSS = (REPO / "docs" / "assets" / "stylesheets" / "panels.css").read_text()


def test_the_claims_schema_accepts_exactly_the_verdicts():
    schema = json.loads((REPO / "src" / "factcheck" / "schemas" / "claim.schema.json").read_text())
    assert schema["$defs"]["claim"]["properties"]["verdict"]["enum"] == [v.id for v in VERDICTS]


def _scheme_block(selector: str) -> str:
    return re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)[1]


def test_the_stylesheet_colours_each_verdict_as_the_vocabulary_says():
    light, dark = _scheme_block(":root"), _scheme_block('[data-md-color-scheme="slate"]')
    for verdict in VERDICTS:
        assert f"--ff-{verdict.id}: {verdict.colour};" in light, verdict.id
        assert f"--ff-{verdict.id}: {verdict.colour_dark};" in dark, verdict.id
        assert f".verdict-badge--{verdict.id}" in CSS and f".claim-panel--{verdict.id}" in CSS


def test_badges_carry_the_vocabulary_label_icon_and_colour():
    for verdict in VERDICTS:
        assert f"{verdict.icon}</span> {verdict.label}" in verdict_badge(verdict.id)
        assert badge_endpoint("x", verdict.id)["color"] == verdict.colour.lstrip("#")


def test_every_shortcode_kind_has_a_resolver_and_nothing_else_does():
    assert set(KINDS) == set(RESOLVERS)


def test_the_result_schema_names_the_outcomes_endings_and_reasons_the_vocabulary_names():
    from factcheck.judging.results import NOTEBOOK_STATUSES, REASON_KINDS, RUN_KINDS, RUN_STATUSES, result_schema
    from factcheck.vocabulary import JUDGED, RUN_ENDINGS

    schema = json.dumps(result_schema())
    defs = result_schema()
    side = defs["properties"]["claims"]["additionalProperties"]["additionalProperties"]
    assert side["properties"]["outcome"]["enum"] == list(JUDGED)
    notebook = defs["properties"]["notebooks"]["additionalProperties"]["properties"]
    assert notebook["status"]["enum"] == list(NOTEBOOK_STATUSES)
    assert set(NOTEBOOK_STATUSES) <= set(RUN_ENDINGS), "a notebook's status is a run ending"
    assert side["properties"]["reason"]["oneOf"][1]["properties"]["kind"]["enum"] == list(REASON_KINDS)
    assert defs["properties"]["status"]["enum"] == list(RUN_STATUSES)
    assert defs["properties"]["kind"]["enum"] == list(RUN_KINDS)
    assert '"holds"' in schema and '"kernel-died"' in schema


def test_the_versions_page_styles_every_verdict_and_not_checkable():
    from factcheck.reports.versions_page import NOT_CHECKABLE, UNTESTED

    for state in (*(v.id for v in VERDICTS), NOT_CHECKABLE, UNTESTED):
        assert f"--rel-{state}:" in CSS and f"td.vm--{state}" in CSS, f"panels.css has no colour for {state}"
    for verdict in VERDICTS:  # each cell's symbol, drawn by the stylesheet, is the verdict's icon
        assert f'td.vm--{verdict.id}::before {{ content: "{verdict.icon}"' in CSS, verdict.id


def test_every_evidence_library_is_pinned_and_every_evidence_requirement_is_named():
    from factcheck.sources.support import read_pins
    from factcheck.vocabulary import COMPANION, DISTRIBUTIONS, EVIDENCE_LIBRARIES

    pins = read_pins(REPO / "requirements.lock")
    assert not [lib for lib in EVIDENCE_LIBRARIES if lib not in pins], "an evidence library the lock lacks"
    block = (REPO / "requirements.in").read_text().split("# Evidence", 1)[1].split("\n# ", 1)[0]
    named = {re.split(r"[=<>~ ]", line.strip())[0] for line in block.splitlines()[1:] if line.strip()}
    frameworks = {d for ds in DISTRIBUTIONS.values() for d in ds} | set(COMPANION.values())
    plotting = {"matplotlib", "pandas"}  # the notebooks draw with these: installed everywhere, not evidence
    assert named - frameworks - plotting <= set(EVIDENCE_LIBRARIES), "requirements.in names an evidence library"
    latest = (REPO / "requirements-latest.in").read_text().split()
    assert not [lib for lib in EVIDENCE_LIBRARIES if lib != "jax" and lib not in latest], "make test-latest's list"


def test_ruff_keeps_each_framework_s_own_modules_in_the_torch_first_import_section():
    import tomllib

    from factcheck.vocabulary import FRAMEWORK_MODULES

    sections = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]["isort"]["sections"]
    assert set(FRAMEWORK_MODULES["pytorch"]) <= set(sections["torch"])
