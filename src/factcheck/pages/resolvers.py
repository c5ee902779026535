"""The shortcode resolvers: one table, ``RESOLVERS``, keyed like shortcodes.KINDS, each turning
one shortcode of one page into Markdown (with stashed HTML) from the finished ``Site``. Every
resolver reads the site through its ``PageContext``; none knows MkDocs."""

from __future__ import annotations

import dataclasses
import html
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import PageError
from ..publish.banner import notebook_anchor
from ..reports.versions_page import filter_html, runs_html, strip_html, versions_table
from ..sources.registry import CHANGES, Claim
from ..vocabulary import FRAMEWORK_IDS, LABELS, VERDICTS
from . import claim_pages, render
from .changes import FEED, changes_html, claim_history_html

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

    def file_url(self, path: str) -> str:
        """A file the site publishes (relative to the site root) as a URL from this page."""
        url_dir = posixpath.dirname(self.url) if self.url is not None else posixpath.dirname(self.page)
        return posixpath.relpath(path, url_dir or ".")

    def url_to(self, page: str) -> str:
        """Another page (relative to docs/) as a URL relative to this page's URL, for raw HTML."""
        target = page.removesuffix(".md").removesuffix(".ipynb")
        target = "" if target == "index" else target.removesuffix("/index") + "/"
        url_dir = posixpath.dirname(self.url) if self.url is not None else posixpath.dirname(self.page)
        return posixpath.relpath(target or ".", url_dir or ".") + "/"


def _panel(ctx: PageContext, arg: str, stash, heading: bool = True) -> str:
    site = ctx.site
    if arg not in site.views:
        raise PageError(f"docs/{ctx.page}: unknown claim id {arg!r}")
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
        heading=heading,
        page_url=ctx.url_to(claim_pages.page_of(view.id)),
    )


def _claim(ctx: PageContext, arg: str, stash) -> str:
    return _panel(ctx, arg, stash)


def _claim_page(ctx: PageContext, arg: str, stash) -> str:
    """A claim's own page: where it sits in its section, the panel, its verdict on every release,
    its changes, and how to cite it."""
    site = ctx.site
    view = site.views[arg]
    section_page = site.placement.get(arg)
    where = ""
    if section_page:
        where = (
            f'<p class="claim-context">One of the claims of <a href="{ctx.url_to(section_page)}#{arg}">'
            f"{html.escape(view.claim.section.title)}</a>, shown there in context. "
            f'<a href="{ctx.url_to("claims/index.md")}">All claims</a></p>'
        )
    parts = [stash(where) if where else "", _panel(ctx, arg, stash, heading=False)]
    if not site.matrix.empty:
        releases = {side: site.matrix.releases(side) for side in FRAMEWORK_IDS}
        (_, table), *_ = versions_table(
            [view.claim.section],
            {view.claim.section.id: [view.claim]},
            lambda c: view.releases,
            lambda c: "#claim",
            releases,
        )
        parts.append(f"## On every release {{ #releases }}\n\n{stash(table)}")
    if site.changes is not None:
        parts.append(f"## Changes {{ #changes }}\n\n{stash(claim_history_html(site.changes, arg))}")
    base = (site.site_url or "").rstrip("/") + "/"
    permanent = f"{base}{claim_pages.url_of(arg)}"
    badge = f"{base}badges/{arg}.svg"
    cite = (
        f"## Link and cite {{ #cite }}\n\nThe permanent address of this claim is <{permanent}>. "
        f"Its badge, which shows the current verdict:\n\n```markdown\n[![{arg}]({badge})]({permanent})\n```\n\n"
        + stash(
            f'<p>Every verdict, machine-readable: <a href="{ctx.file_url("claims.json")}"><code>claims.json</code></a>;'
            " "
            f'every change, as a feed: <a href="{ctx.file_url(FEED)}"><code>{FEED}</code></a>.</p>'
        )
    )
    parts.append(cite)
    return "\n\n".join(p for p in parts if p)


def _is_article(claim) -> bool:
    return claim.origin is None


def _groups(site) -> list[tuple[str, str, list]]:
    """(anchor prefix, title, claims): the article's claims, then those beyond it (porting)."""
    ordered = sorted(site.registry, key=lambda c: (c.section.order, c.id))
    return [
        ("article", "The article's claims", [c for c in ordered if _is_article(c)]),
        (
            "beyond",
            "Beyond the article: moving a model between the frameworks",
            [c for c in ordered if not _is_article(c)],
        ),
    ]


def _claim_index(ctx: PageContext, arg, stash) -> str:
    """Every claim, by group and verdict, each linking to its own page."""
    site, out = ctx.site, []
    for prefix, title, claims in _groups(site):
        if not claims:
            continue
        out.append(f"## {title} {{ #{prefix} }}")
        for verdict in VERDICTS:
            chosen = [c for c in claims if c.verdict == verdict.id]
            if not chosen:
                continue
            items = "".join(
                f'<li><a href="{ctx.url_to(claim_pages.page_of(c.id))}">{html.escape(c.claim)}</a> '
                f'<span class="claim-index-section">{html.escape(c.section.title)}</span></li>'
                for c in chosen
            )
            out.append(
                f"### {verdict.label} ({len(chosen)}) {{ #{prefix}-{verdict.id} }}\n\n"
                + stash(f'<ul class="claim-index">{items}</ul>')
            )
    by_notebook: dict[str, list] = {}
    for claim in sorted(site.registry, key=lambda c: (c.section.order, c.id)):
        for ev in {ev.notebook: ev for ev in claim.evidence.values()}.values():
            by_notebook.setdefault(ev.notebook, []).append(claim)
    out.append("## By notebook { #by-notebook }")
    for notebook in sorted(by_notebook):
        items = "".join(
            f'<li>{render.verdict_badge(c.verdict)} <a href="{ctx.url_to(claim_pages.page_of(c.id))}">'
            f"{html.escape(c.claim)}</a></li>"
            for c in by_notebook[notebook]
        )
        title = site.sources.notebooks[notebook].title if notebook in site.sources.notebooks else notebook
        out.append(
            stash(
                f'<h3 id="{notebook_anchor(notebook)}"><a href="{ctx.url_to("notebooks/" + notebook)}">'
                f'{html.escape(title)}</a></h3><ul class="claim-index">{items}</ul>'
            )
        )
    return "\n\n".join(out)


def _verdict_summary(ctx: PageContext, arg: str, stash) -> str:
    """A group's verdict counts (``article`` or ``beyond``), each linking to its list."""
    groups = {prefix: (title, claims) for prefix, title, claims in _groups(ctx.site)}
    if arg not in groups:
        raise PageError(f"docs/{ctx.page}: verdict-summary takes 'article' or 'beyond', not {arg!r}")
    (_, claims), index = groups[arg], ctx.url_to("claims/index.md")
    label = {
        "article": f"The article's {len(claims)} claims",
        "beyond": f"Beyond the article: {len(claims)} porting pitfalls",
    }[arg]
    items = []
    for verdict in VERDICTS:
        n = sum(1 for c in claims if c.verdict == verdict.id)
        if n:
            items.append(
                f'<a class="verdict-count" href="{index}#{arg}-{verdict.id}">'
                f'<span class="verdict-badge verdict-badge--{verdict.id}">'
                f'<span aria-hidden="true">{verdict.icon}</span> {n} {verdict.label.lower()}</span></a>'
            )
    return stash(f'<p class="verdict-summary"><strong>{label}</strong> {"".join(items)}</p>')


def _highlights(ctx: PageContext, arg, stash) -> str:
    """The verdicts that surprise most (data/home.yaml), one line each: badge, claim, reason."""
    site = ctx.site
    items = []
    for cid in site.highlights:
        view = site.views[cid]
        reason = claim_pages.headline(view.claim, view.explanation)
        items.append(
            f'<li>{render.verdict_badge(view.claim.verdict)} <a href="{ctx.url_to(claim_pages.page_of(cid))}">'
            f"{html.escape(view.claim.claim)}</a> <span>{html.escape(reason)}</span></li>"
        )
    title = '<p class="highlights-title"><strong>What surprises most</strong></p>'
    return stash(f'{title}<ul class="highlights">{"".join(items)}</ul>')


def _releases_checked(ctx: PageContext, arg, stash) -> str:
    """'TensorFlow 2.12–2.21 and PyTorch 2.0–2.15; last run 2026-12-07': what was checked, when."""
    site = ctx.site
    spans = []
    for side in FRAMEWORK_IDS:
        releases = site.matrix.releases(side)
        if releases:
            spans.append(
                f"{LABELS[side]} {releases[0]}–{releases[-1]}" if len(releases) > 1 else f"{LABELS[side]} {releases[0]}"
            )
    dates = [r["executed_at"][:10] for r in site.records.values()]
    newest = max(dates) if dates else "not yet"
    checked = " and ".join(spans) if spans else "the pinned releases"
    return f"every release of {checked} (evidence run {newest})"


def _section_list(ctx: PageContext, arg, stash) -> str:
    """The site's sections, from the nav: title, link and the page's own description."""
    site = ctx.site
    if not site.nav:
        raise PageError(f"docs/{ctx.page}: section-list needs the site's nav (a MkDocs build)")
    items = "".join(
        f'<li><a href="{ctx.url_to(page)}">{html.escape(title)}</a> <span>{html.escape(description)}</span></li>'
        for title, page, description in site.nav
        if page != ctx.page
    )
    return stash(f'<ul class="section-list">{items}</ul>')


def _decision_short(ctx: PageContext, arg, stash) -> str:
    """The decision guide's short answer: each pick with the needs it answers, in a few words."""
    picks: dict[str, list[str]] = {}
    for row in ctx.site.guide or []:
        picks.setdefault(row.pick, []).append(row.short or row.need)
    guide = ctx.site.placement.page_of and next(
        (p for p, kinds in ctx.site.placement.kinds_on.items() if "decision-guide" in kinds), None
    )
    # the heading above the guide on its page (docs/conclusion.md: "Decision guide { #conclusion-decision-guide }")
    more = f' <a href="{ctx.url_to(guide)}#conclusion-decision-guide">The whole guide</a>' if guide else ""
    items = "; ".join(
        # the pick without its aside ("Keras 3 (on TensorFlow, PyTorch or JAX)"): the guide has it
        f"<strong>{html.escape(pick.split(' (')[0])}</strong> for {html.escape(', '.join(needs))}"
        for pick, needs in picks.items()
    )
    return stash(f'<p class="decision-short"><strong>Which to pick:</strong> {items}.{more}</p>')


def _changes(ctx: PageContext, arg, stash) -> str:
    site = ctx.site
    if site.changes is None:
        raise PageError(f"docs/{ctx.page}: changes, but there is no data/changes.yaml")

    def link(cid: str) -> str | None:
        return ctx.url_to(claim_pages.page_of(cid)) if cid in site.views else None

    def text(cid: str) -> str:
        return site.views[cid].claim.claim if cid in site.views else cid

    return stash(changes_html(site.changes, text, link))


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


def _difference_rows(ctx: PageContext, kind: str) -> list:
    """The claims with a difference in the sections this page shows (a section may spread over
    several pages), inference first, then training, then rebuilt models (registry order within
    each)."""
    site = ctx.site
    sections = {site.registry[cid].section.id for cid in site.placement.claims_on(ctx.page)}
    claims = [claim for claim in site.registry if claim.difference and claim.section.id in sections]
    if not claims:
        raise PageError(f"docs/{ctx.page}: {kind}, but no claim of this page's sections has a 'difference'")
    claims.sort(key=lambda claim: CHANGES.index(claim.difference.changes))
    return [site.difference_row(claim) for claim in claims]


def _differences(ctx: PageContext, arg, stash) -> str:
    return render.differences_table(_difference_rows(ctx, "differences-table"), ctx.placed, ctx.link)


def _checklist(ctx: PageContext, arg, stash) -> str:
    rows = _difference_rows(ctx, "differences-checklist")
    checklist = render.differences_checklist(rows, ctx.placed, ctx.link, ctx.page, ctx.url_to)
    # A claim of this section shown on another of its pages, with no line here: an old link to
    # it on this page still arrives, and is taken on to the claim (panels.js).
    listed = {claim.id for claim, *_ in rows}
    section = {ctx.site.registry[cid].section.id for cid in ctx.site.placement.claims_on(ctx.page)}
    forwards = "".join(
        f'<span id="{cid}" data-forward="{ctx.url_to(page)}#{cid}"></span>'
        for cid, page in sorted(ctx.placed.items())
        if page != ctx.page and cid not in listed and ctx.site.registry[cid].section.id in section
    )
    return checklist + (f"\n{stash(forwards)}\n" if forwards else "")


def _module_source(ctx: PageContext, arg: str, stash) -> str:
    """A module the notebooks embed, shown from the file itself, with its download link."""
    site = ctx.site
    if arg not in site.modules():
        known = ", ".join(site.modules()) or "none"
        raise PageError(f"docs/{ctx.page}: module-source {arg!r} is not a module a notebook declares (known: {known})")
    text = (site.sources.project.root / arg).read_text(encoding="utf-8")
    name = posixpath.basename(arg)
    download = (
        f'<p class="module-download"><a href="{ctx.file_url(f"downloads/{name}")}" download>Download {name}</a> '
        f"({text.count(chr(10))} lines of Python; the notebooks embed this same file)</p>"
    )
    # Plain, not highlighted: a few hundred lines of token spans would outweigh the rest of the page.
    code = f'<div class="highlight module-source"><pre><code>{html.escape(text.rstrip())}</code></pre></div>'
    return stash(download) + "\n\n" + stash(code)


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
    "differences-checklist": _checklist,
    "module-source": _module_source,
    "claim-count": lambda ctx, arg, stash: str(
        len(ctx.site.registry) if arg is None else len({p: c for p, _, c in _groups(ctx.site)}[arg])
    ),
    "verdict-count": lambda ctx, arg, stash: str(sum(1 for c in ctx.site.registry if c.verdict == arg)),
    "version-matrix": _version_matrix,
    "version-runs": lambda ctx, arg, stash: stash(runs_html(ctx.site.matrix)),
    "claim-page": _claim_page,
    "claim-index": _claim_index,
    "verdict-summary": _verdict_summary,
    "highlights": _highlights,
    "releases-checked": _releases_checked,
    "section-list": _section_list,
    "decision-short": _decision_short,
    "changes": _changes,
}
