"""Each page type in a real browser: no request leaves the site's own host, axe-core finds no
serious or critical accessibility violation, and screenshots at phone and desktop widths in
light and dark mode land in test-output/screenshots for a person to look at."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from builders import REPO

pytestmark = [pytest.mark.site, pytest.mark.browser]
SHOTS = REPO / "test-output" / "screenshots"

# One page of each type the site has (the path under the site's base URL).
PAGE_TYPES = {
    "home": "",
    "section": "paradigm/",
    "notebook": "notebooks/paradigm/eager-and-graphs/",
    "404": "no-such-page/",
}
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}


def _open(browser, base_url, path, width, scheme):
    """A fresh context that records (and blocks) every request to another host."""
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, color_scheme=scheme)
    own_host = urlsplit(base_url).netloc
    outside = []

    def guard(route):
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != own_host:
            outside.append(url)
            return route.abort()
        return route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url + path, wait_until="networkidle")
    # The reader's first action starts the theme's script (overrides/main.html): its requests and
    # its changes to the page are part of what is checked.
    page.mouse.move(200, 400)
    page.wait_for_function("() => document.documentElement.classList.contains('ff-theme')")
    page.wait_for_load_state("networkidle")
    return context, page, outside, errors


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_page_requests_nothing_from_another_host(browser, base_url, kind, width, scheme):
    context, page, outside, errors = _open(browser, base_url, PAGE_TYPES[kind], width, scheme)
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{kind}-{width}-{scheme}.png"))
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= WIDTHS[width][0], f"{kind} page overflows horizontally ({overflow}px)"
        if kind == "home":  # search loads its worker and index on first use
            page.keyboard.press("s")  # Material's shortcut: opens search at any width
            page.keyboard.type("eager")
            page.locator(".md-search-result__item").first.wait_for(timeout=15000)
    finally:
        context.close()
    assert not outside, f"{kind} page requested other hosts: {sorted(set(outside))}"
    assert not errors, f"JavaScript errors on the {kind} page: {errors}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", ["home", "section", "notebook", "404"])
def test_axe_finds_no_serious_accessibility_violation(browser, base_url, kind, scheme):
    from axe_playwright_python.sync_playwright import Axe

    context, page, _, _ = _open(browser, base_url, PAGE_TYPES[kind], "desktop", scheme)
    try:
        results = Axe().run(page)
    finally:
        context.close()
    report = REPO / "test-output" / "axe" / f"{kind}-{scheme}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(results.response, indent=1))
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    detail = [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']}; first: {v['nodes'][0]['target']}"
        f" {' '.join(v['nodes'][0].get('failureSummary', '').split())[:240]}"
        for v in bad
    ]
    assert not bad, f"axe-core on the {kind} page ({scheme}):\n" + "\n".join(detail)
