"""Why a claim side came out holds, fails or could-not-run on a run: the rules, in the order
they are applied (``classify_side``), on one executed notebook.

1. The notebook never started, the run never executed it, or the environment was broken:
   could-not-run, with that reason.
2. Execution stopped (a timeout, a dead kernel) at or before one of the side's cells:
   could-not-run; a side cell never executed: could-not-run.
3. No cell of the side raised: holds.
4. The side's first error lacks a package or shows two packages disagreeing (blame.py):
   could-not-run, naming the package.
5. An earlier cell raised first, and the side's error follows from it (a setup cell failed,
   an earlier cell lacked a package, or the side lacks a name that cell should have defined):
   could-not-run, naming that cell. An untagged cell that only lacks a name an earlier claim
   cell failed to define is that claim's consequence, not a failed setup.
6. Otherwise: fails, with the error line and the cell.

``classify_claims`` applies it to every claim side of a registry; ``rebuild_executed`` rebuilds
an executed notebook from a result file's recorded errors, so old runs are judged again under
new rules without executing anything; ``notebook_result`` records one execution.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from ..sources.notebooks import read_notebook
from ..vocabulary import COULD_NOT_RUN, FAILS, HOLDS, KERNEL_DIED, NOT_EXECUTED, NOT_STARTED, TIMEOUT
from .blame import (
    FRAMEWORK_MODULES,
    _claim_consequence,
    _describe,
    _likely_cause,
    _mismatch,
    _source,
    _tags,
    cell_error,
    error_line,
    failure_reads,
    incompatible_library,
    is_missing_package,
    missing_module,
    names_read,
    names_written,
    not_in_release,
    notebook_errors,
    raising_library,
    unsupported_python,
)
from .results import (
    BROKEN_ENVIRONMENT,
    EARLIER_CELL,
    MISSING_PACKAGE,
    NOT_IN_RELEASE,
    PACKAGE_MISMATCH,
    REASON_KINDS,
    SIDES,
    UNSUPPORTED_PYTHON,
    NotebookResult,
    Reason,
    SideResult,
)


def classify_side(
    nb,
    tags: Iterable[str],
    status: str = "ran",
    stopped_at: int | None = None,
    detail: str | None = None,
    untestable: bool = False,
) -> SideResult:
    """Judge one claim side from an executed notebook.

    ``status`` and ``stopped_at`` (1-based) come from the execution: "ran", or where a timeout
    or dead kernel stopped it. ``nb`` may be None when the notebook never started.
    """
    tags = tuple(tags)

    def cannot(kind, text, cell=None, package=None):
        return SideResult(COULD_NOT_RUN, tags, reason=Reason(kind, text, cell, package), untestable=untestable)

    if status in (NOT_STARTED, NOT_EXECUTED, BROKEN_ENVIRONMENT) or nb is None:
        kind = status if status in REASON_KINDS and status != "ran" else NOT_STARTED
        return cannot(kind, detail or "the notebook did not run")
    cells = nb.get("cells", [])
    where: dict[str, int] = {}
    for index, cell in enumerate(cells):
        for tag in _tags(cell):
            where.setdefault(tag, index)
    missing = [t for t in tags if t not in where]
    if missing:
        return cannot(NOT_STARTED, f"no cell tagged {', '.join(missing)} in the executed notebook")
    indices = sorted(where[t] for t in tags)
    own = set(indices)

    # 1. Execution stopped (timeout, dead kernel) at or before one of the side's cells.
    for i in indices:
        if status in (TIMEOUT, KERNEL_DIED) and stopped_at is not None and i + 1 >= stopped_at:
            what = "timed out" if status == TIMEOUT else "killed the kernel"
            at = "this side's" if stopped_at - 1 in own else "an earlier"
            text = f"{at} cell {stopped_at} {what}"
            return cannot(status, f"{text}: {detail}" if detail else text, stopped_at)
        if cells[i].get("execution_count") is None:
            return cannot(NOT_EXECUTED, f"cell {i + 1} was never executed", i + 1)

    # 2. The side's cells ran: did any raise?
    first = None
    for i in indices:
        err = cell_error(cells[i])
        if err is not None:
            first = (i, err)
            break
    if first is None:
        return SideResult(HOLDS, tags, untestable=untestable)
    i, err = first
    line = error_line(err)
    if (absent := not_in_release(err)) is not None:
        return cannot(NOT_IN_RELEASE, f"cell {i + 1}: {absent}", i + 1)
    if (python := unsupported_python(err)) is not None:
        why = f"refused on Python {python}, on which the matrix runs every release"
        return cannot(UNSUPPORTED_PYTHON, f"cell {i + 1}: {line} ({why})", i + 1)
    if (library := incompatible_library(err)) is not None:
        why = " (installed, but it does not work with this release)"
        return cannot(PACKAGE_MISMATCH, f"cell {i + 1}: {line}{why}", i + 1, library.split(".")[0] or None)
    if is_missing_package(err):
        module = missing_module(err) or None
        package = module.split(".")[0] if module else None
        return cannot(MISSING_PACKAGE, f"cell {i + 1}: {line}", i + 1, package)
    source = "\n".join(_source(c) for c in cells if c.get("cell_type") == "code")
    if (blamed := _mismatch(err, source)) is not None:
        blamed = blamed.split(".")[0]
        # the library whose code raised, where a quoted child traceback names it (Keras on torch)
        library = raising_library(err, besides=blamed or None)
        if blamed in FRAMEWORK_MODULES:
            who = f"{library}, installed here, which" if library else "an installed library that"
            why = f" (from {who} needs a newer {blamed})"
        elif blamed:
            why = ""
        else:
            who = f"{library}, installed here," if library else "an installed library"
            why = f" ({who} calls an API of a newer release)"
        return cannot(PACKAGE_MISMATCH, f"cell {i + 1}: {line}{why}", i + 1, blamed or None)

    # 3. Was it a consequence of an earlier cell that raised?
    earlier = [(j, cell_error(cells[j])) for j in range(i) if j not in own and cells[j].get("cell_type") == "code"]
    earlier = [(j, e) for j, e in earlier if e is not None]
    # A setup cell that raised leaves the notebook without what the evidence builds on: whatever
    # the side's cell then raises is not the claim. An earlier claim cell that lacked a package
    # counts only where the side reads what that cell writes (its own failure is never hidden
    # behind an unrelated cell). An untagged cell that only lacks a name an earlier claim cell
    # failed to define (a cell recording that claim's figures) is that claim's consequence.
    setup_failed = [(j, e) for j, e in earlier if not _tags(cells[j]) and not _claim_consequence(j, e, cells)]
    reads = failure_reads(_source(cells[i]), line)
    if reads is None:
        reads = names_read(_source(cells[i]))
    lacking = [
        (j, e)
        for j, e in earlier
        if (is_missing_package(e) or _mismatch(e, source) is not None or incompatible_library(e) is not None)
        and (names_written(_source(cells[j])) & reads)
    ]
    consequence = err.get("ename") in ("NameError", "UnboundLocalError")
    if setup_failed or lacking or (earlier and consequence):
        if setup_failed or lacking:
            j, e = sorted(setup_failed + lacking, key=lambda je: je[0])[0]
        else:
            j, e = _likely_cause(err, earlier, cells)
        if not_in_release(e) is not None:
            kind, module = NOT_IN_RELEASE, None
        elif unsupported_python(e) is not None:
            kind, module = UNSUPPORTED_PYTHON, None
        elif incompatible_library(e) is not None:
            kind, module = PACKAGE_MISMATCH, incompatible_library(e) or None
        elif is_missing_package(e):
            kind, module = MISSING_PACKAGE, missing_module(e)
        elif _mismatch(e, source) is not None:
            kind, module = PACKAGE_MISMATCH, _mismatch(e, source)
        else:
            kind, module = EARLIER_CELL, None
        return cannot(
            kind,
            f"{_describe(j, cells[j])} raised {error_line(e)}; then cell {i + 1}: {line}",
            j + 1,
            module.split(".")[0] if module else None,
        )
    return SideResult(FAILS, tags, error=line, cell=i + 1, untestable=untestable)


def rebuild_executed(source_nb, record: NotebookResult) -> dict:
    """An executed notebook as far as classification needs it, rebuilt from ``record`` (its
    per-cell errors) and the source notebook it ran: judge old runs again under new rules
    without executing anything. Only valid while the source hash matches."""
    cells = []
    stopped = record.cell if record.status in (TIMEOUT, KERNEL_DIED) else None
    errors = {e["cell"]: e for e in record.errors}
    for index, cell in enumerate(source_nb.get("cells", [])):
        cell = dict(cell)
        if cell.get("cell_type") == "code":
            ran = record.status in ("ran", TIMEOUT, KERNEL_DIED) and (stopped is None or index + 1 <= stopped)
            cell["execution_count"] = index + 1 if ran else None
            cell["outputs"] = []
            if index + 1 in errors:
                ename, _, evalue = errors[index + 1]["error"].partition(": ")
                output = {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}
                if errors[index + 1].get("raised_in"):
                    output["raised_in"] = errors[index + 1]["raised_in"]
                cell["outputs"] = [output]
        cells.append(cell)
    return {"cells": cells, "metadata": dict(source_nb.get("metadata", {}))}


def classify_claims(
    registry,
    executed: dict[str, object],
    notebooks: dict[str, NotebookResult],
    broken: str | None = None,
) -> dict[str, dict[str, SideResult]]:
    """Every claim side of ``registry``: ``executed`` maps a notebook to its executed copy (a
    notebook node or dict), ``notebooks`` to its execution record. ``broken``: the environment
    check failed with this message, so nothing is judged."""
    out: dict[str, dict[str, SideResult]] = {}
    for claim in registry:
        sides = {}
        for side in SIDES:
            ev = claim.evidence.get(side)
            if ev is None:
                continue
            untestable = bool(ev.untestable)
            if broken:
                sides[side] = SideResult(
                    COULD_NOT_RUN, tuple(ev.cells), reason=Reason(BROKEN_ENVIRONMENT, broken), untestable=untestable
                )
                continue
            record = notebooks.get(ev.notebook)
            if record is None:
                sides[side] = classify_side(
                    None, ev.cells, NOT_EXECUTED, detail="the run did not execute it", untestable=untestable
                )
                continue
            sides[side] = classify_side(
                executed.get(ev.notebook), ev.cells, record.status, record.cell, record.detail, untestable
            )
        out[claim.id] = sides
    return out


def notebook_result(
    rel: str, executed: Path, source_hash: str, scrub: Callable[[str | None], str | None] = lambda s: s
) -> tuple[NotebookResult | None, object | None]:
    """One execution, recorded: the executed copy at ``executed`` and the outcome beside it
    (run/executor.py's ``execute_into``) as a ``NotebookResult`` with every cell's error line
    (``scrub``: machine paths out), and the executed notebook (None when it is missing)."""
    outcome_path = Path(executed).with_suffix(".outcome.json")
    if not outcome_path.is_file():
        return None, None
    outcome = json.loads(outcome_path.read_text())
    nb = read_notebook(Path(executed)) if Path(executed).is_file() else None
    stopped = outcome["status"] in (TIMEOUT, KERNEL_DIED) and outcome.get("cell") is not None
    seconds = outcome.get("seconds")
    record = NotebookResult(
        notebook=rel,
        status=outcome["status"],
        source_hash=source_hash,
        seconds=round(seconds, 2) if seconds is not None else None,
        cell=outcome["cell"] + 1 if stopped else None,
        detail=scrub(outcome.get("error")),
        errors=[dict(e, error=scrub(e["error"])) for e in (notebook_errors(nb) if nb else [])],
    )
    return record, nb
