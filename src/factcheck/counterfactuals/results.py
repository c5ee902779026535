"""Counterfactual results: one JSON file per notebook, ``data/counterfactuals/<notebook>.json``,
checked against ``schemas/counterfactuals.schema.json``.

Each result says what one counterfactual did to one claim side's evidence:

- ``failed``: a cell of the side raised (the evidence was seen to fail: what we want);
- ``survived``: every cell of the side still passed (the evidence cannot see this change);
- ``broken``: the injected code itself raised (the counterfactual needs mending);
- ``could-not-run``: the side's cells never got a fair try (an earlier cell failed first).

A result is current while the notebook's code hash and the counterfactual's digest (its code,
its ``before`` and the side's cells) are those it ran with.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from .. import schemas

FAILED, SURVIVED, BROKEN, COULD_NOT_RUN = "failed", "survived", "broken", "could-not-run"
OUTCOMES = (FAILED, SURVIVED, BROKEN, COULD_NOT_RUN)
SCHEMA_VERSION = 1


def digest(code: str, before: str | None, cells: tuple[str, ...]) -> str:
    """What a result was computed from, besides the notebook: the injected code, where it went
    and which cells were judged."""
    return hashlib.sha256(json.dumps([code, before, list(cells)]).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CounterfactualResult:
    claim: str
    side: str
    index: int  # position among the side's counterfactuals
    condition: str  # the "if", as it ran
    digest: str
    outcome: str  # one of OUTCOMES
    cell: str | None = None  # failed: the tag of the side's cell that raised
    error: str | None = None  # failed, broken: the error line; could-not-run: why
    checked_on: str = ""  # ISO date of the run


@dataclass
class NotebookCounterfactuals:
    notebook: str  # relative to notebooks/
    code_hash: str  # the notebook revision the results ran against (run/cache.py's code_hash)
    versions: dict[str, str | None]  # torch, tensorflow, keras, python
    results: list[CounterfactualResult] = field(default_factory=list)
    schema: int = SCHEMA_VERSION

    def to_json(self) -> dict:
        data = asdict(self)
        return {"schema": data.pop("schema"), **data}

    @classmethod
    def from_json(cls, data: dict) -> NotebookCounterfactuals:
        validate(data)
        return cls(
            notebook=data["notebook"],
            code_hash=data["code_hash"],
            versions=dict(data["versions"]),
            results=[CounterfactualResult(**r) for r in data["results"]],
            schema=data["schema"],
        )


@cache
def counterfactuals_schema() -> dict:
    return json.loads(resources.files(schemas).joinpath("counterfactuals.schema.json").read_text())


class CounterfactualsError(ValueError):
    """A counterfactuals file that does not match the schema."""


def validate(data: dict) -> None:
    import jsonschema

    errors = sorted(
        jsonschema.Draft202012Validator(counterfactuals_schema()).iter_errors(data),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message[:200]}" for e in errors[:10]]
        raise CounterfactualsError("counterfactuals file does not match the schema:\n" + "\n".join(lines))


def result_path(out_dir: Path, notebook: str) -> Path:
    return Path(out_dir) / (notebook.removesuffix(".ipynb") + ".json")


def read(out_dir: Path, notebook: str) -> NotebookCounterfactuals | None:
    """The notebook's results, or None when absent or unreadable (to run again)."""
    path = result_path(out_dir, notebook)
    if not path.is_file():
        return None
    try:
        return NotebookCounterfactuals.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(out_dir: Path, results: NotebookCounterfactuals) -> Path:
    """Atomically: a stopped run leaves the old file or none."""
    path = result_path(out_dir, results.notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = results.to_json()
    validate(data)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load_all(out_dir: Path) -> dict[str, NotebookCounterfactuals]:
    """Every notebook's results in ``out_dir`` (notebook -> results)."""
    found = {}
    for path in sorted(Path(out_dir).rglob("*.json")):
        try:
            data = NotebookCounterfactuals.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        found[data.notebook] = data
    return found
