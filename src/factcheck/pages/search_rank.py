"""Search lands on the claim: Material's search index, reweighed once it is written.

Material weighs a match in a heading 1,000 times a match in the text under it, scores each
heading as its own result, and multiplies the score of a page's own entry (its title and the
prose before its first heading) by 2.5 against its sections' (its post-query boost: 1 + 2² for an
entry without a parent against 1 + 1² when every term matches). On a page of claims the headings
are labels over groups of claims ("Compilers: XLA and torch.compile") and the page's entry is its
introduction, so a query that names a topic landed on the label or the introduction, with the
verdict behind "N more on this page". Here, on pages that hold claims, headings weigh like prose
(their boost divided by Material's title boost) and the page's entry like a section (divided by
2.5): the claim whose words are queried comes first, and a heading or the page still leads where
no claim matches. Pages without claims keep Material's ranking.
"""

from __future__ import annotations

import json
from pathlib import Path

# Material's post-query boost of a page's own entry against a section's, all terms matching.
PAGE_ENTRY_FACTOR = (1 + 2**2) / (1 + 1**2)


def claims_first(index: dict, claim_ids: set[str]) -> dict:
    """``index`` (Material's search_index.json) with the entries of pages that hold claims
    reweighed: headings that are not claims divided by the title boost, the page's own entry by
    PAGE_ENTRY_FACTOR. Pure: returns a new dict."""
    title_boost = float(index["config"]["fields"]["title"]["boost"])
    located = [doc["location"].partition("#") for doc in index["docs"]]
    pages = {page for page, _, anchor in located if anchor in claim_ids}
    docs = []
    for doc in index["docs"]:
        page, _, anchor = doc["location"].partition("#")
        if page in pages and anchor not in claim_ids:
            factor = title_boost if anchor else PAGE_ENTRY_FACTOR
            doc = {**doc, "boost": doc.get("boost", 1) / factor}
        docs.append(doc)
    return {**index, "docs": docs}


def rewrite(path: Path, claim_ids: set[str]) -> None:
    """Reweigh the search index Material wrote at ``path`` (site/search/search_index.json)."""
    index = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(claims_first(index, claim_ids), separators=(",", ":")), encoding="utf-8")
