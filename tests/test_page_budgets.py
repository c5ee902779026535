"""Every built page stays inside budgets that decide how fast it is on a phone, counted from the
files themselves (tests/page_budgets.py), so the result is the same on any machine. Lighthouse's
performance score is measured by `make lighthouse` (reports/lighthouse/), not gated.

The budgets sit a little above the heaviest page of each kind today; a page that needs more
should first get lighter (fold long outputs, fewer cells per claim), and only then move a budget,
in the same commit, with the reason."""

from __future__ import annotations

import pytest
from builders import REPO
from page_budgets import measure

from factcheck import load_registry

pytestmark = pytest.mark.site

# kind -> field -> the most a page of that kind may have
BUDGETS = {
    "home": {"elements": 400, "laid_out_at_load": 400, "html_gzip": 12_000},
    # The porting section spreads its 35 claims over two pages (18 and 17), the others hold 2
    # to 9: the totals allow it, the panel budget below keeps each claim's share small.
    "section": {"elements": 5_000, "laid_out_at_load": 1_000, "html_gzip": 50_000},
    # The porting notebook of training defaults holds 17 claims' evidence; the porting review's
    # measured asides (a PyDataset's shuffle, Dropout's modes, both BN normalisations) took it from
    # under 4,600 elements to 4,730 (46 KB): every cell is evidence, so the budget moved by 3%.
    "notebook": {"elements": 4_800, "laid_out_at_load": 650, "html_gzip": 47_000},
    "other": {"elements": 1_500, "laid_out_at_load": 1_000, "html_gzip": 30_000},
    # The Versions page: every claim by every tested release (26 runs x 73 claims), two elements a
    # cell (the cell, and the words a screen reader reads for it), a sentence and notes per claim.
    "versions": {"elements": 6_500, "laid_out_at_load": 1_000, "html_gzip": 40_000},
    # A claim's own page: one panel, its row of the Versions table, its changes.
    "claim": {"elements": 1_500, "laid_out_at_load": 600, "html_gzip": 20_000},
}
SECTIONS = {s.id for s in load_registry(REPO / "claims").sections}
EVERY_PAGE = {
    "largest_panel": 850,  # one claim's panel: a few cells per framework, long outputs trimmed
    "js_bytes": 130_000,  # Material's bundle (~117 KB) and our panels.js; nothing else
    # What runs while the page loads: panels.js, the bundle's starter, Material's small inline
    # scripts (and on notebook pages nbconvert's 4 KB copy-button element); the bundle itself, the
    # only long task on a slow phone, waits for the reader's first action (overrides/main.html).
    "js_bytes_at_load": 14_000,
    # Material's stylesheets, panels.css, a notebook page's purged inline CSS (panels.css grew by
    # 4 KB for reading on a phone: scroll cues, sticky first columns, copy buttons off the code;
    # then by 3 KB for the Versions table's cells, the home page's answer and the changes page)
    "css_bytes": 218_000,
    "render_blocking": 3,  # Material's main and palette stylesheets, panels.css
    "inline_svg_elements": 20,  # icons only: figures are image files, copy buttons are text
    "eager_images": 0,  # every content image loads lazily into a reserved box
}


def _kind(site, page) -> str:
    rel = page.parent.relative_to(site.dir).as_posix()
    if rel == ".":
        return "home"
    if rel.startswith("notebooks/"):
        return "notebook"
    if rel.split("/")[0] in SECTIONS:  # a section's page, or a further page of it (porting/training)
        return "section"
    if rel == "versions":
        return "versions"
    if rel.startswith("claims/"):
        return "claim"
    return "other"


def _pages(site):
    return [p for p in sorted(site.dir.rglob("index.html")) if "assets" not in p.parts]


def test_every_page_stays_inside_its_weight_budgets(site):
    over = []
    for page in _pages(site):
        weight = measure(site.dir, page, site.base_path)
        limits = {**BUDGETS[_kind(site, page)], **EVERY_PAGE}
        for field, limit in limits.items():
            value = getattr(weight, field)
            if value > limit:
                over.append(f"{weight.page}: {field} = {value:,} (budget {limit:,})")
    assert not over, "pages over budget:\n" + "\n".join(over)


def test_the_budgets_see_the_heaviest_pages(site):
    """The measurement itself works: the section and notebook pages are counted, and most of a
    section page's elements sit in panels the browser may skip until they are near."""
    weights = {p.parent.relative_to(site.dir).as_posix(): measure(site.dir, p, site.base_path) for p in _pages(site)}
    performance = weights["performance"]
    assert performance.elements > 1_000 and performance.render_blocking >= 1 and performance.js_bytes > 100_000
    paradigm = weights["paradigm"]
    assert paradigm.laid_out_at_load < paradigm.elements / 2, "panels' evidence is skippable (content-visibility)"
