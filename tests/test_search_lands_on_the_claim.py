"""Search lands on the claim: the built index queried by Material's own search worker in Chromium
(tests/search_worker.py), the index's contents, and the reweighing of search_rank.py."""

from __future__ import annotations

import html
import json
import re
from collections import Counter

import pytest
from builders import REPO
from search_worker import first_location, search

from factcheck import load_registry
from factcheck.pages.search_rank import PAGE_ENTRY_FACTOR, claims_first

REGISTRY = load_registry(REPO / "claims", REPO / "notebooks")
STOP = set(
    "the a an of and or in on to is are be by for with its it as at from that this not than into has was".split()
)

# Queries readers typed (issue 27), and the claim each should land on.
READERS = {
    "batchnorm momentum": "porting-bn-momentum",
    "torch.compile": "perf-tf-xla",
    "XLA compiler": "perf-tf-xla",
    "same padding": "porting-padding-same",
    "weight transpose": "porting-dense-transpose",
}


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][\w.']*\w", text)


def _own_words() -> dict[str, str]:
    """Each claim's sentence (without quotation marks, which make a phrase query in Material),
    and its three least common words among all claims' sentences."""
    seen = Counter(w.lower() for c in REGISTRY for w in set(_words(c.claim)))
    queries = {}
    for claim in REGISTRY:
        queries[claim.claim.replace('"', "")] = claim.id
        rare = sorted(
            dict.fromkeys(w for w in _words(claim.claim) if w.lower() not in STOP), key=lambda w: seen[w.lower()]
        )
        queries[" ".join(rare[:3])] = claim.id
    return queries


@pytest.fixture(scope="module")
def answers(browser, base_url):
    page = browser.new_page()
    page.goto(base_url + "404.html")
    try:
        yield search(page, [*_own_words(), *READERS])
    finally:
        page.close()


@pytest.mark.site
@pytest.mark.browser
def test_each_claim_is_the_first_result_for_its_own_words(answers):
    missed = [
        f"{query!r} -> {first_location(answers[query])} (not {claim_id})"
        for query, claim_id in _own_words().items()
        if not (first_location(answers[query]) or "").endswith(f"#{claim_id}")
    ]
    assert not missed, f"{len(missed)} queries miss their claim:\n" + "\n".join(missed)


@pytest.mark.site
@pytest.mark.browser
@pytest.mark.parametrize("query", list(READERS))
def test_what_readers_typed_lands_on_the_claim(answers, query):
    # Material lists the page of the best result, then that page's sections scoring as high as the
    # best: the claim is there, and Enter goes to it, not behind "N more on this page".
    groups = answers[query]
    assert first_location(groups).endswith(f"#{READERS[query]}"), [[d["location"] for d in g[:3]] for g in groups[:3]]


def _index(site) -> dict:
    return json.loads((site.dir / "search" / "search_index.json").read_text())


def _cell_sources(claim) -> list[str]:
    sources = []
    for evidence in claim.evidence.values():
        nb = json.loads((REPO / "notebooks" / evidence.notebook).read_text())
        for cell in nb["cells"]:
            if set(cell.get("metadata", {}).get("tags", [])) & set(evidence.cells):
                sources.append("".join(cell["source"]))
    return sources


@pytest.mark.site
def test_tables_of_claims_and_code_listings_stay_out_of_the_index(site):
    docs = {
        doc["location"]: html.unescape(doc["title"] + " " + re.sub(r"<[^>]+>", "", doc["text"]))
        for doc in _index(site)["docs"]
    }
    # The scoreboard names every claim, the porting table every porting setting, the Versions
    # page every claim again: none of them is a search result for a claim's words.
    for location in ("conclusion/#conclusion-scoreboard", "porting/#porting-table", "versions/#versions-porting"):
        listed = [c.id for c in REGISTRY if c.claim[:50] in docs.get(location, "")]
        assert not listed, f"{location} indexes the claims it lists: {listed[:5]}"
    everything = " ".join(docs.values())
    for claim in REGISTRY:
        [entry] = [text for location, text in docs.items() if location.endswith(f"#{claim.id}")]
        # A claim's entry holds its words, not the panel's buttons, captions or sources...
        assert claim.claim in entry and claim.quote.replace("`", "")[:40] in entry, claim.id
        assert not re.search(r"Copy link|Report a problem|Sources \(|execution count", entry), claim.id
        # ...and the code CI ran is shown, not indexed (its longest line, anywhere in the index).
        for source in _cell_sources(claim):
            line = max((ln.strip() for ln in source.splitlines() if not ln.strip().startswith("#")), key=len)
            if len(line) >= 30:
                assert line not in everything, f"{claim.id}: code in the index: {line!r}"


def test_headings_on_pages_of_claims_weigh_like_prose_and_claims_keep_their_weight():
    index = {
        "config": {"fields": {"title": {"boost": 1000.0}, "text": {"boost": 1.0}}},
        "docs": [
            {"location": "section/", "title": "Section", "text": "intro", "boost": 100},
            {"location": "section/#topic", "title": "Topic", "text": "prose", "boost": 100},
            {"location": "section/#a-claim", "title": "A claim", "text": "reason", "boost": 100},
            {"location": "notebooks/nb/", "title": "Notebook", "text": "cells", "boost": 0.01},
            {"location": "notebooks/nb/#step", "title": "Step", "text": "cells"},
            {"location": "versions/#table", "title": "Table", "text": ""},
        ],
    }
    out = {doc["location"]: doc.get("boost") for doc in claims_first(index, {"a-claim"})["docs"]}
    assert out["section/#a-claim"] == 100
    assert out["section/#topic"] == pytest.approx(0.1)
    assert out["section/"] == pytest.approx(100 / PAGE_ENTRY_FACTOR)
    # Pages without claims keep Material's ranking.
    assert out["notebooks/nb/"] == 0.01 and out["notebooks/nb/#step"] is None and out["versions/#table"] is None
    assert index["docs"][1]["boost"] == 100, "the input is left as it was"
