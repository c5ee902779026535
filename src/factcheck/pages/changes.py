"""Changes you can follow: the Changes page, each claim's own history and the Atom feed, drawn
from data/changes.yaml (sources/datafiles.py loads and checks it). Pure functions."""

from __future__ import annotations

import html
from collections.abc import Callable
from xml.sax.saxutils import escape

from ..sources.datafiles import Change, ChangeLog
from ..vocabulary import VERDICT
from .render import verdict_badge

FEED = "changes.xml"


def _what(change: Change) -> str:
    if change.to is None:
        return "what the evidence shows changed; the verdict stands"
    if change.before is None:
        return f"added, {VERDICT[change.to].label.lower()}"
    return f"{VERDICT[change.before].label} → {VERDICT[change.to].label}"


def _caused_by(change: Change) -> str:
    by = [x for x in (change.release, change.data) if x]
    return f" ({', '.join(by)})" if by else ""


def change_item(change: Change, claim_text: str, claim_link: str | None) -> str:
    """One entry as an HTML list item: date, claim, old and new verdict, cause."""
    name = html.escape(claim_text)
    name = f'<a href="{claim_link}">{name}</a>' if claim_link else name
    badges = ""
    if change.to is not None:
        before = verdict_badge(change.before) + " → " if change.before else ""
        badges = f' <span class="change-verdicts">{before}{verdict_badge(change.to)}</span>'
    return (
        f'<li class="change"><time datetime="{change.date}">{change.date}</time> {name}{badges}'
        f'<span class="change-cause">{html.escape(change.cause)}{html.escape(_caused_by(change))}</span></li>'
    )


def changes_html(log: ChangeLog, claim_text: Callable[[str], str], link: Callable[[str], str | None]) -> str:
    """The Changes page: every entry, newest first, after the baseline's note."""
    items = [change_item(c, claim_text(c.claim), link(c.claim)) for c in reversed(log.changes)]
    base = f'<p class="change-baseline">Since {log.baseline_date}: {html.escape(log.baseline_note)}</p>'
    listed = f'<ol class="changes" reversed>{"".join(items)}</ol>' if items else "<p>No change yet.</p>"
    return base + listed


def claim_history_html(log: ChangeLog, claim_id: str) -> str:
    """A claim page's own history, newest first (or the verdict it has had since the baseline)."""
    entries = log.of(claim_id)
    if not entries:
        since = log.baseline_date if claim_id in log.baseline else "its first publication"
        return f'<p class="change-none">The verdict has not changed since {since}.</p>'
    items = [
        f'<li><time datetime="{c.date}">{c.date}</time> {html.escape(_what(c))}: '
        f"{html.escape(c.cause)}{html.escape(_caused_by(c))}</li>"
        for c in reversed(entries)
    ]
    return f'<ol class="changes" reversed>{"".join(items)}</ol>'


def atom_feed(log: ChangeLog, site_url: str, claim_text: Callable[[str], str], claim_url: Callable[[str], str]) -> str:
    """The log as an Atom 1.0 feed, newest first (RFC 4287: id, title and updated on the feed and
    every entry; the site's address as the feed's id; one stable tag URI per entry)."""
    base = site_url.rstrip("/") + "/"
    newest = max([c.date for c in log.changes] + [log.baseline_date])
    entries = []
    for c in reversed(log.changes):
        title = f"{claim_text(c.claim)}: {_what(c)}"
        entries.append(
            "  <entry>\n"
            f"    <id>tag:framework-facts,{c.date}:change-{c.number}</id>\n"
            f"    <title>{escape(title)}</title>\n"
            f"    <updated>{c.date}T00:00:00Z</updated>\n"
            f'    <link rel="alternate" type="text/html" href="{escape(claim_url(c.claim))}"/>\n'
            f"    <summary>{escape(c.cause + _caused_by(c))}</summary>\n"
            "  </entry>\n"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <id>{escape(base)}{FEED}</id>\n"
        "  <title>Framework Facts: changes of verdicts</title>\n"
        "  <subtitle>Every change of a claim's verdict, or of what its evidence shows on a release.</subtitle>\n"
        f"  <updated>{newest}T00:00:00Z</updated>\n"
        f'  <link rel="self" type="application/atom+xml" href="{escape(base)}{FEED}"/>\n'
        f'  <link rel="alternate" type="text/html" href="{escape(base)}changes/"/>\n'
        "  <author><name>Framework Facts</name></author>\n"
        f"{''.join(entries)}"
        "</feed>\n"
    )
