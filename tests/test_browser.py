"""A real browser (Debian's Chromium through Playwright) on the built site."""

from __future__ import annotations

import pytest
from builders import REPO
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from factcheck import load_registry

pytestmark = [pytest.mark.site, pytest.mark.browser]
SHOTS = REPO / "test-output" / "screenshots"
REGISTRY = load_registry(REPO / "claims", REPO / "notebooks")
PARADIGM = REGISTRY.in_section("paradigm")


@pytest.fixture
def page(browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.js_errors = []  # each test asserts this stays empty
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    yield page
    context.close()


def search_for(page, words: str) -> None:
    """Type ``words`` into the search box once the index is ready, and wait for results.

    The index loads in a web worker, slow on a busy machine: the box says "Initializing search"
    until then. Words typed before that are queried when it is ready, but to be safe against a
    lost input event the words are typed again if no result shows within 20 s."""
    search = page.locator("input.md-search__input")
    search.click()
    page.wait_for_function(
        "() => !/Initializing/.test(document.querySelector('.md-search-result__meta')?.textContent || '')",
        timeout=90000,
    )
    first = page.locator(".md-search-result__item a").first
    for attempt in range(2):
        search.fill("")
        search.press_sequentially(words, delay=20)
        try:
            first.wait_for(timeout=20000 if attempt == 0 else 60000)
            return
        except PlaywrightTimeout:
            if attempt == 1:
                raise


def test_paradigm_page_shows_both_frameworks_side_by_side_with_outputs(page, base_url):
    assert PARADIGM, "the Programming Paradigm section has no claims"
    page.goto(base_url + "paradigm/")
    panel = page.locator(f'.claim-panel[data-claim="{PARADIGM[0].id}"]')
    panel.locator(".verdict-badge").wait_for()
    blocks = panel.locator(".claim-evidence .fw-panel")
    assert blocks.count() == 2
    tf_box, pt_box = blocks.nth(0).bounding_box(), blocks.nth(1).bounding_box()
    assert tf_box and pt_box, "both framework columns are visible"
    assert pt_box["x"] > tf_box["x"] + tf_box["width"] / 2 and abs(pt_box["y"] - tf_box["y"]) < 5, "side by side"
    assert blocks.nth(0).locator(".nb-outputs").first.is_visible()
    assert blocks.nth(1).locator(".nb-outputs").first.is_visible()
    page.screenshot(path=str(SHOTS / "paradigm-light-1280.png"), full_page=False)
    page.screenshot(path=str(SHOTS / "paradigm-light-1280-full.png"), full_page=True)
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"


def test_dark_mode_switch_recolours_the_page(page, base_url):
    page.goto(base_url + "paradigm/")
    assert page.get_attribute("body", "data-md-color-scheme") == "default"
    page.locator('label[title="Switch to dark mode"]').click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    background = page.evaluate("getComputedStyle(document.querySelector('.md-main')).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    page.locator(".claim-panel").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "paradigm-dark-1280.png"))
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"


def test_a_claim_permalink_lands_on_that_claim(page, base_url):
    claim = PARADIGM[-1]
    page.goto(base_url + f"paradigm/#{claim.id}")
    heading = page.locator(f"#{claim.id}")
    heading.wait_for()
    page.wait_for_timeout(300)
    box = heading.bounding_box()
    assert box is not None and 0 <= box["y"] < 400, f"claim heading at y={box and box['y']}"
    page.screenshot(path=str(SHOTS / "paradigm-permalink.png"))
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"


def test_fw_parameter_opens_the_pytorch_tab_on_a_phone(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.goto(base_url + f"paradigm/?fw=pytorch#{PARADIGM[0].id}")
    panel = page.locator(f'.claim-panel[data-claim="{PARADIGM[0].id}"]')
    blocks = panel.locator(".claim-evidence .fw-panel")
    blocks.nth(1).wait_for(state="visible")
    assert not blocks.nth(0).is_visible(), "on a phone only the chosen framework's tab shows"
    shown = page.evaluate(
        """() => [...document.querySelectorAll('.claim-evidence')].map(set =>
            [...set.querySelectorAll('.fw-panel')].map(b => getComputedStyle(b).display !== 'none'))"""
    )
    assert shown and all(s == [False, True] for s in shown), f"every panel opens its PyTorch tab: {shown}"
    # Choosing TensorFlow in the last panel switches every panel back and records it in the address.
    last = page.locator(".claim-evidence").last
    last.scroll_into_view_if_needed()
    last.locator("label", has_text="TensorFlow").click()
    page.wait_for_function("new URLSearchParams(location.search).get('fw') === 'tensorflow'")
    shown = page.evaluate(
        """() => [...document.querySelectorAll('.claim-evidence')].map(set =>
            [...set.querySelectorAll('.fw-panel')].map(b => getComputedStyle(b).display !== 'none'))"""
    )
    assert all(s == [True, False] for s in shown), f"one choice switches every panel: {shown}"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page overflows horizontally ({width}px)"
    page.screenshot(path=str(SHOTS / "paradigm-pytorch-390.png"))
    context.close()


def test_search_finds_a_claim_by_its_words(page, base_url):
    claim = PARADIGM[0]
    phrase = " ".join(claim.claim.rstrip(".").split()[:4])
    page.goto(base_url)
    search_for(page, phrase)
    hrefs = page.locator(".md-search-result__item a").evaluate_all("els => els.map(e => e.href)")
    assert any("/paradigm/" in h for h in hrefs), hrefs
    page.screenshot(path=str(SHOTS / "search.png"))
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"


@pytest.mark.parametrize("reach", ["click", "keyboard"])
def test_the_search_index_loads_when_a_reader_reaches_for_search_not_with_the_page(page, base_url, reach):
    """Parsing the index was the largest task on a phone: a page that is only read never loads
    it; a click in the search box, or Material's "/" key, does (overrides/main.html)."""
    index_requests = []
    page.on("request", lambda r: index_requests.append(r.url) if r.url.endswith("search_index.json") else None)
    page.goto(base_url + "paradigm/")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => document.querySelector('.md-search-result__meta') !== null")
    assert index_requests == [], f"the index loaded with the page: {index_requests}"
    with page.expect_request(lambda r: r.url.endswith("search/search_index.json"), timeout=10000):
        if reach == "click":
            page.locator("input.md-search__input").click()
        else:
            page.locator("body").press("/")
    phrase = " ".join(PARADIGM[0].claim.rstrip(".").split()[:4])
    search_for(page, phrase)
    assert len(index_requests) == 1, index_requests
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"


@pytest.mark.parametrize(
    ("words", "section"),
    [
        ("LiteRT", None),
        ("CartPole", "use-cases"),
        ("batchnorm momentum", "porting"),
        ("same padding", "porting"),
        ("weight transpose", "porting"),
    ],
)
def test_search_lists_the_section_page_with_the_verdict_first(page, base_url, words, section):
    page.goto(base_url)
    search_for(page, words)
    hrefs = page.locator(".md-search-result__item > a").evaluate_all("els => els.map(e => e.href)")
    sections = [s.id for s in REGISTRY.sections]
    first = hrefs[0].split(base_url, 1)[-1].split("/")[0]
    assert first in sections and "/notebooks/" not in hrefs[0], f"{words!r}: results {hrefs[:5]}"
    if section:
        assert first == section, f"{words!r}: the {section} page should come first, not {hrefs[0]}"
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"


def test_a_notebook_page_reached_from_its_section_keeps_its_styles(page, base_url):
    page.goto(base_url + "paradigm/")
    page.locator('article a[href$="notebooks/paradigm/eager-and-graphs/"]').first.click()
    page.wait_for_url("**/notebooks/paradigm/eager-and-graphs/")
    prompt = page.locator(".jp-CodeCell .jp-InputPrompt").first
    prompt.wait_for()
    # JupyterLab's prompt styles come from the page's own (purged) stylesheet.
    assert "monospace" in prompt.evaluate("el => getComputedStyle(el).fontFamily")
    assert page.evaluate("document.querySelectorAll('.jupyter-wrapper style, article style').length") >= 1
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"


def test_the_theme_script_waits_for_the_readers_first_action(page, base_url):
    """Material's bundle was the only long task on a slow phone: it is not fetched with the page,
    and starts on the reader's first action, with everything it does (here: copy buttons on code
    and the search box answering)."""
    bundles = []
    page.on("request", lambda r: bundles.append(r.url) if "/javascripts/bundle." in r.url else None)
    page.goto(base_url + "paradigm/", wait_until="networkidle")
    page.wait_for_timeout(500)
    assert bundles == [] and page.evaluate("typeof window.component$") == "undefined"
    assert page.locator("label[for=__search]").first.is_visible() or page.locator("input.md-search__input").is_visible()
    assert page.locator(".md-header__option > label:visible").count() == 1, "the theme toggle shows before it starts"
    page.mouse.move(300, 300)
    page.wait_for_function("() => document.documentElement.classList.contains('ff-theme')")
    assert len(bundles) == 1
    code = page.locator(".md-typeset pre > code:visible").first
    code.scroll_into_view_if_needed()
    page.locator(".md-code__nav").first.wait_for()
    search_for(page, " ".join(PARADIGM[0].claim.rstrip(".").split()[:4]))
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"


def test_the_theme_toggle_works_before_the_theme_script_has_started(page, base_url):
    page.goto(base_url + "paradigm/", wait_until="networkidle")
    page.locator('label[title="Switch to dark mode"]').click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    page.wait_for_function("() => document.documentElement.classList.contains('ff-theme')")
    page.wait_for_timeout(300)
    assert page.get_attribute("body", "data-md-color-scheme") == "slate", "the theme kept the reader's choice"
    page.reload(wait_until="networkidle")
    assert page.get_attribute("body", "data-md-color-scheme") == "slate", "and remembers it on the next load"
    assert page.locator('label[title="Switch to light mode"]').is_visible()
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"


@pytest.mark.parametrize(("scheme", "expected"), [("dark", "slate"), ("light", "default")])
def test_the_systems_colour_scheme_shows_before_the_theme_script_starts(browser, base_url, scheme, expected):
    """Material's bundle picks the scheme the system prefers when it starts; this site starts it on
    the reader's first action, so the header's inline script picks it (overrides/partials)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(base_url + "versions/", wait_until="networkidle")
        assert page.evaluate("typeof window.component$") == "undefined", "the theme has not started"
        assert page.get_attribute("body", "data-md-color-scheme") == expected
        toggle = "Switch to light mode" if scheme == "dark" else "Switch to dark mode"
        assert page.locator(f'label[title="{toggle}"]').is_visible()
    finally:
        context.close()
