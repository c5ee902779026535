"""Running counterfactuals: what needs running, the tasks for the one executor, and the verdict
on each executed copy.

Each counterfactual is one execution of its notebook, cut after the side's last evidence cell
(nothing later can change the side's outcome) with the counterfactual's code injected as a cell
before the cell its ``before`` names (``start``: right after the generated cells; by default the
side's first evidence cell). The executed copy is then judged by the same rules as a matrix run
(judging/classify.py): the side must come out ``fails``.
"""

from __future__ import annotations

import datetime as dt
import platform
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..judging.blame import cell_error, error_line
from ..judging.classify import classify_side
from ..publish.wheel import build_wheel, fwbench_version, wheel_name
from ..run.cache import code_hash
from ..run.executor import DEFAULT_CELL_TIMEOUT, INJECTED_TAG, Outcome, Task, execute_into
from ..run.sanitize import machine_paths, sanitize_text
from ..run.versions import package_version
from ..sources.notebooks import cell_tags, notebook_settings, read_notebook, tagged_cells
from ..sources.registry import Counterfactual, Registry
from ..sources.support import GENERATED_TAGS, needs_fwbench
from ..vocabulary import FAILS, FRAMEWORK_IDS, HOLDS
from . import results as cf
from .results import CounterfactualResult, NotebookCounterfactuals


@dataclass(frozen=True)
class Item:
    """One counterfactual of one claim side."""

    claim: str
    side: str
    index: int
    counterfactual: Counterfactual
    cells: tuple[str, ...]  # the side's evidence cells

    @property
    def digest(self) -> str:
        return cf.digest(self.counterfactual.code, self.counterfactual.before, self.cells)

    @property
    def name(self) -> str:
        return f"{self.claim}-{self.side}-{self.index}"


def items_by_notebook(registry: Registry, claim: str | None = None) -> dict[str, list[Item]]:
    """Every declared counterfactual, grouped by the notebook it runs in."""
    out: dict[str, list[Item]] = {}
    for c in registry:
        if claim and c.id != claim:
            continue
        for side in FRAMEWORK_IDS:
            ev = c.evidence.get(side)
            for i, counterfactual in enumerate(ev.counterfactuals if ev else ()):
                out.setdefault(ev.notebook, []).append(Item(c.id, side, i, counterfactual, ev.cells))
    return out


def current(recorded: NotebookCounterfactuals | None, items: list[Item], notebook_hash: str) -> bool:
    """Whether ``recorded`` holds a result for each item, computed from the notebook as it is."""
    if recorded is None or recorded.code_hash != notebook_hash:
        return False
    have = {(r.claim, r.side, r.index, r.digest) for r in recorded.results}
    return all((i.claim, i.side, i.index, i.digest) in have for i in items)


def current_results(
    registry: Registry, recorded: dict[str, NotebookCounterfactuals], hashes: dict[str, str]
) -> dict[str, dict[str, list[CounterfactualResult]]]:
    """claim -> side -> the results that ran against the notebook and counterfactual as they
    are now (a stale result is left out: the panel shows only what was checked)."""
    out: dict[str, dict[str, list[CounterfactualResult]]] = {}
    for rel, items in items_by_notebook(registry).items():
        data = recorded.get(rel)
        if data is None or data.code_hash != hashes.get(rel):
            continue
        found = {(r.claim, r.side, r.index, r.digest): r for r in data.results}
        for item in items:
            result = found.get((item.claim, item.side, item.index, item.digest))
            if result is not None:
                out.setdefault(item.claim, {}).setdefault(item.side, []).append(result)
    return out


def injection_point(nb, item: Item) -> int:
    """The 0-based position the item's code goes in at (see the module docstring)."""
    tags = tagged_cells(nb)
    before = item.counterfactual.before
    if before == "start":
        generated = [i for i, c in enumerate(nb.cells) if set(cell_tags(c)) & set(GENERATED_TAGS)]
        return (max(generated) + 1) if generated else 1
    if before:
        return tags[before]
    return min(tags[t] for t in item.cells)


def tasks(rel: str, items: list[Item], root: Path, work: Path) -> list[tuple[Item, Task]]:
    """The executor's tasks for one notebook's counterfactuals (executed copies under ``work``)."""
    src = root / "notebooks" / rel
    nb = read_notebook(src)
    settings = notebook_settings(nb)
    wheels: tuple[str, ...] = ()
    package = root / "src" / "fwbench"
    if needs_fwbench(nb) and package.is_dir():
        wheel = work / wheel_name(fwbench_version(package))
        if not wheel.is_file():
            wheel.write_bytes(build_wheel(package, fwbench_version(package)))
        wheels = (str(wheel),)
    tags = tagged_cells(nb)
    out = []
    for item in items:
        last = max(tags[t] for t in item.cells)
        task = Task(
            src=str(src),
            out=str(work / f"{item.name}.ipynb"),
            timeout=int(settings.get("timeout", DEFAULT_CELL_TIMEOUT)),
            exclusive=bool(settings.get("exclusive")),
            blocked=(str(root / "src"),),
            wheels=wheels,
            stop_after=last,
            inject=((injection_point(nb, item), item.counterfactual.code),),
        )
        out.append((item, task))
    return out


def judge(item: Item, nb, outcome: Outcome, today: str, scrub: Callable[[str], str] = lambda s: s):
    """What the counterfactual did to the side's evidence (results.py names the outcomes)."""

    def result(outcome_name: str, cell: str | None = None, error: str | None = None) -> CounterfactualResult:
        return CounterfactualResult(
            item.claim,
            item.side,
            item.index,
            item.counterfactual.condition,
            item.digest,
            outcome_name,
            cell,
            scrub(error) if error else None,
            today,
        )

    if nb is None:
        return result(cf.COULD_NOT_RUN, error=outcome.error or "the notebook did not run")
    injected = next((c for c in nb.cells if INJECTED_TAG in cell_tags(c)), None)
    if injected is not None and cell_error(injected) is not None:
        return result(cf.BROKEN, error=error_line(cell_error(injected)))
    stopped = outcome.cell + 1 if outcome.status in ("timeout", "kernel-died") and outcome.cell is not None else None
    side = classify_side(nb, item.cells, outcome.status, stopped, outcome.error)
    if side.outcome == FAILS:
        tag = next((t for t in cell_tags(nb.cells[side.cell - 1]) if t in item.cells), None)
        return result(cf.FAILED, tag, side.error)
    if side.outcome == HOLDS:
        return result(cf.SURVIVED)
    return result(cf.COULD_NOT_RUN, error=side.reason.detail if side.reason else None)


def run_notebook(
    rel: str, items: list[Item], root: Path, jobs: int = 2, progress: Callable[[str], None] = print
) -> NotebookCounterfactuals:
    """Run every counterfactual of one notebook and judge each one."""
    today = dt.date.today().isoformat()
    paths = machine_paths(root)
    with tempfile.TemporaryDirectory(prefix="counterfactuals-") as tmp:
        work = Path(tmp)
        planned = tasks(rel, items, root, work)
        outcomes = execute_into([task for _, task in planned], jobs, progress)
        judged = []
        for item, task in planned:
            executed = Path(task.out)
            nb = read_notebook(executed) if executed.is_file() else None
            judged.append(judge(item, nb, outcomes[task.out], today, lambda s: sanitize_text(s, paths)))
    versions = {
        "torch": package_version("torch"),
        "tensorflow": package_version("tensorflow-cpu", "tensorflow"),
        "keras": package_version("keras"),
        "python": platform.python_version(),
    }
    return NotebookCounterfactuals(rel, code_hash(read_notebook(root / "notebooks" / rel)), versions, judged)
