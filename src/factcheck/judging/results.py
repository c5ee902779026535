"""Run results: what one execution of every evidence notebook said about every claim side.

A *run* executes the notebooks in one environment: a release of one framework with the other
beside it (the version matrix, factcheck/matrix/), or the newest release of everything (the
drift report, ``make test-latest``). Its result is data, one JSON file per run
(``data/version-matrix/torch-2.3.json``), defined here as dataclasses with ``to_json`` /
``from_json`` and checked against ``schemas/result.schema.json``.

Each claim side (its ``evidence.tensorflow`` or ``evidence.pytorch`` cells; ``both`` cells are
not judged) gets one of three outcomes (classify.py decides, blame.py reads the errors):

- ``holds``: every cell of that side ran and raised nothing;
- ``fails``: one of the side's own cells raised (an assert, or an error of the framework itself,
  such as ``AttributeError: module 'torch' has no attribute 'export'``);
- ``could-not-run``: the evidence never got a fair try, with a ``Reason``.

``could-not-run`` is never a failure: it says nothing about the claim. Everything here is a pure
function of plain data, so the site reads result files without running anything.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from .. import schemas
from ..vocabulary import (
    FAILS,
    FRAMEWORK_IDS,
    HOLDS,
    JUDGED,
    KERNEL_DIED,
    NOT_EXECUTED,
    NOT_STARTED,
    RAN,
    TIMEOUT,
)

SCHEMA_VERSION = 1
OUTCOMES = JUDGED
SIDES = FRAMEWORK_IDS  # registry framework keys; "both" is shown, never judged

# Why a side could not run (a Reason's kind); the schema lists the same words.
MISSING_PACKAGE = "missing-package"  # ImportError of a package the environment lacks
# Two installed libraries that do not agree: one calls an attribute the other lacks in the
# release the run could install (onnx wants ml_dtypes.float4_e2m1fn; TF 2.16 holds ml_dtypes
# at 0.3). Not the framework's API and not our code: the claim was not tested.
PACKAGE_MISMATCH = "package-mismatch"
EARLIER_CELL = "earlier-cell-failed"  # a cell before the evidence raised (setup, or another claim's)
BROKEN_ENVIRONMENT = "broken-environment"  # the environment check failed: nothing was judged
# The release refuses the matrix's Python (torch 2.0's torch.compile on 3.11): not checkable here.
UNSUPPORTED_PYTHON = "unsupported-python"
# The API the claim is about is not in this release (keras.ops before Keras 3): the cell says so
# itself, raising "not in this release: <what arrived when>" (blame.not_in_release). Not checkable.
NOT_IN_RELEASE = "not-in-release"
REASON_KINDS = (
    MISSING_PACKAGE,
    PACKAGE_MISMATCH,
    EARLIER_CELL,
    TIMEOUT,
    KERNEL_DIED,
    NOT_STARTED,
    NOT_EXECUTED,
    BROKEN_ENVIRONMENT,
    UNSUPPORTED_PYTHON,
    NOT_IN_RELEASE,
)

# Run statuses: "complete" (environment checked, notebooks executed, claims judged),
# "broken-environment" (installed, but a framework's native ops did not load: every side is
# could-not-run), "install-failed" (no environment could be built).
RUN_STATUSES = ("complete", "broken-environment", "install-failed")
RUN_KINDS = ("matrix", "drift")

# Notebook statuses: how its execution ended (vocabulary's run endings; errors are allowed, so
# "ran" may hold errors), or never executed.
NOTEBOOK_STATUSES = (RAN, TIMEOUT, KERNEL_DIED, NOT_STARTED, NOT_EXECUTED)


@dataclass(frozen=True)
class Reason:
    kind: str  # one of REASON_KINDS
    detail: str  # one line a reader can act on
    cell: int | None = None  # 1-based position among all cells of the notebook, when one is to blame
    package: str | None = None  # the package to blame, for MISSING_PACKAGE and PACKAGE_MISMATCH


@dataclass(frozen=True)
class SideResult:
    outcome: str  # holds | fails | could-not-run
    cells: tuple[str, ...] = ()  # the side's cell tags
    error: str | None = None  # fails: the first error line, "AssertionError: ..."
    cell: int | None = None  # fails: 1-based position of the cell that raised
    reason: Reason | None = None  # could-not-run: why
    untestable: bool = False  # the registry marks this side untestable (judged all the same)


@dataclass
class NotebookResult:
    notebook: str  # relative to notebooks/
    status: str  # one of NOTEBOOK_STATUSES
    source_hash: str  # notebook_source_hash of the notebook that ran
    seconds: float | None = None
    cell: int | None = None  # where execution stopped (timeout, dead kernel), 1-based
    detail: str | None = None
    errors: list[dict] = field(default_factory=list)  # [{"cell": 5, "tags": [...], "error": "..."}]
    ran_on: str | None = None  # ISO date when re-executed after the run (`--refresh`); None: the run's date


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class PackageStatus:
    """One package the run cares about: what it got next to the newest release, and why."""

    package: str
    got: str | None
    newest: str | None
    reason: str = ""  # empty when got == newest


@dataclass
class LeftOut:
    package: str
    reason: str  # the resolver's key line, or why it was not tried


@dataclass
class Environment:
    python: str
    packages: dict[str, str]  # pip freeze: name -> version
    frameworks: list[PackageStatus]  # torch, torchvision, tensorflow-cpu, keras (+ numpy)
    other_framework: dict  # {"package", "pinned", "got", "reason", "attempts": [{"version", "error"}]}
    left_out: list[LeftOut]
    checks: list[Check]
    caps: list[str] = field(default_factory=list)  # constraints or machine caps in force, and how handled
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class RunResult:
    kind: str  # "matrix" | "drift"
    framework: str  # "torch" | "tensorflow" ("all" for a drift run)
    requested: str  # "2.3" (a minor release) or "newest"
    got: dict[str, str | None]  # {"torch": "2.3.1", "tensorflow": "2.21.0"}
    date: str  # ISO date of the run
    status: str  # one of RUN_STATUSES
    wall: dict[str, float]  # seconds: total, install, check, execute
    environment: Environment | None
    notebooks: dict[str, NotebookResult]
    claims: dict[str, dict[str, SideResult]]  # claim id -> side -> result
    disk: dict[str, float] = field(default_factory=dict)  # GB: free_at_start, peak_used, env, wheelhouse
    machine: dict = field(default_factory=dict)
    schema: int = SCHEMA_VERSION

    @property
    def name(self) -> str:
        return result_name(self.framework, self.requested)

    def counts(self) -> dict[str, int]:
        return count_outcomes(self.claims)

    def to_json(self) -> dict:
        data = asdict(self)
        data = {"schema": data.pop("schema"), **data, "counts": self.counts()}
        return _plain(data)

    @classmethod
    def from_json(cls, data: dict) -> RunResult:
        validate(data)
        env = data.get("environment")
        environment = None
        if env is not None:
            environment = Environment(
                python=env["python"],
                packages=dict(env["packages"]),
                frameworks=[PackageStatus(**p) for p in env["frameworks"]],
                other_framework=dict(env["other_framework"]),
                left_out=[LeftOut(**x) for x in env["left_out"]],
                checks=[Check(**c) for c in env["checks"]],
                caps=list(env.get("caps", [])),
                notes=list(env.get("notes", [])),
            )
        return cls(
            kind=data["kind"],
            framework=data["framework"],
            requested=data["requested"],
            got=dict(data["got"]),
            date=data["date"],
            status=data["status"],
            wall=dict(data["wall"]),
            environment=environment,
            notebooks={k: NotebookResult(**v) for k, v in data["notebooks"].items()},
            claims={
                cid: {side: _side_from_json(s) for side, s in sides.items()} for cid, sides in data["claims"].items()
            },
            disk=dict(data.get("disk", {})),
            machine=dict(data.get("machine", {})),
            schema=data["schema"],
        )

    @classmethod
    def load(cls, path: Path) -> RunResult:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def _side_from_json(data: dict) -> SideResult:
    reason = data.get("reason")
    return SideResult(
        outcome=data["outcome"],
        cells=tuple(data.get("cells", ())),
        error=data.get("error"),
        cell=data.get("cell"),
        reason=Reason(**reason) if reason else None,
        untestable=data.get("untestable", False),
    )


def _plain(value):
    """Tuples to lists, and drop None fields of reasons and sides to keep files short."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def result_name(framework: str, requested: str) -> str:
    """The result file's stem: ``torch-2.3``, ``tensorflow-2.13``, ``all-newest``."""
    return f"{framework}-{requested}"


def count_outcomes(claims: dict[str, dict[str, SideResult]]) -> dict[str, int | float]:
    counts: dict[str, int | float] = dict.fromkeys(OUTCOMES, 0)
    for sides in claims.values():
        for side in sides.values():
            counts[side.outcome] += 1
    total = sum(counts[o] for o in OUTCOMES)
    counts["total"] = total
    counts["decided_share"] = round((counts[HOLDS] + counts[FAILS]) / total, 4) if total else 0.0
    return counts


class ResultError(ValueError):
    """A result file that does not match the schema (a partial write, an older schema)."""


@cache
def result_schema() -> dict:
    return json.loads(resources.files(schemas).joinpath("result.schema.json").read_text())


def validate(data: dict) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(result_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message[:200]}" for e in errors[:10]]
        raise ResultError("run result does not match the schema:\n" + "\n".join(lines))


def read_result(path: Path) -> RunResult | None:
    """The result in ``path``, or None when it is absent, partial or of another schema
    (a run to redo)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return RunResult.load(path)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_result(result: RunResult, path: Path) -> Path:
    """Write atomically: a crash leaves the old file or none, never half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = result.to_json()
    validate(data)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def stale_notebooks(result: RunResult, current_hashes: dict[str, str]) -> list[str]:
    """Notebooks whose code changed since ``result`` was computed (or that it never ran)."""
    return sorted(
        rel
        for rel, digest in current_hashes.items()
        if rel not in result.notebooks or result.notebooks[rel].source_hash != digest
    )


def load_results(directory: Path) -> list[RunResult]:
    """Every valid result file in ``directory`` (partial or foreign files are skipped)."""
    results = []
    for path in sorted(Path(directory).glob("*.json")):
        result = read_result(path)
        if result is not None:
            results.append(result)
    return results
