"""The verdict per release, drawn (pure functions of reports/history.py's ``ReleaseVerdict``s):

- ``strip_html``: a claim panel's strips, one bar per framework with a stripe per release in the
  colour of the verdict there, and the claim's history in one sentence;
- ``versions_table``: the Versions page, in the manner of caniuse.com's support tables: one row per
  claim, its name and sentence always visible at the left, one small cell per release of both
  frameworks (each a verdict's colour and symbol, with the release and its meaning as text a
  screen reader reads), numbered notes in words under each table, and a filter for the claims
  whose verdict changes;
- ``runs_html``: every run, with the Python, Keras and other framework it had;
- ``claim_releases``: claims.json's record of the verdict per release, and ``since``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from ..vocabulary import FRAMEWORK_IDS, LABELS, VERDICT
from .history import ReleaseVerdict, sentence, since, tested_releases, unchecked_notes
from .releases import Matrix, ranges, release_key

NOT_CHECKABLE = "not-checkable"
UNTESTED = "untested"


def _state(v: ReleaseVerdict) -> str:
    if v.verdict is not None:
        return v.verdict
    return UNTESTED if v.mark.outcome == "untested" else NOT_CHECKABLE


def _words(v: ReleaseVerdict) -> str:
    state = _state(v)
    if state in VERDICT:
        return VERDICT[state].label.lower()
    return "not checkable here" if state == NOT_CHECKABLE else "not tested"


def _gradient(verdicts: list[ReleaseVerdict]) -> str:
    """One bar per framework: a hard-stop gradient, one stripe per run of releases in the same
    state (no element each; neighbouring stripes of one colour are one stop, which keeps a
    section page's HTML short)."""
    width = 100 / len(verdicts)
    runs: list[list] = []  # [state, first index, end index]
    for i, v in enumerate(verdicts):
        if runs and runs[-1][0] == _state(v):
            runs[-1][2] = i + 1
        else:
            runs.append([_state(v), i, i + 1])
    if len(runs) == 1:
        return f"var(--rel-{runs[0][0]})"
    stops = [f"var(--rel-{state}) {start * width:.2f}% {end * width:.2f}%" for state, start, end in runs]
    return "linear-gradient(90deg, " + ", ".join(stops) + ")"


def strip_html(claim, verdicts_by_side: dict[str, list[ReleaseVerdict]], versions_link: str) -> str:
    """The panel's release strips and the sentence, with a link to the claim's Versions row."""
    rows = []
    for side, verdicts in verdicts_by_side.items():
        if not verdicts:
            continue
        label = LABELS[side]
        spoken = ", ".join(f"{v.release} {_words(v)}" for v in verdicts)
        span = verdicts[0].release if len(verdicts) == 1 else f"{verdicts[0].release}–{verdicts[-1].release}"
        rows.append(
            f'<span class="release-strip"><span class="release-strip__name">{label}</span>'
            f'<span class="release-strip__bar" role="img" aria-label="{html.escape(f"{label}: {spoken}")}" '
            f'style="background:{_gradient(verdicts)}"></span>'
            f'<span class="release-strip__span">{span}</span></span>'
        )
    notes = unchecked_notes(verdicts_by_side)
    numbers = {key: n for n, key in enumerate(notes, 1)}
    text = _linked_notes(html.escape(sentence(claim, verdicts_by_side, numbers)), f"{claim.id}-release-note-")
    link = f' <a href="{versions_link}#{claim.id}">By release</a>'
    listed = "".join(
        f'<li id="{claim.id}-release-note-{numbers[key]}">{LABELS[key[0]]} '
        f"{', '.join(ranges(tested_releases(verdicts_by_side[key[0]]), set(rels)))}: {html.escape(key[1])}</li>"
        for key, rels in notes.items()
    )
    note_list = f'<ol class="release-notes">{listed}</ol>' if notes else ""
    return f'<div class="release-strips">{"".join(rows)}<p class="release-sentence">{text}{link}</p>{note_list}</div>'


def _linked_notes(text: str, anchor: str) -> str:
    """The sentence's "(note 3)" pointers as links to the notes (``anchor`` + number)."""
    return re.sub(r"\(note (\d+)\)", lambda m: f'(<a href="#{anchor}{m[1]}">note {m[1]}</a>)', text)


def claim_releases(claim, verdicts_by_side: dict[str, list[ReleaseVerdict]]) -> dict:
    """claims.json: the verdict on every release, per side, with the sentence and ``since``."""
    return {
        "summary": sentence(claim, verdicts_by_side),
        "since": {side: since(claim, verdicts) for side, verdicts in verdicts_by_side.items() if verdicts},
        **{
            side: {
                v.release: {
                    "version": v.mark.version,
                    "verdict": v.verdict,
                    "checkable": v.checkable,
                    "note": v.note or None,
                    "outcome": v.mark.outcome,
                    "detail": v.mark.detail,
                    "run_date": v.mark.date,
                    "stale": v.mark.stale,
                }
                for v in verdicts
            }
            for side, verdicts in verdicts_by_side.items()
        },
    }


def _changes(verdicts_by_side: dict[str, list[ReleaseVerdict]]) -> bool:
    states = {_state(v) for verdicts in verdicts_by_side.values() for v in verdicts}
    return len(states - {UNTESTED}) > 1


def versions_table(
    sections,
    claims_by_section: dict[str, list],
    verdicts_of: Callable[[object], dict[str, list[ReleaseVerdict]]],
    link_to_claim: Callable[[object], str],
    releases: dict[str, list[str]],
) -> list[tuple]:
    """The Versions page's tables, as (section, HTML) pairs (``releases``: side -> the minor
    releases tested, oldest first, the columns)."""
    out = []
    head_sides = "".join(
        f'<th scope="colgroup" colspan="{len(releases[s])}" class="vm-side">{LABELS[s]} 2.x</th>'
        for s in FRAMEWORK_IDS
        if releases[s]
    )
    head_releases = "".join(
        f'<th scope="col" class="vm-release" abbr="{LABELS[s]} {r}"><span aria-hidden="true">{r.split(".", 1)[1]}'
        f'</span><span class="vm-sr">{LABELS[s]} {r}</span></th>'
        for s in FRAMEWORK_IDS
        for r in releases[s]
    )
    for section in sections:
        claims = claims_by_section.get(section.id, [])
        if not claims:
            continue
        rows, notes = [], {}  # (claim, side, state, note) -> [releases], in order of first use
        for claim in claims:
            verdicts = verdicts_of(claim)
            for side in FRAMEWORK_IDS:
                for v in verdicts.get(side, []):
                    if v.note and _state(v) != claim.verdict:
                        notes.setdefault((claim.id, side, _state(v), v.note), []).append(v.release)
        numbers = {key: n for n, key in enumerate(notes, 1)}
        for claim in claims:
            verdicts = verdicts_of(claim)
            cells = []
            for side in FRAMEWORK_IDS:
                by_release = {v.release: v for v in verdicts.get(side, [])}
                for release in releases[side]:
                    cells.append(_cell(claim, side, release, by_release.get(release), numbers, section.id))
            changes = " vm-row--changes" if _changes(verdicts) else ""
            # the sentence points to the table's numbered notes for what could not be checked
            unchecked = unchecked_notes(verdicts)
            pointed = {key: numbers.get((claim.id, key[0], NOT_CHECKABLE, key[1])) for key in unchecked}
            complete = all(n is not None for n in pointed.values())
            said = html.escape(sentence(claim, verdicts, pointed if complete else None))
            said = _linked_notes(said, f"vm-{section.id}-")
            name = (
                f'<th scope="row" id="{claim.id}" class="vm-claim"><a href="{link_to_claim(claim)}">'
                f'{html.escape(claim.claim)}</a><span class="vm-sentence">{said}</span></th>'
            )
            rows.append(f'<tr class="vm-row{changes}">{name}{"".join(cells)}</tr>')
        table = (
            f'<div class="version-matrix" role="region" aria-label="{html.escape(section.title)}: verdict per release" '
            # data-search-exclude: a grid of symbols is no search result (see render.SEARCH_EXCLUDED)
            'tabindex="0"><table data-search-exclude>'
            f'<thead><tr><th rowspan="2" scope="col" class="vm-claim">Claim</th>{head_sides}</tr>'
            f"<tr>{head_releases}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )
        listed = "".join(
            f'<li id="vm-{section.id}-{numbers[key]}"><code>{key[0]}</code>, {LABELS[key[1]]} '
            f"{', '.join(ranges(releases[key[1]], set(rels)))}: {_state_words(key[2])}: {html.escape(key[3])}</li>"
            for key, rels in notes.items()
        )
        # out of search: a note may quote a failed cell's assert, which is code, not a result
        note_list = f'<ol class="vm-notes" data-search-exclude>{listed}</ol>' if notes else ""
        out.append((section, table + note_list))
    return out


def _state_words(state: str) -> str:
    if state in VERDICT:
        return VERDICT[state].label.lower()
    return "not checkable here" if state == NOT_CHECKABLE else "not tested"


def _cell(claim, side: str, release: str, v: ReleaseVerdict | None, numbers: dict, section: str) -> str:
    """One release's cell: the verdict's colour and symbol, its note's number, and what a screen
    reader says."""
    if v is None:
        return f'<td class="vm vm--untested"><span class="vm-sr">{LABELS[side]} {release}: not tested</span></td>'
    number = ""
    key = (claim.id, side, _state(v), v.note)
    if key in numbers:
        n = numbers[key]
        number = f'<a class="vm-note" href="#vm-{section}-{n}" aria-label="note {n}">{n}</a>'
    stale = " vm--stale" if v.mark.stale else ""
    spoken = f"{LABELS[side]} {v.mark.version or release}: {_words(v)}"
    # The symbol is drawn by the stylesheet (decorative: the text beside it says the same), so a
    # cell is two elements, and the table of every claim by every release stays light.
    return f'<td class="vm vm--{_state(v)}{stale}">{number}<span class="vm-sr">{html.escape(spoken)}</span></td>'


def filter_html() -> str:
    """A checkbox that, with CSS alone, hides the rows whose verdict never changes."""
    return (
        '<p class="vm-filter"><label><input type="checkbox" id="vm-only-changes"> '
        "Show only the claims whose verdict changes across releases</label></p>"
    )


# From this date a run installs the libraries released in step with its framework (Keras, ExecuTorch)
# as they were in the release's time; an older run had those of its own date.
OF_ITS_TIME_SINCE = "2026-12-07"


def runs_html(matrix: Matrix) -> str:
    """Every run: the release, what it ran beside (Python, Keras, the other framework), the date,
    its status, the share of claim sides it could decide, and the libraries it left out."""
    rows = []
    for side in FRAMEWORK_IDS:
        for run in matrix.runs[side]:
            counts = run.counts()
            env = run.environment
            other = env.other_framework if env else {}
            packages = {k.lower(): v for k, v in (env.packages if env else {}).items()}
            left = ", ".join(item.package for item in env.left_out) if env and env.left_out else "none"
            got = ", ".join(f"{k} {v}" for k, v in run.got.items() if v)
            note = f" (pinned {other.get('pinned')})" if other and other.get("got") != other.get("pinned") else ""
            redone = sorted({r.ran_on for r in run.notebooks.values() if r.ran_on})
            refreshed = sum(1 for r in run.notebooks.values() if r.ran_on)
            date = run.date + (
                f" ({refreshed} notebook{'s' if refreshed != 1 else ''} re-run {', '.join(redone)}, same packages)"
                if redone
                else ""
            )
            python = env.python if env else "–"
            keras = packages.get("keras", "–")
            if side == "tensorflow" and run.date < OF_ITS_TIME_SINCE and release_key(run.requested) >= (2, 16):
                keras += " (of its run date, not of its release's time)"
            rows.append(
                f"<tr><td>{LABELS[side]} {run.requested}</td><td>{html.escape(got)}{html.escape(note)}</td>"
                f"<td>{html.escape(python)}</td><td>{html.escape(keras)}</td>"
                f"<td>{html.escape(date)}</td><td>{run.status}</td><td>{counts.get('decided_share', 0):.0%}</td>"
                f"<td>{html.escape(left)}</td></tr>"
            )
    return (
        '<div class="version-runs" role="region" aria-label="The runs" tabindex="0"><table data-search-exclude>'
        "<thead><tr>"
        '<th scope="col">Run</th><th scope="col">Frameworks</th><th scope="col">Python</th>'
        '<th scope="col">Keras</th><th scope="col">Date</th><th scope="col">Status</th>'
        '<th scope="col"><abbr title="The share of claim sides whose evidence could run there">Checkable</abbr></th>'
        f'<th scope="col">Left out</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )
