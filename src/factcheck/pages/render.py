"""Turn a claim and its executed evidence into page Markdown (pure functions, no MkDocs).

The panel is Markdown that Material already knows how to draw (a heading with an explicit
id, content tabs, fenced code); raw HTML pieces (outputs, badges) go through ``stash``,
which Python-Markdown replaces with the HTML after parsing, so indentation cannot
mangle them.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Iterable

from ..evidence.extract import EvidenceCell
from ..sources.registry import Claim
from ..vocabulary import FRAMEWORK_IDS as FRAMEWORKS
from ..vocabulary import LABELS as FRAMEWORK_LABELS
from ..vocabulary import SHARED, VALUE_MIME, VERDICT, VERDICTS
from . import page_weight

Stash = Callable[[str], str]
ARTICLE = "the article"
INLINE_CODE = re.compile(r"`([^`]+)`")  # a `code` span in a counterfactual's condition

# Material's search indexes a claim by its words (the claim, the quote, the verdict and its
# reason), not by the code CI ran, the captions, the buttons or the tables that list many claims
# at once: those made every claim match every query, and a table of 73 claims outranked each of
# them. Material skips an element carrying data-search-exclude, tracking it by tag name, so the
# attribute sits on a <section> (or a tag that never nests inside itself).
SEARCH_EXCLUDED = "data-search-exclude"


def search_excluded(markdown: str, css: str) -> str:
    """Markdown blocks wrapped so that Material's search skips them (they still show)."""
    return f'<section class="{css}" {SEARCH_EXCLUDED} markdown>\n\n{markdown}\n\n</section>'


def verdict_badge(verdict: str) -> str:
    v = VERDICT[verdict]
    return (
        f'<span class="verdict-badge verdict-badge--{v.id}" title="Verdict: {v.label}">'
        f'<span aria-hidden="true">{v.icon}</span> {v.label}</span>'
    )


def _text_block(text: str, css: str) -> str:
    # tabindex: a block that scrolls sideways must be reachable by keyboard (axe: scrollable-region-focusable)
    return f'<pre class="{css}" tabindex="0">{html.escape(text.rstrip())}</pre>'


FigureSink = Callable[[bytes, str], str]  # (file content, extension) -> URL of the stored file


def output_html(output: dict, alt: str, figure: FigureSink | None = None) -> str | None:
    """One nbformat output as HTML; None for outputs a panel leaves out (stderr).

    With ``figure``, images become files loaded lazily (an ``<img>`` instead of hundreds of
    inline SVG elements or a base64 blob in the page)."""
    kind = output.get("output_type")
    if kind == "stream":
        if output.get("name") == "stderr":
            return None
        return _text_block(output.get("text", ""), "nb-stream")
    if kind in ("execute_result", "display_data"):
        data = output.get("data", {})
        if "image/svg+xml" in data:
            svg = data["image/svg+xml"]
            svg = svg if isinstance(svg, str) else "".join(svg)
            if figure:
                src = figure(svg.encode(), "svg")
                return f'<figure class="nb-figure">{page_weight.img_tag(src, alt, page_weight.svg_size(svg))}</figure>'
            return f'<figure class="nb-figure" role="img" aria-label="{html.escape(alt)}">{svg}</figure>'
        if "image/png" in data:
            png = data["image/png"].replace("\n", "")
            raw = base64.b64decode(png)  # fails loudly on garbage
            if figure:
                src = figure(raw, "png")
                return f'<figure class="nb-figure">{page_weight.img_tag(src, alt, page_weight.png_size(raw))}</figure>'
            img = f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt)}">'
            return f'<figure class="nb-figure">{img}</figure>'
        if "text/html" in data:
            return f'<div class="nb-html" tabindex="0">{data["text/html"]}</div>'
        if VALUE_MIME in data:
            return _text_block(data["text/plain"], "nb-result")
        if "text/plain" in data:
            return _text_block(data["text/plain"], "nb-result")
        return None
    if kind == "error":
        return _text_block(f"{output.get('ename')}: {output.get('evalue')}", "nb-error")
    return None


def outputs_html(cell: EvidenceCell, figure: FigureSink | None = None) -> str:
    alt = f"Figure produced by cell {cell.index + 1} of {cell.notebook}"
    parts = [h for o in cell.outputs if (h := output_html(o, alt, figure))]
    if not parts:
        parts = ['<p class="nb-no-output">(no output: the assertions passed silently)</p>']
    # data-search-exclude keeps executed output out of the search index; a <section> is used
    # because Material's search parser tracks exclusion by tag name and outputs hold no sections.
    return f'<section class="nb-outputs" {SEARCH_EXCLUDED}>' + "".join(parts) + "</section>"


def _fence(source: str, title: str) -> str:
    """A fenced Python block, its fence longer than any backtick run that opens a source line, kept
    out of the search index (on its ``div.highlight``, which holds no other div)."""
    runs = [len(line) - len(line.lstrip("`")) for line in (ln.lstrip() for ln in source.splitlines())]
    ticks = "`" * max(3, max(runs, default=0) + 1)
    return f'{ticks}{{ .python title="{title}" {SEARCH_EXCLUDED}="" }}\n{source.rstrip()}\n{ticks}'


def cell_caption(cell: EvidenceCell, notebook_link: str) -> str:
    timing = f", ran in {cell.seconds:.2f} s" if cell.seconds is not None else ""
    measured = " · measurement: its numbers vary from run to run" if cell.measured else ""
    return (
        f'<small class="nb-caption" {SEARCH_EXCLUDED}>[{cell.notebook}]({notebook_link}) · cell {cell.index + 1}'
        f" · execution count {cell.execution_count}{timing}{measured}</small>"
    )


UNTESTABLE = "Judged from sources; no code can test this"


def estimated_height(cells: list[EvidenceCell]) -> float:
    """Roughly how tall a column of evidence is, in rem, before the browser lays it out.

    The evidence sits in a ``content-visibility: auto`` box, which the browser sizes from this
    estimate until the box nears the viewport; a close estimate keeps the scrollbar and in-page
    links steady. Coefficients fitted to the rendered panels at phone width (error ~1 rem)."""
    rem = 0.0
    for cell in cells:
        rem += 8.0 + 1.18 * len(cell.source.splitlines())
        for output in cell.outputs:
            data = output.get("data", {})
            if output.get("output_type") == "stream" and output.get("name") != "stderr":
                rem += 1.48 * len(output.get("text", "").splitlines())
            elif "image/svg+xml" in data or "image/png" in data:
                svg = data.get("image/svg+xml")
                size = page_weight.svg_size(svg if isinstance(svg, str) else "".join(svg)) if svg else None
                rem += (size[1] if size else 300) / 16
            elif "text/html" in data:
                rem += 2.0 * max(1, str(data["text/html"]).count("<tr"))
            elif "text/plain" in data:
                rem += 1.48 * len(str(data["text/plain"]).splitlines())
    return round(rem, 1)


def framework_switch(claim_id: str) -> str:
    """The framework choice of one panel: a radio pair that CSS alone turns into tabs on a
    phone and into column headings on a wide screen (no script has to measure anything)."""
    parts = []
    for index, fw in enumerate(FRAMEWORKS):
        ident = f"fw-{claim_id}-{fw}"
        checked = " checked" if index == 0 else ""
        parts.append(
            f'<input type="radio" class="fw-input fw-input--{fw}" name="fw-{claim_id}" id="{ident}" '
            f'value="{fw}"{checked}><label for="{ident}">{FRAMEWORK_LABELS[fw]}</label>'
        )
    return f'<div class="fw-switch" role="radiogroup" aria-label="Framework" {SEARCH_EXCLUDED}>{"".join(parts)}</div>'


def counterfactuals_html(results) -> str:
    """What would change one side's verdict, and that its evidence was seen to fail then
    (``results``: counterfactuals/results.py's, current ones only)."""
    if not results:
        return ""
    items = []
    for r in results:
        # the condition is plain text with `code` spans (an API, a flag), as in the claims' prose
        condition = INLINE_CODE.sub(r"<code>\1</code>", html.escape(r.condition.rstrip(".")))
        if r.outcome == "failed":
            kind = html.escape((r.error or "").split(":", 1)[0])
            seen = f"fails at <code>{html.escape(r.cell or '')}</code> ({kind}), checked on {r.checked_on}"
        else:
            seen = f"<strong>not seen to fail</strong> ({html.escape(r.outcome)}), checked on {r.checked_on}"
        items.append(f"<li>If {condition}: {seen}.</li>")
    return (
        f'<div class="claim-counterfactuals" {SEARCH_EXCLUDED}><p class="claim-counterfactuals__title">'
        "Would the evidence notice? Each change below was made, and the evidence failed:</p>"
        f"<ul>{''.join(items)}</ul></div>"
    )


def framework_tab(
    framework: str,
    cells: list[EvidenceCell],
    notebook_link: str,
    stash: Stash,
    untestable: str | None = None,
    figure: FigureSink | None = None,
    counterfactuals=(),
) -> str:
    """One framework's cells, code then outputs then a caption, each cell as CI ran it; then the
    changes of the fact its evidence was seen to fail under."""
    body = []
    if untestable:
        body.append(f'<p class="claim-untestable" markdown>**{UNTESTABLE}:** {untestable}</p>')
    for cell in cells:
        body.append(_fence(cell.source, f"{FRAMEWORK_LABELS[framework]} · {cell.tag}"))
        body.append(stash(outputs_html(cell, figure)))
        body.append(cell_caption(cell, notebook_link))
    if counterfactuals:
        body.append(stash(counterfactuals_html(counterfactuals)))
    content = "\n\n".join(body)
    return f'<div class="fw-panel fw-panel--{framework}" markdown>\n\n{content}\n\n</div>\n'


def shared_block(cells: list[EvidenceCell], notebook_link: str, stash: Stash, figure: FigureSink | None = None) -> str:
    """Cells that compare both frameworks at once, full width under the columns."""
    body = [f'<p class="claim-shared-title" {SEARCH_EXCLUDED}><strong>Both frameworks</strong></p>']
    for cell in cells:
        body.append(_fence(cell.source, f"Both frameworks · {cell.tag}"))
        body.append(stash(outputs_html(cell, figure)))
        body.append(cell_caption(cell, notebook_link))
    return "\n\n".join(body)


def source_dates(source) -> str:
    """'published 2024-03-08, read 2026-11-25', or 'no date given, read 2026-11-25'."""
    published = f"published {source.published}" if source.published else "no date given"
    return f"{published}, read {source.accessed}"


def sources_markdown(claim: Claim) -> str:
    items = "\n".join(f"    - [{s.title}]({s.url}) ({source_dates(s)})" for s in claim.sources)
    return f'??? info "Sources ({len(claim.sources)})"\n\n{items}\n'


def report_link(claim: Claim, repo_url: str | None) -> str:
    """A pre-filled GitHub issue about this claim ('' without a repository)."""
    if not repo_url:
        return ""
    from urllib.parse import urlencode

    query = urlencode(
        {
            "title": f"Claim {claim.id}: ",
            "body": f"Claim: {claim.id} ({claim.claim})\nVerdict on the site: {claim.verdict}\n\n"
            "What is wrong, and a source or code that shows it:\n",
            "labels": "claim",
        }
    )
    return (
        f'<a class="claim-report" href="{repo_url.rstrip("/")}/issues/new?{html.escape(query)}" '
        f'rel="noopener" {SEARCH_EXCLUDED}>Report a problem with this claim</a>'
    )


def claim_panel(
    claim: Claim,
    cells: dict[str, list[EvidenceCell]],
    notebook_links: dict[str, str],
    stash: Stash,
    heading_level: int = 3,
    repo_url: str | None = None,
    figure: FigureSink | None = None,
    releases: str | None = None,
    counterfactuals: dict | None = None,
    heading: bool = True,
    page_url: str | None = None,
) -> str:
    """The whole panel for one claim, as Markdown with stashed HTML (``releases``: the strips of
    the outcomes on other releases, releases.strip_html; ``counterfactuals``: side -> the
    counterfactual results its evidence was seen to fail under)."""
    hashes = "#" * heading_level
    # "Copy link" gives the claim's own page, whose preview shows the claim and its verdict.
    url_attr = f' data-url="{html.escape(page_url)}"' if page_url else ""
    header = stash(
        '<div class="claim-meta">'
        f"{verdict_badge(claim.verdict)}"
        f'<button class="claim-copy-link" type="button" data-claim="{claim.id}"{url_attr} {SEARCH_EXCLUDED} '
        f'title="Copy a permanent link to this claim">Copy link</button>'
        f'<code class="claim-id">{claim.id}</code>'
        f"{report_link(claim, repo_url)}"
        "</div>"
    )
    quote = f"> “{claim.quote}”\n> — {quote_attribution(claim)}"
    tabs = stash(framework_switch(claim.id)) + "\n\n"
    tabs += "\n".join(
        framework_tab(
            fw,
            cells[fw],
            notebook_links[fw],
            stash,
            claim.evidence[fw].untestable,
            figure,
            (counterfactuals or {}).get(fw, ()),
        )
        for fw in FRAMEWORKS
    )
    shared = ""
    if SHARED in cells:
        block = shared_block(cells[SHARED], notebook_links[SHARED], stash, figure)
        shared = f'<div class="claim-shared" markdown>\n\n{block}\n</div>\n\n'
    # The panel's size before the browser lays it out (content-visibility: auto, see panels.css):
    # on a phone one framework's column shows, on a wide screen the taller of the two.
    text = len(claim.quote) + len(claim.explanation) + 80
    columns = {fw: estimated_height(cells[fw]) for fw in FRAMEWORKS}
    extra = estimated_height(cells[SHARED]) if SHARED in cells else 0.0
    phone = 9 + 1.3 * text / 45 + columns[FRAMEWORKS[0]] + extra
    wide = 9 + 1.3 * text / 110 + max(columns.values()) + extra
    size = f"--ff-h: {phone:.0f}; --ff-h-wide: {wide:.0f}"

    strips = stash(f'<section class="claim-releases" {SEARCH_EXCLUDED}>{releases}</section>') if releases else ""
    # The heading and its panel share one element: Material's search ends the claim's entry where
    # that element ends, so the page's prose that follows a claim (often the next claim's
    # introduction) is not indexed as the claim's own words. On a claim's own page the page's
    # title is the heading.
    title = f"{hashes} {claim.claim} {{ #{claim.id} .claim-title }}\n\n" if heading else ""
    return (
        '<div class="claim" markdown>\n\n'
        f"{title}"
        f'<div class="claim-panel claim-panel--{claim.verdict}" data-claim="{claim.id}" style="{size}" markdown>\n\n'
        f"{header}\n\n{quote}\n{{ .claim-quote }}\n\n"
        f'<p class="claim-explanation" markdown>**{VERDICT[claim.verdict].label}.** {claim.explanation}</p>\n\n'
        f"{strips + chr(10) * 2 if strips else ''}"
        f'<div class="claim-evidence" markdown>\n\n{tabs}\n</div>\n\n'
        f"{shared}"
        f"{search_excluded(sources_markdown(claim), 'claim-sources')}\n"
        "</div>\n\n</div>\n"
    )


def quote_attribution(claim: Claim) -> str:
    """Who said the quoted sentence: the article (its section), or a documentation page."""
    if claim.origin is None:
        return f"{ARTICLE}, *{claim.section.title}*"
    return f"[{claim.origin.title}]({claim.origin.url}) (beyond the article)"


CHANGES_LABELS = {"inference": "Inference outputs", "training": "Training", "rebuilt": "A rebuilt model"}


def differences_table(
    rows: list[tuple[Claim, str, str, str, str]], placed: dict[str, str], link: Callable[[str], str]
) -> str:
    """Setting, what it changes, each framework's default, what goes wrong and the fix, and the
    claim that proves it.

    ``rows`` holds (claim, TensorFlow default, PyTorch default, symptom, fix) with the recorded
    values already substituted, so no default in the table is typed by hand."""
    lines = [
        "| Setting | Changes | TensorFlow default | PyTorch default | What goes wrong | Claim |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for claim, tf_default, torch_default, symptom, fix in rows:
        changes = CHANGES_LABELS[claim.difference.changes]
        cells = [claim.difference.setting, changes, f"`{tf_default}`", f"`{torch_default}`", f"{symptom} Fix: {fix}"]
        ref = f"[{claim.id}]({link(placed[claim.id])}#{claim.id})" if claim.id in placed else claim.id
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + f" | {ref} |")
    return search_excluded("\n".join(lines), "claim-table") + "\n"


CHECKLIST_HEADINGS = {
    "inference": "The outputs differ (same weights, same input)",
    "training": "Training differs (same start, same batches)",
    "rebuilt": "A model rebuilt from scratch starts elsewhere",
}


def differences_checklist(
    rows: list[tuple[Claim, str, str, str, str]],
    placed: dict[str, str],
    link: Callable[[str], str],
    page: str = "",
    url_to: Callable[[str], str] | None = None,
) -> str:
    """The rows as a checklist to work through in order: what changes inference outputs first,
    then training, then a rebuilt model; each line the setting, its fix and a link to the proof.
    A line whose claim is shown on another page carries the claim's id, so that an old link to
    the claim on this page still lands on its line. ``link`` gives a Markdown link target (a
    ``.md`` path MkDocs rewrites); ``url_to`` the page's URL for raw HTML, which MkDocs leaves as
    written (the forwarding marker's ``data-forward``)."""
    groups: dict[str, list[str]] = {}
    for claim, _, _, _, fix in rows:
        target = f"{link(placed[claim.id])}#{claim.id}" if claim.id in placed else f"#{claim.id}"
        # data-forward: panels.js takes a reader who arrives at this id on to the claim itself.
        url = f"{(url_to or link)(placed[claim.id])}#{claim.id}" if claim.id in placed else f"#{claim.id}"
        anchor = f'<span id="{claim.id}" data-forward="{url}"></span>' if placed.get(claim.id, page) != page else ""
        line = f"1. {anchor}[{claim.difference.setting}]({target}): {fix}"
        groups.setdefault(claim.difference.changes, []).append(line)
    parts = []
    for changes in CHANGES_LABELS:
        if changes in groups:
            parts.append(f"**{CHECKLIST_HEADINGS[changes]}**\n\n" + "\n".join(groups[changes]))
    return '<div class="differences-checklist" markdown>\n\n' + "\n\n".join(parts) + "\n\n</div>\n"


def _short(version: str | None) -> str:
    return (version or "not installed").split("+")[0]


def provenance(records: Iterable[dict]) -> str:
    """'Verified with TensorFlow x, PyTorch y, Python z on <date>, <CPU>' from execution records."""
    records = list(records)
    if not records:
        return ""
    versions = {k: sorted({_short(r["versions"].get(k)) for r in records}) for k in ("tensorflow", "torch", "python")}
    dates = sorted({r["executed_at"][:10] for r in records})
    machines = sorted({f"{r['machine']['cpu']} ({r['machine']['cores']} cores)" for r in records})
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    return (
        '<p class="provenance" markdown>:material-check-decagram: Verified with '
        f"TensorFlow {' / '.join(versions['tensorflow'])}, PyTorch {' / '.join(versions['torch'])}, "
        f"Python {' / '.join(versions['python'])} on {when}, {'; '.join(machines)}.</p>"
    )


def _claim_link(claim: Claim, placed: dict[str, str], link: Callable[[str], str]) -> str:
    page = placed.get(claim.id)
    text = claim.claim.replace("|", "\\|")
    return f"[{text}]({link(page)}#{claim.id})" if page else text


def scoreboard(registry, placed: dict[str, str], link: Callable[[str], str]) -> str:
    """Every claim with its section and verdict, plus counts per verdict (from the registry)."""
    counts = {v.id: sum(1 for c in registry if c.verdict == v.id) for v in VERDICTS}
    summary = " · ".join(f"{verdict_badge(v)} {n}" for v, n in counts.items())
    rows = ["| Claim | Section | Verdict |", "| --- | --- | --- |"]
    for claim in sorted(registry, key=lambda c: (c.section.order, c.id)):
        rows.append(f"| {_claim_link(claim, placed, link)} | {claim.section.title} | {verdict_badge(claim.verdict)} |")
    table = search_excluded("\n".join(rows), "claim-table")
    return f'<p class="verdict-counts">{summary} (of {len(registry)} claims)</p>\n\n{table}\n'


def outdated_claims(registry, placed: dict[str, str], link: Callable[[str], str]) -> str:
    """The claims judged outdated, each with its newest dated source."""
    items = []
    for claim in sorted(registry, key=lambda c: (c.section.order, c.id)):
        if claim.verdict != "outdated":
            continue
        newest = max(claim.sources, key=lambda s: s.date)
        items.append(f"- {_claim_link(claim, placed, link)}: [{newest.title}]({newest.url}) ({source_dates(newest)})")
    return "\n".join(items) + "\n" if items else "No claim is judged outdated.\n"


def decision_guide(rows, placed: dict[str, str], link: Callable[[str], str]) -> str:
    """'If you need X, pick Y', each row linked to the claims whose evidence backs it."""
    lines = ["| If you need | Pick | Why | Evidence |", "| --- | --- | --- | --- |"]
    for row in rows:
        refs = ", ".join(f"[{cid}]({link(placed[cid])}#{cid})" if cid in placed else cid for cid in row.claims)
        lines.append(f"| {row.need} | **{row.pick}** | {row.because} | {refs} |")
    return "\n".join(lines) + "\n"


def badge_svg(label: str, verdict: str) -> str:
    """A flat two-part badge ('label | verdict') as standalone SVG, for wikis to embed."""
    message = VERDICT[verdict].label.lower()
    lw, mw = 6 * len(label) + 12, 6 * len(message) + 12
    width = lw + mw
    text = html.escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{text}: {message}"><title>{text}: {message}</title>'
        f'<rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{mw}" height="20" fill="{VERDICT[verdict].colour}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">'
        f'<text x="{lw / 2}" y="14">{text}</text><text x="{lw + mw / 2}" y="14">{message}</text></g></svg>\n'
    )


def badge_endpoint(label: str, verdict: str) -> dict:
    """shields.io endpoint JSON (https://shields.io/badges/endpoint-badge)."""
    return {
        "schemaVersion": 1,
        "label": label,
        "message": VERDICT[verdict].label.lower(),
        "color": VERDICT[verdict].colour.lstrip("#"),
    }
