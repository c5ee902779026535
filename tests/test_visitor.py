"""The site as a visitor meets it: the answer on the home page's first screen (phone and desktop,
light and dark), a page per claim whose link unfurls as the claim (meta tags read without
scripts, as a wiki's preview reads them), and changes to follow (an Atom feed whose every entry
leads to a page that exists)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from builders import REPO

from factcheck import load_registry
from factcheck.pages.claim_pages import card_of, url_of

pytestmark = pytest.mark.site
REGISTRY = load_registry(REPO / "claims", REPO / "notebooks")
ATOM = "{http://www.w3.org/2005/Atom}"


class _Head(HTMLParser):
    """The <title>, <meta> and <link> tags of a page, as a link preview reads them (no script)."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("property") or a.get("name")):
            self.meta[a.get("property") or a.get("name")] = a.get("content", "")
        elif tag == "link" and a.get("rel"):
            self.links.setdefault(a["rel"], a.get("href", ""))
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        self._in_title = self._in_title and tag != "title"

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _head(html: str) -> _Head:
    head = _Head()
    head.feed(html)
    return head


@pytest.mark.parametrize("claim", list(REGISTRY), ids=lambda c: c.id)
def test_every_claim_has_a_page_whose_link_unfurls_as_the_claim_and_its_verdict(site, claim):
    html = (site.dir / url_of(claim.id) / "index.html").read_text(encoding="utf-8")
    head = _head(html)
    verdict = {"holds": "Holds", "nuanced": "Nuanced", "outdated": "Outdated", "false": "False"}[claim.verdict]
    assert head.meta["og:title"].startswith(claim.claim.rstrip(".")[:40]), head.meta["og:title"]
    assert head.meta["og:description"].startswith(f"{verdict}: "), "the description leads with the verdict"
    assert head.meta["twitter:card"] == "summary_large_image"
    assert head.meta["og:image"].endswith(card_of(claim.id)), "the claim's own card"
    assert (site.dir / card_of(claim.id)).is_file()
    assert head.links["canonical"].endswith(url_of(claim.id)), "a canonical link to the permanent address"
    assert head.title.startswith(claim.claim[:30]) and head.title.endswith("- Framework Facts")
    assert f'data-claim="{claim.id}"' in html and 'id="releases"' in html, "the panel and the release history"


def test_the_home_page_title_reads_as_the_site_and_its_subject(site):
    head = _head(site.page(""))
    assert head.title == "TensorFlow vs PyTorch, fact-checked by running code - Framework Facts"
    assert head.links["alternate"].endswith("changes.xml"), "the feed is discoverable"


def test_the_feed_is_atom_and_every_entry_leads_to_a_page_that_exists(site):
    feed = ET.fromstring((site.dir / "changes.xml").read_bytes())
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert entries, "the log has changes"
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("tag:") for i in ids)
    dates = [e.findtext(f"{ATOM}updated") for e in entries]
    assert dates == sorted(dates, reverse=True), "newest first"
    base = site.base_path
    for entry in entries:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00Z", entry.findtext(f"{ATOM}updated"))
        href = entry.find(f"{ATOM}link").get("href")
        path = href.split(base, 1)[1] if base in href else href
        assert (site.dir / path / "index.html").is_file(), f"{href} leads nowhere"


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)])
def test_the_home_page_answers_in_its_first_screen(browser, base_url, width, height, scheme):
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(base_url)
        if scheme == "dark":  # Material's palette toggle, as a reader's choice restores it
            page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
        for selector in (
            ".verdict-summary .verdict-count",  # the article's verdict counts, and the porting section's
            ".highlights li",  # the verdicts that surprise most
            ".decision-short",  # the decision guide's short answer
        ):
            boxes = [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]
            assert boxes and all(b is not None for b in boxes), selector
            assert max(b["y"] + b["height"] for b in boxes) <= height, f"{selector} is below the first screen"
        summaries = page.locator(".verdict-summary")
        assert summaries.count() == 2, "the article's counts and the porting pitfalls' apart"
        counts = page.locator(".verdict-summary").first.inner_text()
        article = sum(1 for c in REGISTRY if c.origin is None)
        assert f"The article's {article} claims" in counts
        lede = page.locator(".home-lede").inner_text()
        assert re.search(r"TensorFlow 2\.\d+–2\.\d+ and PyTorch 2\.\d+–2\.\d+ \(evidence run \d{4}-\d{2}-\d{2}\)", lede)
        # Each count leads to its list on the claims index.
        href = page.locator(".verdict-summary a").first.get_attribute("href")
        assert re.search(r"claims/#article-(holds|nuanced|outdated|false)$", href)
    finally:
        context.close()


@pytest.mark.browser
def test_an_old_link_to_a_claim_that_moved_to_another_page_of_its_section_arrives_at_the_claim(browser, base_url):
    moved = [c.id for c in REGISTRY if c.section.id == "porting"]
    training = (REPO / "docs" / "porting" / "training.md").read_text()
    cid = next(c for c in moved if f"<!-- claim: {c} -->" in training)
    page = browser.new_page()
    try:
        page.goto(f"{base_url}porting/#{cid}")
        page.wait_for_url(f"**/porting/training/#{cid}", timeout=10000)
        assert page.locator(f'.claim-panel[data-claim="{cid}"]').count() == 1
    finally:
        page.close()
