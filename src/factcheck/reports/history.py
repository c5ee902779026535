"""The verdict on every release: what the version matrix's outcomes mean for a claim, in words.

A side's evidence proves today's verdict. On another release it either passes (the verdict is
today's), fails, or could not run there. A failure is a verdict only where the claim declares
the era it falls in (``history`` in the claims file: on TensorFlow 2.12-2.15 the verdict was
*holds*, because ``tf.estimator`` still shipped): then that era's verdict and reason stand for
those releases. A failure no era explains, or an era whose releases pass, is a contradiction
that ``factcheck check`` names (claim, side, releases), so every difference on the Versions page
is either history, in words, or a cell to fix. Could-not-run is "not checkable here", with
its reason in words; it is never a verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..judging.blame import UNEXPECTED_KEYWORD
from ..judging.results import (
    BROKEN_ENVIRONMENT,
    EARLIER_CELL,
    MISSING_PACKAGE,
    NOT_IN_RELEASE,
    PACKAGE_MISMATCH,
    UNSUPPORTED_PYTHON,
)
from ..matrix.discovery import PATCH_KEPT
from ..sources.registry import Claim, Era
from ..vocabulary import (
    ALL_FRAMEWORK_MODULES,
    COMPANION,
    COULD_NOT_RUN,
    FAILS,
    HOLDS,
    KERNEL_DIED,
    LABELS,
    NOT_EXECUTED,
    NOT_STARTED,
    RUN_NAME,
    TIMEOUT,
    VERDICT,
)
from .releases import Mark, ranges, release_key


@dataclass(frozen=True)
class ReleaseVerdict:
    """One release of one side's framework, judged."""

    mark: Mark
    verdict: str | None  # the claim's verdict there; None: not checkable here, or not tested
    era: Era | None = None  # the declared era it falls in (its verdict and reason)
    note: str = ""  # words: the era's reason, or why it is not checkable here
    problem: str | None = None  # a contradiction between the outcome and the declared history

    @property
    def release(self) -> str:
        return self.mark.release

    @property
    def checkable(self) -> bool:
        return self.verdict is not None


# keras.ops arrived with Keras 3: a library that imports it cannot load beside Keras 2.
_NEEDS_KERAS_3 = re.compile(r"cannot import name 'ops' from 'keras'|module 'keras' has no attribute 'ops'")


# "executorch 0.4.0 depends on torch==2.5.0": a library of the release's time pinned to one patch.
_PINS_ANOTHER_PATCH = re.compile(
    r"(?P<lib>[\w.-]+) (?P<libv>[\w.]+) depends on (?P<fw>torch|tensorflow)==(?P<pin>[\d.]+)\b"
)
# An installed library that does not import here: the helpers' stand-in, or the library's own check.
_IMPORTS_BADLY = re.compile(r"No module named '([\w.]+)' that imports here \(")
_NEEDS_NEWER = re.compile(r"\brequires (PyTorch|TensorFlow|torch|tensorflow|Keras|keras) ?>= ?([\d.]+)")
_WANTED = re.compile(r"module '([\w.]+)' has no attribute '(\w+)'|cannot import name '(\w+)' from '([\w.]+)'")


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _wanted(detail: str) -> str | None:
    """What a library looked for that is not there, in words ("reads torch.int1", "imports
    executorch.exir.to_edge_transform_and_lower"), or None when the error does not say."""
    if not (wanted := _WANTED.search(detail)):
        return None
    return f"reads {wanted[1]}.{wanted[2]}" if wanted[1] else f"imports {wanted[4]}.{wanted[3]}"


def _installed_but_broken(mark: Mark, package: str | None) -> str:
    """Words for a library that is installed here but does not work beside this release: the
    release it asks for, or the name it looked for, where the error says."""
    detail = mark.detail or ""
    who = package or "a library the evidence needs"
    if needs := _NEEDS_NEWER.search(detail):
        return f"{who}, installed here, needs {needs[1]} {needs[2]} or newer, not this release"
    if wanted := _wanted(detail):
        return f"{who} is installed here but does not import beside this release (it {wanted})"
    return f"{who} is installed here but does not work with this release"


def _library_raised(mark: Mark) -> str:
    """Words for an installed library whose own code raised beside this release (Keras 3.15's
    torch backend on torch 2.0-2.2): the library and its version, and what it wanted. When it is
    the other framework's companion, held at the project's pins in every run of this side, that is
    said instead: one note for the cause, and no claim about what an older one would have done."""
    name = mark.library.split()[0]
    other = next((side for side, label in LABELS.items() if mark.beside and mark.beside.startswith(f"{label} ")), None)
    # the release under test is the other side's other: a run of torch 2.2 has TensorFlow beside it
    this = next((side for side in RUN_NAME if other and side != other), None)
    package = mark.package or (RUN_NAME[this] if this else None)
    needs = f"a newer {package} than this release" if package else "a newer release than this one"
    if other and this and COMPANION.get(other) == name:
        return (
            f"{mark.library}, which every {LABELS[this]} run installs with {mark.beside} at the project's pins,"
            f" needs {needs}; no older {name} was tried"
        )
    detail = mark.detail or ""
    if wanted := _wanted(detail):
        what = f" (it {wanted})"
    elif passed := UNEXPECTED_KEYWORD.search(detail):
        what = f" (it passes {passed[2]} to {passed[1].rsplit('.', 1)[-1]}(), which this release does not take)"
    else:
        what = ""
    return f"{mark.library}, installed here, needs {needs}{what}"


def _needs_keras_3(package: str | None) -> str:
    return (
        f"{package or 'a library the evidence needs'} needs Keras 3 (it imports keras.ops), and TensorFlow's"
        " Keras became Keras 3 only in 2.16: this release ships Keras 2"
    )


def not_checkable_words(mark: Mark) -> str:
    """Why a release could not be checked, in words a reader can act on."""
    kind, package = mark.reason_kind, mark.package
    if mark.outcome != COULD_NOT_RUN:
        return "not tested"
    if kind == UNSUPPORTED_PYTHON:
        what = re.search(r"not (?:yet )?supported (?:for|by|in) ([\w.]+)", mark.detail or "")
        feature = f"{what.group(1)} in this release" if what else "a feature of this release the evidence uses"
        return (
            f"{feature} refuses Python 3.11, on which the matrix runs every release"
            " (a user on Python 3.10 could run it); the release itself installs and runs here"
        )
    if kind == NOT_IN_RELEASE:
        detail = (
            mark.detail or ""
        )  # "cell 36: <what>", or an earlier cell's "... not in this release: <what>; then ..."
        said = re.search(r"not in this release: (.+?)(?:; then cell \d+:.*)?$", detail, re.S)
        what = said.group(1) if said else detail.split(": ", 1)[-1]
        return f"what the claim is about is not in this release ({what})" if what else "not in this release"
    if kind == MISSING_PACKAGE:
        unreleased = re.match(r"not yet released: no release before the next minor (\S+) after \S+ came out \((.+)\)$",
                              mark.left_out or "")  # fmt: skip
        if unreleased:
            # the date is the next minor's, not the library's; a yanked upload is no release (the
            # matrix skips them: ExecuTorch's 0.1 uploads of October 2023 were yanked)
            return (
                f"{package or 'a library the evidence needs'} had no release on PyPI yet in this release's time"
                f" (none, leaving aside any later yanked, before the next {unreleased.group(1)} minor came out"
                f" on {unreleased.group(2)})"
            )
        pinned = _PINS_ANOTHER_PATCH.search(mark.left_out or "")
        if pinned and mark.version and pinned["pin"] != mark.version and _minor(pinned["pin"]) == mark.release:
            # the library of this release's time pins its other patch: our run's choice, not the release's
            kept = PATCH_KEPT.get((pinned["fw"], mark.release))
            return (
                f"{pinned['lib']} {pinned['libv']}, made for this release, pins {pinned['fw']} {pinned['pin']},"
                f" and this run took {mark.version}" + (f" ({kept})" if kept else "")
                + ": a limit of our run, not of this release"
            )  # fmt: skip
        broken = _IMPORTS_BADLY.search(mark.detail or "")
        if broken or _NEEDS_NEWER.search(mark.detail or ""):
            # installed, but it does not import beside this release (an older judging filed it as missing)
            return _installed_but_broken(mark, broken[1] if broken else package)
        lacks = _WANTED.search(mark.detail or "")
        if lacks and lacks[4] and package and lacks[4].split(".")[0] == package and not mark.left_out:
            # installed, but older than the API our cell calls: our evidence's limit, named as such
            return (
                f"{package} installed here lacks {lacks[4]}.{lacks[3]}, which our cell calls (a later"
                f" {package} release brought it): a limit of our evidence, not of this release"
            )
        who = package or "a library the evidence needs"
        left = mark.left_out or ""
        if left.startswith("needs Keras 3"):  # the run left it out for the reason the Keras 2 words give
            return _needs_keras_3(package)
        if said := re.match(r"installs but does not work here \((.+?) tried\): (.+)$", left, re.S):
            return (
                f"{who} does not import beside this release ({said[2]}), and its older releases {said[1]} did not"
                " serve either, so the run left it out"
            )
        # pip's first reason is enough for a sentence (the runs table keeps them all)
        why = f" ({left.split('; ')[0]})" if left else ""
        if "shadow the frameworks" in left and mark.beside:
            # nightly TensorFlow packages would replace the pinned one every run of this side holds
            return f"{who} is not installed beside this release{why}: a limit of our run, which holds {mark.beside}"
        if left.startswith("does not install beside the libraries before it"):
            # another evidence library's pins stand in the way, in the one environment a run builds
            return (
                f"{who} is not installed beside this release{why}: a limit of our run, which installs every"
                " evidence library in one environment"
            )
        return f"{who} is not installed beside this release{why}"
    if kind == PACKAGE_MISMATCH and _NEEDS_KERAS_3.search(mark.detail or ""):
        return _needs_keras_3(package)
    if kind == PACKAGE_MISMATCH and mark.library and (package is None or package in ALL_FRAMEWORK_MODULES):
        # "needs a newer torch than this release": only where the release is what it needs newer
        return _library_raised(mark)
    if kind == PACKAGE_MISMATCH and package in ALL_FRAMEWORK_MODULES:
        # the name it wanted, where the error says (Keras 3.15's torch backend reads torch.float8_e4m3fn)
        wanted = _wanted(mark.detail or "")
        name = f" (it {wanted})" if wanted else ""
        return f"a library the evidence needs, installed here, needs a newer {package} than this release{name}"
    if kind == PACKAGE_MISMATCH:
        return _installed_but_broken(mark, package)
    if kind == EARLIER_CELL:
        return "an earlier cell of the notebook failed first"
    if kind in (TIMEOUT, KERNEL_DIED):
        return "the notebook stopped there (a timeout or a crash)"
    if kind in (NOT_STARTED, NOT_EXECUTED, BROKEN_ENVIRONMENT):
        return "the run's environment could not run the notebook"
    return mark.detail or "not checkable here"


def release_verdicts(claim: Claim, side: str, marks: list[Mark]) -> list[ReleaseVerdict]:
    """Each tested release of ``side``'s framework, with the claim's verdict there."""
    eras = claim.history.get(side, ())
    out = []
    for mark in marks:
        era = next((e for e in eras if e.covers(mark.release)), None)
        if mark.outcome == HOLDS:
            problem = None
            if era is not None:
                problem = f"declared {era.verdict} on {era.span} ({era.because}), but the evidence passes there"
            out.append(ReleaseVerdict(mark, claim.verdict, None, "", problem))
        elif mark.outcome == FAILS:
            if era is None:
                problem = f"fails on {mark.release} ({mark.detail}), and no declared history explains it"
                # A stale run's failure is not judged: our cell has changed since it failed.
                note = (
                    f"an earlier version of our cell failed here ({mark.detail}); not judged until it runs again"
                    if mark.stale
                    else mark.detail or ""
                )
                out.append(ReleaseVerdict(mark, None, None, note, problem))
            elif era.cells and mark.cell_tag not in era.cells:
                problem = (
                    f"fails on {mark.release} at {mark.cell_tag!r}, a cell the history of {era.span} does not name"
                )
                out.append(ReleaseVerdict(mark, era.verdict, era, era.because, problem))
            elif era.fails_with and not any(words in (mark.detail or "") for words in era.fails_with):
                expected = " or ".join(repr(words) for words in era.fails_with)
                problem = (
                    f"fails on {mark.release} with {mark.detail!r}, not the failure the history of {era.span}"
                    f" expects ({expected})"
                )
                out.append(ReleaseVerdict(mark, era.verdict, era, era.because, problem))
            else:
                out.append(ReleaseVerdict(mark, era.verdict, era, era.because))
        elif mark.outcome == COULD_NOT_RUN:
            out.append(ReleaseVerdict(mark, None, era, not_checkable_words(mark)))
        else:
            out.append(ReleaseVerdict(mark, None, era, "not tested"))
    return out


def problems(claim: Claim, side: str, verdicts: list[ReleaseVerdict]) -> list[str]:
    """The contradictions of one side, one line each (current runs only: a stale result fits
    only the notebook that ran)."""
    return [
        f"claim {claim.id!r} ({LABELS[side]} {v.release}): {v.problem}"
        for v in verdicts
        if v.problem and not v.mark.stale
    ]


def since(claim: Claim, verdicts: list[ReleaseVerdict]) -> str | None:
    """The first release from which today's verdict holds through the newest one checked (None
    when no release was checked or the newest one checked disagrees)."""
    checked = [v for v in verdicts if v.checkable]
    if not checked or checked[-1].verdict != claim.verdict:
        return None
    first = checked[-1].release
    for v in reversed(checked):
        if v.verdict != claim.verdict:
            break
        first = v.release
    return first


def _span(releases: list[str]) -> str:
    return releases[0] if len(releases) == 1 else f"{releases[0]}–{releases[-1]}"


def unchecked_notes(verdicts_by_side: dict[str, list[ReleaseVerdict]]) -> dict[tuple[str, str], list[str]]:
    """(side, reason in words) -> the releases that could not be checked for it, in order of
    first use: what a page numbers as notes under a sentence that only points to them."""
    notes: dict[tuple[str, str], list[str]] = {}
    for side, verdicts in verdicts_by_side.items():
        for v in verdicts:
            if not v.checkable and v.mark.outcome == COULD_NOT_RUN:
                notes.setdefault((side, v.note), []).append(v.release)
    return notes


def tested_releases(verdicts: list[ReleaseVerdict]) -> list[str]:
    """The releases a run reached: the list every span of a sentence, and of its notes, is drawn from."""
    return [v.release for v in verdicts if v.mark.outcome != "untested"]


def side_sentence(
    claim: Claim, side: str, verdicts: list[ReleaseVerdict], numbers: dict[tuple[str, str], int] | None = None
) -> str:
    """One side's history in words (without the claim's verdict label). With ``numbers`` ((side,
    reason) -> its note's number), a release that could not be checked points to its note instead
    of repeating the reason: a claim with many such releases keeps a sentence that fits a phone."""
    label = LABELS[side]
    tested = tested_releases(verdicts)
    if not tested:
        return f"not yet run on other {label} releases"
    first = since(claim, verdicts)
    checked = [v for v in verdicts if v.checkable]
    in_eras = {v.release for v in checked if v.era is not None}
    if checked and all(v.verdict == claim.verdict for v in checked) and in_eras:
        # an era with today's verdict is named below with its reason: the rest are named here,
        # so no release is named twice
        plain = {v.release for v in checked} - in_eras
        # every release in an era: the eras' releases are named first, so the sentence starts whole
        parts = [f"on {label} {', '.join(ranges(tested, plain or in_eras))}"]
    elif checked and all(v.verdict == claim.verdict for v in checked):
        parts = [f"on every {label} release checked ({', '.join(ranges(tested, {v.release for v in checked}))})"]
    elif first:
        # "since 2.18" alone would say it did not hold before an era in the middle of the window
        spans = ranges(tested, {v.release for v in checked if v.verdict == claim.verdict})
        parts = [f"since {label} {first}" if len(spans) == 1 else f"on {label} {', '.join(spans)}"]
    else:
        parts = [f"not on the newest {label} release checked"]
    seen = []
    for v in verdicts:
        if v.era is not None and v.era not in seen and v.verdict is not None:
            seen.append(v.era)
    for era in seen:
        releases = [v.release for v in verdicts if v.era == era and v.checkable]
        was = VERDICT[era.verdict].label.lower() + (" too" if era.verdict == claim.verdict else "")
        parts.append(f"on {label} {', '.join(ranges(tested, set(releases)))} the verdict was {was}: {era.because}")
    reasons = {note: releases for (_, note), releases in unchecked_notes({side: verdicts}).items()}
    if numbers is None:
        for note, releases in reasons.items():
            parts.append(f"not checkable here on {label} {', '.join(ranges(tested, set(releases)))}: {note}")
    elif reasons:
        pointed = sorted(
            (release_key(r), f"{span} (note {numbers[(side, note)]})")
            for note, releases in reasons.items()
            for r, span in _first_of_spans(tested, releases)
        )
        parts.append(f"not checkable here on {label} " + ", ".join(text for _, text in pointed))
    return "; ".join(parts)


def _first_of_spans(tested: list[str], releases: list[str]) -> list[tuple[str, str]]:
    """(first release, span) for each run of consecutive tested releases among ``releases``."""
    return [(span.split("–")[0], span) for span in ranges(tested, set(releases))]


def sentence(
    claim: Claim,
    verdicts_by_side: dict[str, list[ReleaseVerdict]],
    numbers: dict[tuple[str, str], int] | None = None,
) -> str:
    """The claim's verdict over releases, in words: "Outdated since TensorFlow 2.16; on
    TensorFlow 2.12–2.15 the verdict was holds: tf.estimator still shipped; on every PyTorch release
    checked (2.0–2.15)."."""
    label = VERDICT[claim.verdict].label
    sides = [s for s, verdicts in verdicts_by_side.items() if verdicts]
    if not sides:
        return "Not yet run on other releases."
    every = [v for s in sides for v in verdicts_by_side[s]]
    # An era with today's verdict is still history (the same verdict, for a reason of its own):
    # it is named, not folded into "on every release checked".
    clean = all(v.verdict == claim.verdict or v.mark.outcome == "untested" for v in every) and not any(
        v.era is not None and v.verdict is not None for v in every
    )
    if clean:
        checked = {s: [v.release for v in verdicts_by_side[s] if v.checkable] for s in sides}
        spans = " and ".join(f"{LABELS[s]} {_span(releases)}" for s, releases in checked.items() if releases)
        return f"{label} on every release checked: {spans}."
    return f"{label} " + "; ".join(side_sentence(claim, s, verdicts_by_side[s], numbers) for s in sides) + "."


def release_problems(registry, matrix, hashes: dict[str, str]) -> list[str]:
    """Every contradiction between the committed matrix results and the declared histories, over
    all claims (results older than their notebook are left out: a refresh judges them)."""
    found = []
    for claim in registry:
        for side in (s for s in ("tensorflow", "pytorch") if s in claim.evidence and s in matrix.runs):
            ev = claim.evidence[side]
            if ev.untestable:
                continue
            marks = matrix.marks(claim.id, side, ev.notebook, hashes.get(ev.notebook))
            found += problems(claim, side, release_verdicts(claim, side, marks))
    return found
