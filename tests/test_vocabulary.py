"""One vocabulary (src/factcheck/vocabulary.py): the claims schema, the stylesheet, the shortcode
table and the resolvers agree with it, so a new verdict or shortcode is added in one place and
the tests say where else it must appear."""

from __future__ import annotations

import json
import re

from builders import REPO

from factcheck.pages.render import badge_endpoint, verdict_badge
from factcheck.pages.shortcodes import KINDS
from factcheck.site import RESOLVERS
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
