"""Since which release: the version matrix (data/version-matrix/*.json, written by tools/matrix.py)
read for the site. The build never executes an old release; it reads the committed results.

For each claim side, the runs of that side's framework give one outcome per release (holds,
fails, could-not-run, or untested). A claim panel shows them as a compact strip per framework
with a sentence ("holds on TensorFlow 2.16-2.21 and PyTorch 2.1-2.15"); the Versions page shows
the whole matrix; claims.json carries every outcome. Pure functions of the result files.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from .results import COULD_NOT_RUN, FAILS, HOLDS, RunResult, load_results, notebook_source_hash
from .vocabulary import FRAMEWORK_IDS, LABELS

# A run's framework name -> the registry side it varies.
SIDE_OF = {"tensorflow": "tensorflow", "torch": "pytorch"}
UNTESTED = "untested"
SYMBOL = {HOLDS: "✓", FAILS: "✗", COULD_NOT_RUN: "–", UNTESTED: "·"}
WORD = {HOLDS: "holds", FAILS: "fails", COULD_NOT_RUN: "could not run", UNTESTED: "not tested"}


def _release_key(minor: str) -> tuple[int, ...]:
    return tuple(int(p) for p in minor.split(".") if p.isdigit())


@dataclass(frozen=True)
class Mark:
    """One release of one framework, for one claim side."""

    release: str  # the minor release, "2.3"
    version: str | None  # the exact version the run got, "2.3.1"
    outcome: str  # holds | fails | could-not-run | untested
    detail: str | None  # fails: the first error line; could-not-run: the reason
    date: str | None  # when the run was made
    stale: bool = False  # the notebook has changed since that run


@dataclass
class Matrix:
    """Every committed run, by framework side and release (oldest first)."""

    runs: dict[str, list[RunResult]]  # side -> runs of that side's framework, by release

    @classmethod
    def load(cls, directory: Path) -> Matrix:
        runs: dict[str, list[RunResult]] = {side: [] for side in FRAMEWORK_IDS}
        if Path(directory).is_dir():
            for result in load_results(directory):
                if result.kind == "matrix" and result.framework in SIDE_OF:
                    runs[SIDE_OF[result.framework]].append(result)
        for side in runs:
            runs[side].sort(key=lambda r: _release_key(r.requested))
        return cls(runs)

    @property
    def empty(self) -> bool:
        return not any(self.runs.values())

    def releases(self, side: str) -> list[str]:
        return [r.requested for r in self.runs[side]]

    def marks(
        self, claim_id: str, side: str, notebook: str | None = None, current_hash: str | None = None
    ) -> list[Mark]:
        """The outcome of one claim side on each tested release of its framework. With the
        side's notebook and its current code hash, a run made before the notebook changed is
        marked stale."""
        marks = []
        for run in self.runs[side]:
            got = run.got.get("torch" if side == "pytorch" else "tensorflow")
            result = run.claims.get(claim_id, {}).get(side)
            if run.status != "complete":
                detail = f"the run's environment was not usable ({run.status})"
                marks.append(Mark(run.requested, got, COULD_NOT_RUN, detail, run.date))
                continue
            if result is None:
                marks.append(Mark(run.requested, got, UNTESTED, None, run.date))
                continue
            detail = result.error if result.outcome == FAILS else (result.reason.detail if result.reason else None)
            ran = run.notebooks.get(notebook) if notebook else None
            stale = bool(current_hash and ran is not None and ran.source_hash != current_hash)
            date = (ran.ran_on if ran is not None else None) or run.date  # a refreshed notebook: its own date
            marks.append(Mark(run.requested, got, result.outcome, detail, date, stale))
        return marks


def current_hashes(notebooks) -> dict[str, str]:
    """notebook -> the hash the matrix records for its code cells (to tell stale results)."""
    return {rel: notebook_source_hash(source.nb) for rel, source in notebooks.items()}


def ranges(releases: list[str], chosen: set[str]) -> list[str]:
    """Runs of consecutive tested releases: ["2.0", "2.2-2.5"] ('-' joins the first and last)."""
    out, start, prev = [], None, None
    for release in releases:
        if release in chosen:
            start = start or release
            prev = release
            continue
        if start:
            out.append(start if start == prev else f"{start}–{prev}")
        start = prev = None
    if start:
        out.append(start if start == prev else f"{start}–{prev}")
    return out


def side_summary(side: str, marks: list[Mark]) -> str:
    """'on every TensorFlow release tested (2.12–2.21)' or 'on PyTorch 2.1–2.15; fails on 2.0'."""
    label = LABELS[side]
    releases = [m.release for m in marks]
    if not releases:
        return f"not yet tested on other {label} releases"
    by = {o: {m.release for m in marks if m.outcome == o} for o in (HOLDS, FAILS, COULD_NOT_RUN, UNTESTED)}
    span = f"{releases[0]}–{releases[-1]}" if len(releases) > 1 else releases[0]
    if by[HOLDS] == set(releases):
        return f"on every {label} release tested ({span})"
    parts = [f"on {label} {', '.join(ranges(releases, by[HOLDS]))}" if by[HOLDS] else f"on no {label} release tested"]
    if by[FAILS]:
        parts.append(f"fails on {', '.join(ranges(releases, by[FAILS]))}")
    if by[COULD_NOT_RUN]:
        parts.append(f"could not run on {', '.join(ranges(releases, by[COULD_NOT_RUN]))}")
    return "; ".join(parts)


def sentence(marks_by_side: dict[str, list[Mark]]) -> str:
    """The claim's evidence over releases, in one sentence: where it holds, then where not."""
    tested = {side: marks for side, marks in marks_by_side.items() if marks}
    if not tested:
        return "Not yet run on other releases."

    def span(marks: list[Mark]) -> str:
        return marks[0].release if len(marks) == 1 else f"{marks[0].release}–{marks[-1].release}"

    if len(tested) == len(marks_by_side) and all(m.outcome == HOLDS for marks in tested.values() for m in marks):
        both = " and ".join(f"{LABELS[s]} {span(marks)}" for s, marks in tested.items())
        return f"Holds on every release tested: {both}."
    holds, exceptions = [], []
    for side, marks in tested.items():
        releases = [m.release for m in marks]
        held = {m.release for m in marks if m.outcome == HOLDS}
        if held == set(releases):
            holds.append(f"{LABELS[side]} {span(marks)} (every release tested)")
        elif held:
            holds.append(f"{LABELS[side]} {', '.join(ranges(releases, held))}")
        for outcome, words in ((FAILS, "fails on"), (COULD_NOT_RUN, "could not run on"), (UNTESTED, "not tested on")):
            chosen = {m.release for m in marks if m.outcome == outcome}
            if chosen:
                exceptions.append(f"{words} {LABELS[side]} {', '.join(ranges(releases, chosen))}")
    text = ("Holds on " + " and ".join(holds)) if holds else "Holds on no release tested"
    return text + ("; " + "; ".join(exceptions) if exceptions else "") + "."


def _gradient(marks: list[Mark]) -> str:
    """One bar per framework: a hard-stop gradient, one stripe per run of releases with the same
    outcome (no element each; neighbouring stripes of one colour are one stop, which keeps a
    section page's HTML short)."""
    if not marks:
        return "none"
    width = 100 / len(marks)
    runs: list[list] = []  # [outcome, first index, end index]
    for i, mark in enumerate(marks):
        if runs and runs[-1][0] == mark.outcome:
            runs[-1][2] = i + 1
        else:
            runs.append([mark.outcome, i, i + 1])
    if len(runs) == 1:
        return f"var(--rel-{runs[0][0]})"
    stops = [f"var(--rel-{outcome}) {start * width:.2f}% {end * width:.2f}%" for outcome, start, end in runs]
    return "linear-gradient(90deg, " + ", ".join(stops) + ")"


def strip_html(claim_id: str, marks_by_side: dict[str, list[Mark]], versions_link: str) -> str:
    """The panel's release strips: one bar per framework (a screen reader hears its summary),
    a tooltip listing every release, and the sentence with a link to the Versions page."""
    rows = []
    for side, marks in marks_by_side.items():
        if not marks:
            continue
        label = LABELS[side]
        summary = f"{label}: {side_summary(side, marks)}"
        tooltip = " · ".join(f"{m.release} {SYMBOL[m.outcome]}" for m in marks)
        span = marks[0].release if len(marks) == 1 else f"{marks[0].release}–{marks[-1].release}"
        rows.append(
            f'<span class="release-strip"><span class="release-strip__name">{label}</span>'
            f'<span class="release-strip__bar" role="img" aria-label="{html.escape(summary)}" '
            f'title="{html.escape(tooltip)}" style="background:{_gradient(marks)}"></span>'
            f'<span class="release-strip__span">{span}</span></span>'
        )
    text = html.escape(sentence(marks_by_side))
    link = f' <a href="{versions_link}#{claim_id}">By release</a>'
    return f'<div class="release-strips">{"".join(rows)}<p class="release-sentence">{text}{link}</p></div>'


def claim_releases(marks_by_side: dict[str, list[Mark]]) -> dict:
    """claims.json: every release's outcome per side, and the sentence."""
    return {
        "summary": sentence(marks_by_side),
        **{
            side: {
                m.release: {"version": m.version, "outcome": m.outcome, "detail": m.detail, "run_date": m.date}
                for m in marks
            }
            for side, marks in marks_by_side.items()
        },
    }


def _cell(mark: Mark, previous: Mark | None) -> str:
    changed = previous is not None and previous.outcome != mark.outcome
    classes = f"rel rel--{mark.outcome}" + (" rel--changed" if changed else "") + (" rel--stale" if mark.stale else "")
    what = WORD[mark.outcome] + (f": {mark.detail}" if mark.detail else "")
    if mark.stale:
        what += " (run before the notebook's latest change)"
    title = f"{mark.version or mark.release}: {what}"
    return f'<td class="{classes}" title="{html.escape(title)}">{SYMBOL[mark.outcome]}</td>'


def matrix_html(sections, claims_by_section, marks_of, link_to_claim) -> list[tuple]:
    """The Versions page's tables, as (section, HTML) pairs: claims by releases. ``marks_of(claim)`` gives
    {side: [Mark]}; ``link_to_claim(claim)`` its panel's URL. A changed outcome is outlined;
    the error lines of failures follow each table."""
    out = []
    for section in sections:
        claims = claims_by_section.get(section.id, [])
        if not claims:
            continue
        first = marks_of(claims[0])
        head_sides = "".join(
            f'<th colspan="{len(first[side])}" scope="colgroup">{LABELS[side]}</th>'
            for side in FRAMEWORK_IDS
            if first[side]
        )
        head_releases = "".join(f'<th scope="col">{m.release}</th>' for side in FRAMEWORK_IDS for m in first[side])
        rows, failures = [], []
        for claim in claims:
            marks = marks_of(claim)
            cells = []
            for side in FRAMEWORK_IDS:
                previous = None
                for mark in marks[side]:
                    cells.append(_cell(mark, previous))
                    previous = mark
                    if mark.outcome == FAILS:
                        failures.append(
                            f"<li><code>{claim.id}</code>, {LABELS[side]} {mark.version or mark.release}: "
                            f"<code>{html.escape(mark.detail or '')}</code></li>"
                        )
            name = (
                f'<th scope="row" id="{claim.id}"><a href="{link_to_claim(claim)}">{html.escape(claim.claim)}</a></th>'
            )
            rows.append(f"<tr>{name}{''.join(cells)}</tr>")
        table = (
            # data-search-exclude: a grid of symbols is no search result (see render.SEARCH_EXCLUDED)
            '<div class="version-matrix" tabindex="0"><table data-search-exclude>'
            f'<thead><tr><th rowspan="2" scope="col">Claim</th>{head_sides}</tr><tr>{head_releases}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )
        fails = ""
        if failures:
            summary = f"<summary>Failures ({len(failures)})</summary>"
            items = "".join(failures)
            fails = f'<details class="version-failures" data-search-exclude>{summary}<ul>{items}</ul></details>'
        out.append((section, table + fails))
    return out


def runs_html(matrix: Matrix) -> str:
    """Every run: release, versions got, date, status, decided share, libraries left out."""
    rows = []
    for side in FRAMEWORK_IDS:
        for run in matrix.runs[side]:
            counts = run.counts()
            env = run.environment
            other = env.other_framework if env else {}
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
            rows.append(
                f"<tr><td>{LABELS[side]} {run.requested}</td><td>{html.escape(got)}{html.escape(note)}</td>"
                f"<td>{html.escape(date)}</td><td>{run.status}</td><td>{counts.get('decided_share', 0):.0%}</td>"
                f"<td>{html.escape(left)}</td></tr>"
            )
    return (
        '<div class="version-runs" tabindex="0"><table data-search-exclude><thead><tr><th scope="col">Run</th>'
        '<th scope="col">Versions</th>'
        '<th scope="col">Date</th><th scope="col">Status</th><th scope="col">Decided</th>'
        f'<th scope="col">Left out</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )
