"""The version matrix's committed results (data/version-matrix/*.json, written by
factcheck.matrix), read for the site: one ``Mark`` per claim side and tested release, saying
what the evidence did there (holds, fails, could-not-run, untested) and why. The build never
executes an old release. history.py turns marks into verdicts; versions_page.py draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..judging.blame import raising_library
from ..judging.results import PACKAGE_MISMATCH, RunResult, load_results
from ..run.cache import code_hash
from ..vocabulary import (
    COULD_NOT_RUN,
    FAILS,
    FRAMEWORK_IDS,
    LABELS,
    RUN_NAME,
    SIDE_OF_RUN,
    UNTESTED,
)


def release_key(minor: str) -> tuple[int, ...]:
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
    cell_tag: str | None = None  # fails: the tag of the side's cell that raised
    reason_kind: str | None = None  # could-not-run: judging/results.py's reason kind
    package: str | None = None  # could-not-run: the package to blame
    left_out: str | None = None  # could-not-run: why the run left that package out
    library: str | None = None  # could-not-run: the installed library that raised, and its version ("keras 3.15.1")
    beside: str | None = None  # the other framework the run installed beside the release ("TensorFlow 2.21.0")


@dataclass
class Matrix:
    """Every committed run, by framework side and release (oldest first)."""

    runs: dict[str, list[RunResult]]  # side -> runs of that side's framework, by release

    @classmethod
    def load(cls, directory: Path) -> Matrix:
        runs: dict[str, list[RunResult]] = {side: [] for side in FRAMEWORK_IDS}
        if Path(directory).is_dir():
            for result in load_results(directory):
                if result.kind == "matrix" and result.framework in SIDE_OF_RUN:
                    runs[SIDE_OF_RUN[result.framework]].append(result)
        for side in runs:
            runs[side].sort(key=lambda r: release_key(r.requested))
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
            got = run.got.get(RUN_NAME[side])
            result = run.claims.get(claim_id, {}).get(side)
            if run.status != "complete":
                detail = f"the run's environment was not usable ({run.status})"
                marks.append(Mark(run.requested, got, COULD_NOT_RUN, detail, run.date))
                continue
            if result is None or (notebook and run.notebooks and notebook not in run.notebooks):
                # a claim (or its notebook) newer than the run: not tested there, not "could not run"
                marks.append(Mark(run.requested, got, UNTESTED, None, run.date))
                continue
            detail = result.error if result.outcome == FAILS else (result.reason.detail if result.reason else None)
            ran = run.notebooks.get(notebook) if notebook else None
            stale = bool(current_hash and ran is not None and ran.source_hash != current_hash)
            date = (ran.ran_on if ran is not None else None) or run.date  # a refreshed notebook: its own date
            tag = None
            if result.outcome == FAILS and ran is not None:
                tag = next(
                    (t for e in ran.errors if e["cell"] == result.cell for t in e.get("tags", ()) if t in result.cells),
                    None,
                )
            reason = result.reason
            package = reason.package if reason else None
            left = None
            if package and run.environment is not None:
                left = next(
                    (
                        x.reason
                        for x in run.environment.left_out
                        if x.package.replace("-", "_") == package.replace("-", "_")
                    ),
                    None,
                )
            library = None
            if reason and reason.kind == PACKAGE_MISMATCH and ran is not None:
                # the library whose own code raised, as the run recorded it (judging/blame.py)
                raised = next((e for e in ran.errors if e["cell"] == reason.cell and e.get("raised_in")), None)
                if raised and (name := raising_library(raised, besides=package)):
                    library = _with_version(name, run)
            marks.append(
                Mark(
                    run.requested, got, result.outcome, detail, date, stale, tag,
                    reason.kind if reason else None, package, left, library, _beside(run, side),
                )
            )  # fmt: skip
        return marks


def _with_version(name: str, run: RunResult) -> str:
    """A library with the version the run installed, "keras 3.15.1" (``google.protobuf`` is protobuf's)."""
    packages = run.environment.packages if run.environment else {}
    installed = {k.lower().replace("_", "-"): v for k, v in packages.items()}
    version = installed.get(name.split(".")[-1].lower().replace("_", "-"))
    return f"{name} {version}" if version else name


def _beside(run: RunResult, side: str) -> str | None:
    """The other framework of a run, with the version it got ("TensorFlow 2.21.0")."""
    other = next((s for s in FRAMEWORK_IDS if s != side), None)
    version = run.got.get(RUN_NAME[other]) if other else None
    return f"{LABELS[other]} {version}" if version else None


def current_hashes(notebooks) -> dict[str, str]:
    """notebook -> the hash the matrix records for its code cells (to tell stale results)."""
    return {rel: code_hash(source.nb) for rel, source in notebooks.items()}


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


def proposed_changes(before: RunResult | None, after: RunResult, today: str) -> list[str]:
    """Entries for data/changes.yaml (as YAML text) for every claim side whose outcome on this
    run's release moved since the run it replaces: a matrix or drift run proposes them, a person
    reviews the cause and the verdict before adding them."""
    if before is None:
        return []
    side_of = SIDE_OF_RUN.get(after.framework)
    release = f"{after.framework} {after.got.get(after.framework) or after.requested}"
    out = []
    for claim_id, sides in sorted(after.claims.items()):
        for side, result in sides.items():
            if side_of and side != side_of:
                continue
            old = before.claims.get(claim_id, {}).get(side)
            if old is None or old.outcome == result.outcome:
                continue
            what = result.error or (result.reason.detail if result.reason else "")
            out.append(
                f"  - date: {today}\n    claim: {claim_id}\n    release: {release}\n    cause: >-\n"
                f"      On {release} the {side} evidence now {result.outcome.replace('-', ' ')} (was {old.outcome})"
                f"{': ' + what if what else ''}. REVIEW: the cause in words; add from/to if the verdict changes.\n"
            )
    return out
