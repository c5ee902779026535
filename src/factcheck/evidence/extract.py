"""Pick a claim's evidence cells and recorded values out of executed notebooks.

A build reads each executed notebook once, into an ``ExecutedNotebook``: its evidence cells, the
values its cells recorded and the code the assert checks read all come from that one copy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import EvidenceError
from ..sources.notebooks import cell_tags, has_assertion, read_notebook, tagged_cells
from ..vocabulary import MEASUREMENT_TAG, VALUE_MIME


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


@dataclass
class ExecutedNotebook:
    """One executed notebook (``rel`` relative to notebooks/), read once per build."""

    rel: str
    path: Path
    nb: object  # nbformat.NotebookNode

    @classmethod
    def read(cls, executed_path: Path, rel: str) -> ExecutedNotebook:
        if not Path(executed_path).is_file():
            raise EvidenceError(f"notebooks/{rel}: no executed copy (run the executor first)")
        return cls(rel, Path(executed_path), load_executed(executed_path))

    def cells(self, tags) -> list[EvidenceCell]:
        return _cells(self.nb, self.rel, tags)

    def values(self) -> dict[str, dict]:
        return _values(self.nb)

    def code_sources(self) -> list[str]:
        """The code of every cell, by position ('' for Markdown), for the static assert checks."""
        return [c.source if c.cell_type == "code" else "" for c in self.nb.cells]


def evidence_cells(executed_path: Path, notebook: str, tags) -> list[EvidenceCell]:
    """The executed cells carrying ``tags``, in the order the tags are given."""
    return _cells(load_executed(executed_path), notebook, tags)


def _cells(nb, notebook: str, tags) -> list[EvidenceCell]:
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


def _values(nb) -> dict[str, dict]:
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", ()):
            payload = output.get("data", {}).get(VALUE_MIME)
            if payload:
                values[payload["name"]] = dict(payload)
    return values
