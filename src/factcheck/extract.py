"""Pick a claim's evidence cells out of executed notebooks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import EvidenceError
from .notebooks import cell_tags, has_assertion, read_notebook, tagged_cells

VALUE_MIME = "application/vnd.framework-facts.value+json"
MEASUREMENT_TAG = "measurement"  # a cell whose output holds timings or sizes that vary per run


@dataclass(frozen=True)
class EvidenceCell:
    notebook: str
    tag: str
    index: int  # 0-based position among all cells
    source: str
    outputs: tuple  # nbformat output dicts, as executed
    execution_count: int | None
    seconds: float | None
    measured: bool = False  # tagged "measurement": a timing or size that varies from run to run

    @property
    def asserts(self) -> bool:
        return has_assertion(self.source)


def _duration(cell) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    try:
        start = dt.datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return (end - start).total_seconds()


@lru_cache(maxsize=64)
def _load(path: Path, mtime: float):
    return read_notebook(path)


def load_executed(path: Path):
    return _load(Path(path), Path(path).stat().st_mtime)


def evidence_cells(executed_path: Path, notebook: str, tags) -> list[EvidenceCell]:
    """The executed cells carrying ``tags``, in the order the tags are given."""
    nb = load_executed(executed_path)
    index = tagged_cells(nb)
    cells = []
    for tag in tags:
        if tag not in index:
            raise EvidenceError(f"notebooks/{notebook}: no executed cell tagged {tag!r}")
        i = index[tag]
        cell = nb.cells[i]
        cells.append(
            EvidenceCell(
                notebook=notebook,
                tag=tag,
                index=i,
                source=cell.source,
                outputs=tuple(cell.get("outputs", ())),
                execution_count=cell.get("execution_count"),
                seconds=_duration(cell),
                measured=MEASUREMENT_TAG in cell_tags(cell),
            )
        )
    return cells


def check_evidence_ran(claim_id: str, framework: str, cells: list[EvidenceCell], require_assert: bool = True) -> None:
    """Evidence must have executed (an execution count and a recorded duration), without errors,
    and assert something that could fail."""
    for cell in cells:
        where = f"notebooks/{cell.notebook} cell {cell.index + 1} ({cell.tag!r})"
        if cell.execution_count is None:
            raise EvidenceError(f"claim {claim_id!r} ({framework}): {where} was never executed")
        if cell.seconds is None:
            raise EvidenceError(
                f"claim {claim_id!r} ({framework}): {where} has no recorded duration"
                " (executed outside the engine, or its timing metadata was stripped)"
            )
        if any(o.get("output_type") == "error" for o in cell.outputs):
            raise EvidenceError(f"claim {claim_id!r} ({framework}): {where} holds an error output")
        if not cell.source.strip():
            raise EvidenceError(f"claim {claim_id!r} ({framework}): {where} is empty")
    if require_assert and not any(c.asserts for c in cells):
        raise EvidenceError(
            f"claim {claim_id!r} ({framework}): none of its cells "
            f"({', '.join(c.tag for c in cells)}) asserts anything, so the evidence cannot fail"
        )


def recorded_values(executed_path: Path) -> dict[str, dict]:
    """Values a notebook published with ``factcheck.notebook.record`` (name -> payload)."""
    nb = load_executed(executed_path)
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", ()):
            payload = output.get("data", {}).get(VALUE_MIME)
            if payload:
                values[payload["name"]] = dict(payload)
    return values
