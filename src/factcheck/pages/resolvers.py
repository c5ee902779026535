"""The shortcode resolvers: one table, ``RESOLVERS``, keyed like shortcodes.KINDS, each turning
one shortcode of one page into Markdown (with stashed HTML) from the finished ``Site``. Every
resolver reads the site through its ``PageContext``; none knows MkDocs."""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import PageError
from ..reports.versions_page import filter_html, runs_html, strip_html, versions_table
from ..sources.registry import Claim
from ..vocabulary import FRAMEWORK_IDS
from . import render

if TYPE_CHECKING:
    from ..site import Site


@dataclass
class PageContext:
    site: Site
    page: str  # relative to docs/
    url: str | None  # relative to the site root

    def link(self, target: str) -> str:
        """A page (relative to docs/) as a Markdown link target from this page."""
        here = posixpath.dirname(self.page)
        return posixpath.relpath(target, here or ".")

    def figure(self, data: bytes, ext: str) -> str:
        """Store a figure file; its URL relative to this page's URL (raw HTML is not rewritten)."""
        url_dir = posixpath.dirname(self.url) if self.url is not None else posixpath.dirname(self.page)
        return posixpath.relpath(self.site.figures.add(data, ext), url_dir or ".")

    @property
    def placed(self) -> dict[str, str]:
        return self.site.placement.page_of

    def url_to(self, page: str) -> str:
        """Another page (relative to docs/) as a URL relative to this page's URL, for raw HTML."""
        target = page.removesuffix(".md")
        target = "" if target == "index" else target + "/"
        url_dir = posixpath.dirname(self.url) if self.url is not None else posixpath.dirname(self.page)
        return posixpath.relpath(target or ".", url_dir or ".") + "/"


def _claim(ctx: PageContext, arg: str, stash) -> str:
    site = ctx.site
    view = site.views[arg]
    links = {fw: ctx.link(f"notebooks/{ev.notebook}") for fw, ev in view.claim.evidence.items()}
    releases = None
    if not site.matrix.empty:
        releases = strip_html(view.claim, view.releases, ctx.url_to(VERSIONS_PAGE))
    claim = dataclasses.replace(view.claim, explanation=view.explanation)
    return render.claim_panel(
        claim,
        view.cells,
        links,
        stash,
        repo_url=site.repo_url,
        figure=ctx.figure,
        releases=releases,
        counterfactuals=view.counterfactuals,
    )


def _value(ctx: PageContext, arg: str, stash) -> str:
    if arg not in ctx.site.values:
        raise PageError(f"docs/{ctx.page}: no notebook recorded a value named {arg!r}")
    return ctx.site.values[arg]["text"]


def _provenance(ctx: PageContext, arg, stash) -> str:
    notebooks = sorted(
        {
            ev.notebook
            for cid in ctx.site.placement.claims_on(ctx.page)
            for ev in ctx.site.registry[cid].evidence.values()
        }
    )
    return render.provenance(ctx.site.records[nb] for nb in notebooks)


def _differences(ctx: PageContext, arg, stash) -> str:
    site = ctx.site
    here = set(site.placement.claims_on(ctx.page))
    rows = [site.difference_row(claim) for claim in site.registry if claim.difference and claim.id in here]
    if not rows:
        raise PageError(f"docs/{ctx.page}: differences-table, but no claim on this page has a 'difference'")
    return render.differences_table(rows, ctx.placed, ctx.link)


def _guide(ctx: PageContext, arg, stash) -> str:
    return render.decision_guide(ctx.site.guide or [], ctx.placed, ctx.link)


VERSIONS_PAGE = "versions.md"


def _version_matrix(ctx: PageContext, arg, stash) -> str:
    site = ctx.site
    by_section: dict[str, list[Claim]] = {}
    for claim in sorted(site.registry, key=lambda c: (c.section.order, c.id)):
        by_section.setdefault(claim.section.id, []).append(claim)

    def link(claim: Claim) -> str:
        return f"{ctx.url_to(site.placement.get(claim.id))}#{claim.id}"

    releases = {side: site.matrix.releases(side) for side in FRAMEWORK_IDS}
    tables = versions_table(
        site.registry.sections, by_section, lambda claim: site.views[claim.id].releases, link, releases
    )
    sections = "\n\n".join(
        f"## {section.title} {{ #versions-{section.id} }}\n\n{stash(table)}" for section, table in tables
    )
    return f"{stash(filter_html())}\n\n{sections}"


RESOLVERS: dict[str, Callable[[PageContext, str | None, Callable], str]] = {
    "claim": _claim,
    "value": _value,
    "provenance": _provenance,
    "scoreboard": lambda ctx, arg, stash: render.scoreboard(ctx.site.registry, ctx.placed, ctx.link),
    "outdated-claims": lambda ctx, arg, stash: render.outdated_claims(ctx.site.registry, ctx.placed, ctx.link),
    "decision-guide": _guide,
    "differences-table": _differences,
    "claim-count": lambda ctx, arg, stash: str(len(ctx.site.registry)),
    "verdict-count": lambda ctx, arg, stash: str(sum(1 for c in ctx.site.registry if c.verdict == arg)),
    "version-matrix": _version_matrix,
    "version-runs": lambda ctx, arg, stash: stash(runs_html(ctx.site.matrix)),
}
