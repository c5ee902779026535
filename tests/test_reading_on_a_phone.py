"""Every page type read on a phone (390 px) in Chromium, light and dark, before and after the
theme's script starts: nothing sticks out of the screen or is cut off, blocks that scroll
sideways say so, nothing covers code, every text meets WCAG AA contrast computed from the
rendered colours, wide tables keep their first column, and the framework choice carries over to
the next page."""

from __future__ import annotations

from io import BytesIO

import pytest
from builders import REPO
from PIL import Image
from rendered import CONTRAST, COVERED_CODE, SCROLLERS, SPILLS

pytestmark = [pytest.mark.site, pytest.mark.browser]
SHOTS = REPO / "test-output" / "screenshots"
PHONE = {"width": 390, "height": 844}

# One page of each type (the path under the site's base URL); porting is the longest section page
# (27 claims, the widest table), conclusion holds the scoreboard and the decision guide.
PAGE_TYPES = {
    "home": "",
    "section": "porting/",
    "section-tables": "conclusion/",
    "notebook": "notebooks/porting/training-defaults/",
    "versions": "versions/",
    "404": "no-such-page/",
}
CODE_AND_TABLES = ".md-typeset pre > code, .nb-outputs pre, .nb-html, .highlight-ipynb, .md-typeset__scrollwrap, " \
    ".md-typeset table:not([class]), .version-matrix, .version-runs"  # fmt: skip


def _phone(browser, base_url, path, scheme="light"):
    context = browser.new_context(viewport=PHONE, color_scheme=scheme, device_scale_factor=2)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    page.goto(base_url + path, wait_until="networkidle")
    return context, page


def _start_theme(page):
    """The reader's first action starts Material's bundle (overrides/main.html)."""
    page.mouse.move(200, 400)
    page.wait_for_function("() => document.documentElement.classList.contains('ff-theme')", timeout=30000)
    page.wait_for_timeout(200)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_nothing_sticks_out_of_a_phone_screen_or_is_cut_off(browser, base_url, kind, scheme):
    context, page = _phone(browser, base_url, PAGE_TYPES[kind], scheme)
    try:
        for state in ("before the theme starts", "after"):
            if state == "after":
                _start_theme(page)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{kind} ({scheme}, {state}): the page is {width} px wide"
            spills = page.evaluate(SPILLS)
            assert not spills, f"{kind} ({scheme}, {state}): cut off or off screen:\n" + "\n".join(spills)
        page.screenshot(path=str(SHOTS / f"phone-{kind}-{scheme}.png"))
        assert not page.js_errors, page.js_errors
    finally:
        context.close()


@pytest.mark.parametrize("kind", ["section", "section-tables", "notebook", "versions"])
def test_code_and_tables_that_scroll_sideways_show_a_cue(browser, base_url, kind):
    """Each block wider than the phone scrolls inside itself, with a shadow on the edge that has
    more to show: checked in the style of every such block, and in the pixels of the first one
    (its top padding, where no text is drawn, is darker at the right edge than in the middle)."""
    context, page = _phone(browser, base_url, PAGE_TYPES[kind])
    try:
        _start_theme(page)
        scrollers = page.evaluate(SCROLLERS, CODE_AND_TABLES)
        assert scrollers, f"{kind}: expected blocks wider than a phone"
        no_cue = [s["name"] for s in scrollers if "local" not in s["attachment"]]
        assert not no_cue, f"{kind}: blocks that scroll without a cue: {no_cue[:10]}"
        blocks = page.locator(CODE_AND_TABLES)
        first = blocks.evaluate_all("els => els.findIndex(el => el.scrollWidth > el.clientWidth + 1)")
        block = blocks.nth(first)
        block.scroll_into_view_if_needed()
        page.wait_for_timeout(200)
        picture = Image.open(BytesIO(block.screenshot())).convert("L")
        width = picture.size[0]
        edge, middle = picture.getpixel((width - 3, 4)), picture.getpixel((width // 2, 4))
        assert abs(edge - middle) >= 12, f"{kind}: no visible cue at the right edge ({edge} against {middle})"
    finally:
        context.close()


@pytest.mark.parametrize("kind", ["section", "notebook"])
def test_copy_buttons_do_not_cover_code(browser, base_url, kind):
    context, page = _phone(browser, base_url, PAGE_TYPES[kind])
    try:
        _start_theme(page)
        # Material adds its buttons to code blocks as they scroll into view (content.lazy).
        for block in page.locator(".md-typeset pre > code:visible").all()[:12]:
            block.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        buttons = page.locator(".md-code__nav, .zeroclipboard-container").count()
        assert buttons, f"{kind}: expected copy buttons"
        covered = page.evaluate(COVERED_CODE)
        assert not covered, f"{kind}: buttons over code:\n" + "\n".join(covered)
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_every_text_meets_wcag_aa_contrast_on_a_phone(browser, base_url, kind, scheme):
    """Colours as rendered (text colour and opacity over the backgrounds behind it): 4.5:1 for
    text, 3:1 for large text and for the chosen framework's underline; on a phone the framework
    labels are tabs, so both the chosen and the other one are measured."""
    context, page = _phone(browser, base_url, PAGE_TYPES[kind], scheme)
    try:
        for state in ("before the theme starts", "after"):
            if state == "after":
                _start_theme(page)
            low = page.evaluate(CONTRAST)
            assert not low, f"{kind} ({scheme}, {state}): under WCAG AA:\n" + "\n".join(low[:25])
    finally:
        context.close()


# Scrolls the porting table's scroller to its end and measures, in one go (a scroll starts the
# theme's script, which then wraps the table in a scroller of its own).
SCROLL_TABLE = """() => {
  const table = document.querySelector("article table");
  let scroller = table;
  while (scroller && scroller.scrollWidth <= scroller.clientWidth + 1) scroller = scroller.parentElement;
  scroller.scrollLeft = scroller.scrollWidth;
  const cell = n => table.querySelector(`tbody tr:first-child td:nth-child(${n})`).getBoundingClientRect();
  const box = scroller.getBoundingClientRect();
  return { scrolled: scroller.scrollLeft, left: box.left + scroller.clientLeft, first: cell(1).left,
           firstRight: cell(1).right, second: cell(2).left, wrapped: scroller !== table };
}"""


def test_a_wide_table_keeps_its_first_column_while_the_rest_scrolls(browser, base_url):
    context, page = _phone(browser, base_url, "porting/")
    try:
        for state in ("before the theme starts", "after"):
            if state == "after":
                _start_theme(page)
            m = page.evaluate(SCROLL_TABLE)
            assert m["wrapped"] == (state == "after"), f"{state}: who scrolls the table: {m}"
            assert m["scrolled"] > 50, f"{state}: the porting table should be wider than a phone: {m}"
            assert abs(m["first"] - m["left"]) <= 20, f"{state}: the first column scrolled away: {m}"
            assert m["second"] < m["firstRight"], f"{state}: the other columns scroll under the first: {m}"
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.locator("article table").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "phone-porting-table-scrolled.png"))
    finally:
        context.close()


def test_the_chosen_framework_carries_over_to_the_next_page(browser, base_url):
    context, page = _phone(browser, base_url, "paradigm/")
    try:
        evidence = page.locator(".claim-evidence").first
        evidence.scroll_into_view_if_needed()
        evidence.locator("label", has_text="PyTorch").click()
        page.wait_for_function("new URLSearchParams(location.search).get('fw') === 'pytorch'")
        page.goto(base_url + "porting/", wait_until="networkidle")
        assert "fw=" not in page.url
        shown = page.evaluate(
            """() => [...document.querySelectorAll('.claim-evidence')].map(set =>
                [...set.querySelectorAll('.fw-panel')].map(b => getComputedStyle(b).display !== 'none'))"""
        )
        assert shown and all(s[:2] == [False, True] for s in shown), f"PyTorch opens on the next page: {shown[:3]}"
        label = page.locator(".fw-input--pytorch:checked + label").first
        assert label.is_visible()
        # A link that names a framework still wins over the remembered choice.
        page.goto(base_url + "history/?fw=tensorflow", wait_until="networkidle")
        assert page.evaluate("document.querySelector('.fw-input--tensorflow').checked")
        assert not page.js_errors, page.js_errors
    finally:
        context.close()
