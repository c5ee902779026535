"""One page per claim, at a permanent address (``claims/<id>/``), and the index of all claims
(``claims/``): the Markdown of each page the build generates, with the front matter that gives
it its own title, description and social card. The pages hold shortcodes (``claim-page``,
``claim-index``) that resolvers.py fills in; they stay out of search, where the section page
that shows the claim in context ranks first."""

from __future__ import annotations

import json
import re

CLAIMS_DIR = "claims"
INDEX = f"{CLAIMS_DIR}/index.md"
HEADLINE_CHARS = 200


def page_of(claim_id: str) -> str:
    """The claim page's source path (relative to docs/)."""
    return f"{CLAIMS_DIR}/{claim_id}.md"


def url_of(claim_id: str) -> str:
    """The claim page's URL, relative to the site root."""
    return f"{CLAIMS_DIR}/{claim_id}/"


def card_of(claim_id: str) -> str:
    """The claim's social card, relative to the site root."""
    return f"assets/cards/{claim_id}.png"


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(])")
_MARKUP = re.compile(r"`([^`]*)`|\*\*([^*]*)\*\*|\[([^\]]*)\]\([^)]*\)")


def plain(text: str) -> str:
    """Markdown inline code, bold and links as plain text."""
    return _MARKUP.sub(lambda m: next(g for g in m.groups() if g is not None), text)


def headline(claim, explanation: str) -> str:
    """The one-line reason shown on the social card and in link previews: the claim's own
    ``headline`` when it has one, else the explanation's first sentence, cut at a word."""
    if getattr(claim, "headline", None):
        return claim.headline
    first = plain(_SENTENCE_END.split(explanation.strip(), maxsplit=1)[0])
    if len(first) <= HEADLINE_CHARS:
        return first
    cut = first[: HEADLINE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _front_matter(meta: dict) -> str:
    # JSON is YAML: every value quoted and escaped, whatever the claim's text holds.
    return (
        "---\n" + "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in meta.items()) + "---\n"
    )


def claim_page(claim, verdict_label: str, reason: str) -> str:
    """The Markdown of one claim's page."""
    meta = {
        "title": claim.claim,
        "description": f"{verdict_label}: {reason}",
        "social_image": card_of(claim.id),
        "search": {"exclude": True},
        "hide": ["navigation"],
    }
    return f"{_front_matter(meta)}\n# {claim.claim} {{ #claim }}\n\n<!-- claim-page: {claim.id} -->\n"


def index_page() -> str:
    meta = {
        "title": "All claims",
        "description": "Every claim checked on Framework Facts, by verdict: the article's claims and the porting "
        "pitfalls, each with its own page.",
        "search": {"exclude": True},
    }
    return f"{_front_matter(meta)}\n# All claims {{ #claims }}\n\n<!-- claim-index -->\n"
