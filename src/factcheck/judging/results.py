"""Run results: what one execution of every evidence notebook said about every claim.

A *run* executes the notebooks in one environment: a release of one framework with the
other at its pin (the version matrix, ``tools/matrix.py``), or the newest release of
everything (the drift report, ``make test-latest``). Its result is data, one JSON file per
run (``data/version-matrix/torch-2.3.json``), defined here as dataclasses with
``to_json``/``from_json`` and a JSON-schema check.

Each claim side (its ``evidence.tensorflow`` or ``evidence.pytorch`` cells; ``both`` cells
are not judged) gets one of three results:

- ``holds``: every cell of that side ran and raised nothing;
- ``fails``: one of the side's own cells raised (an assert, or an error of the framework
  itself, such as ``AttributeError: module 'torch' has no attribute 'export'``);
- ``could-not-run``: the evidence never got a fair try, with a ``Reason``: a package
  missing for that version, an earlier cell of the notebook failed, the kernel died or timed
  out, the notebook could not start, or the environment itself was broken.

``could-not-run`` is never a failure: it says nothing about the claim. Everything in this
module is a pure function of executed notebooks and plain data, so the tests can feed it
fixture notebooks and the site can read result files without running anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..run.cache import code_hash as notebook_source_hash  # noqa: F401 (the one code hash)

SCHEMA_VERSION = 1
HOLDS, FAILS, COULD_NOT_RUN = "holds", "fails", "could-not-run"
OUTCOMES = (HOLDS, FAILS, COULD_NOT_RUN)
SIDES = ("tensorflow", "pytorch")  # registry framework keys; "both" is shown, never judged

# Why a side could not run.
MISSING_PACKAGE = "missing-package"  # ImportError of a package the environment lacks
# Two installed libraries that do not agree: one calls an attribute the other lacks in the
# release the run could install (onnx wants ml_dtypes.float4_e2m1fn; TF 2.16 holds ml_dtypes
# at 0.3). Not the framework's API and not our code: the claim was not tested.
PACKAGE_MISMATCH = "package-mismatch"
EARLIER_CELL = "earlier-cell-failed"  # a cell before the evidence raised (setup, or another claim's)
TIMEOUT = "timeout"  # a cell ran past the notebook's per-cell timeout
KERNEL_DIED = "kernel-died"  # segfault, abort, out-of-memory kill
NOT_STARTED = "notebook-not-started"  # no kernel, unreadable notebook
NOT_EXECUTED = "not-executed"  # the run never executed this notebook (stopped, skipped)
BROKEN_ENVIRONMENT = "broken-environment"  # the environment check failed: nothing was judged
REASON_KINDS = (
    MISSING_PACKAGE,
    PACKAGE_MISMATCH,
    EARLIER_CELL,
    TIMEOUT,
    KERNEL_DIED,
    NOT_STARTED,
    NOT_EXECUTED,
    BROKEN_ENVIRONMENT,
)

# Run statuses: "complete" (environment checked, notebooks executed, claims judged),
# "broken-environment" (installed, but a framework's native ops did not load: every side is
# could-not-run), "install-failed" (no environment could be built).
RUN_STATUSES = ("complete", "broken-environment", "install-failed")
RUN_KINDS = ("matrix", "drift")

# Notebook statuses, from the execution: every cell ran ("ran", some may hold errors), or
# execution stopped at one cell.
NOTEBOOK_STATUSES = ("ran", TIMEOUT, KERNEL_DIED, NOT_STARTED, NOT_EXECUTED)

# An ImportError naming one of these is an API the framework lacks in that release (the claim's
# subject), not a missing package.
FRAMEWORK_MODULES = ("torch", "torchvision", "tensorflow", "keras", "tf_keras")
_IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError", "PackageNotFoundError")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_NO_METADATA = re.compile(r"No package metadata was found for ([\w.-]+)")  # importlib.metadata
_NO_ATTRIBUTE = re.compile(r"^module '([\w.]+)' has no attribute '(\w+)'")
_CANNOT_IMPORT = re.compile(r"cannot import name '([\w.]+)' from '([\w.]+)'")  # (name, module)
# Our own modules: an attribute missing there is a defect in this project, reported as such.
OWN_MODULES = ("factcheck", "fwbench")
_ARROW = re.compile(r"^-+>\s*\d+\s*(.*)$")
_QUOTED_TRACEBACK = re.compile(r"^Traceback \(most recent call last\):\s*(?:\.\.\.\s*)?")
# A child process's traceback, quoted in our message: a frame line, and its last line the error.
_FRAME = re.compile(r'File "[^"]*", line \d+')
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception)\b")
# The error a child process raised, as an error line quotes it ("torch backend failed: ... X: y").
_QUOTED_ERROR = re.compile(r"(?:^|\.\.\. )([A-Za-z_][\w.]*(?:Error|Exception)): (.+)$")
_UNEXPECTED_KEYWORD = re.compile(r"^([\w.]+)\(\) got an unexpected keyword argument '(\w+)'")


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

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1, sort_keys=False) + "\n"

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


# --- the JSON schema -------------------------------------------------------------------------

_REASON = {
    "type": "object",
    "required": ["kind", "detail"],
    "additionalProperties": False,
    "properties": {
        "kind": {"enum": list(REASON_KINDS)},
        "detail": {"type": "string"},
        "cell": {"type": ["integer", "null"], "minimum": 1},
        "package": {"type": ["string", "null"]},
    },
}
_SIDE = {
    "type": "object",
    "required": ["outcome", "cells"],
    "additionalProperties": False,
    "properties": {
        "outcome": {"enum": list(OUTCOMES)},
        "cells": {"type": "array", "items": {"type": "string"}},
        "error": {"type": ["string", "null"]},
        "cell": {"type": ["integer", "null"], "minimum": 1},
        "reason": {"oneOf": [{"type": "null"}, _REASON]},
        "untestable": {"type": "boolean"},
    },
    "allOf": [
        {
            "if": {"properties": {"outcome": {"const": FAILS}}},
            "then": {"required": ["error"], "properties": {"error": {"type": "string"}}},
        },
        {
            "if": {"properties": {"outcome": {"const": COULD_NOT_RUN}}},
            "then": {"required": ["reason"], "properties": {"reason": _REASON}},
        },
    ],
}
_NOTEBOOK = {
    "type": "object",
    "required": ["notebook", "status", "source_hash"],
    "additionalProperties": False,
    "properties": {
        "notebook": {"type": "string"},
        "status": {"enum": list(NOTEBOOK_STATUSES)},
        "source_hash": {"type": "string", "pattern": "^[0-9a-f]{16,64}$"},
        "seconds": {"type": ["number", "null"]},
        "cell": {"type": ["integer", "null"]},
        "detail": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {"type": "object", "required": ["cell", "error"]}},
        "ran_on": {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}"},
    },
}
_PACKAGE_STATUS = {
    "type": "object",
    "required": ["package", "got", "newest"],
    "properties": {
        "package": {"type": "string"},
        "got": {"type": ["string", "null"]},
        "newest": {"type": ["string", "null"]},
        "reason": {"type": "string"},
    },
}
RESULT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Framework Facts run result",
    "type": "object",
    "required": [
        "schema",
        "kind",
        "framework",
        "requested",
        "got",
        "date",
        "status",
        "wall",
        "environment",
        "notebooks",
        "claims",
    ],
    "properties": {
        "schema": {"const": SCHEMA_VERSION},
        "kind": {"enum": list(RUN_KINDS)},
        "framework": {"enum": ["torch", "tensorflow", "all"]},
        "requested": {"type": "string", "pattern": r"^(\d+\.\d+(\.\d+)?|newest)$"},
        "got": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
        "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}"},
        "status": {"enum": list(RUN_STATUSES)},
        "wall": {"type": "object", "required": ["total"], "additionalProperties": {"type": "number"}},
        "disk": {"type": "object", "additionalProperties": {"type": "number"}},
        "machine": {"type": "object"},
        "counts": {"type": "object"},
        "environment": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["python", "packages", "frameworks", "other_framework", "left_out", "checks"],
                    "properties": {
                        "python": {"type": "string"},
                        "packages": {"type": "object", "additionalProperties": {"type": "string"}},
                        "frameworks": {"type": "array", "items": _PACKAGE_STATUS},
                        "other_framework": {"type": "object"},
                        "left_out": {
                            "type": "array",
                            "items": {"type": "object", "required": ["package", "reason"]},
                        },
                        "checks": {
                            "type": "array",
                            "items": {"type": "object", "required": ["name", "ok", "detail"]},
                        },
                        "caps": {"type": "array", "items": {"type": "string"}},
                        "notes": {"type": "array", "items": {"type": "string"}},
                    },
                },
            ]
        },
        "notebooks": {"type": "object", "additionalProperties": _NOTEBOOK},
        "claims": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "propertyNames": {"enum": list(SIDES)},
                "additionalProperties": _SIDE,
            },
        },
    },
}


class ResultError(ValueError):
    """A result file that does not match the schema (a partial write, an older schema)."""


def validate(data: dict) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(RESULT_SCHEMA)
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


# --- notebooks -------------------------------------------------------------------------------


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def stale_notebooks(result: RunResult, current_hashes: dict[str, str]) -> list[str]:
    """Notebooks whose code changed since ``result`` was computed (or that it never ran)."""
    return sorted(
        rel
        for rel, digest in current_hashes.items()
        if rel not in result.notebooks or result.notebooks[rel].source_hash != digest
    )


def error_line(output: dict) -> str:
    """The first line of an error output: ``ename: evalue``, or for a bare ``assert`` the
    asserted line from the traceback."""
    ename = output.get("ename", "Error")
    evalue = _ANSI.sub("", str(output.get("evalue", ""))).strip()
    lines = [x.strip() for x in evalue.splitlines() if x.strip()]
    line = lines[0] if lines else ""
    if len(lines) > 1 and _EXCEPTION_LINE.match(lines[-1]) and any(_FRAME.search(x) for x in lines):
        # A child's traceback, quoted (often its tail only, cut mid-line): the last line says
        # why; the first says where only when it is our own heading ("torch backend failed:").
        heading = line.endswith(":") and not _FRAME.search(line) and not line[0].islower()
        line = f"{line} ... {lines[-1]}" if heading else f"... {lines[-1]}"
    elif len(lines) > 1 and (line.endswith((":", "(", "[", "{")) or len(line) < 12):
        # "worker 'torch' failed (exit 1):" says where; the last line says why.
        line = f"{line} ... {lines[-1]}"
    if not line:
        for raw in reversed(output.get("traceback", [])):
            for tb_line in reversed(_ANSI.sub("", raw).splitlines()):
                m = _ARROW.match(tb_line.strip())
                if m:
                    line = m.group(1).strip()
                    break
            if line:
                break
    line = _QUOTED_TRACEBACK.sub("... ", line)  # a child process's traceback quoted in the message
    text = f"{ename}: {line}" if line else ename
    return text if len(text) <= 300 else text[:297] + "..."


def cell_error(cell) -> dict | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output
    return None


def missing_module(output: dict) -> str | None:
    """The module an ImportError names (``No module named 'onnx.reference'`` -> ``onnx.reference``)."""
    if output.get("ename") not in _IMPORT_ERRORS:
        return None
    evalue = str(output.get("evalue", ""))
    if m := _NO_MODULE.search(evalue):
        return m.group(1)
    if m := _CANNOT_IMPORT.search(evalue):
        return m.group(2)
    m = _NO_METADATA.search(evalue)
    return m.group(1) if m else ""


def is_missing_package(output: dict) -> bool:
    """An ImportError caused by a package the environment lacks (or cannot import), as opposed
    to a framework lacking an API (``No module named 'torch.export'``: that is the claim)."""
    module = missing_module(output)
    if module is None:
        return False
    return module.split(".")[0] not in FRAMEWORK_MODULES


def mismatched_module(output: dict) -> str | None:
    """The library an AttributeError names when it is neither a framework nor ours
    (``module 'ml_dtypes' has no attribute 'float4_e2m1fn'`` -> ``ml_dtypes``): two installed
    libraries disagree about a release. A framework lacking an attribute is the claim's subject."""
    if output.get("ename") != "AttributeError":
        return None
    evalue = str(output.get("evalue", ""))
    if m := _NO_ATTRIBUTE.match(evalue):
        module = m.group(1)
    elif c := _CANNOT_IMPORT.search(evalue):  # onnx re-raises "cannot import name ... from 'ml_dtypes'"
        module = c.group(2)
    else:
        return None
    top = module.split(".")[0]
    return None if top in FRAMEWORK_MODULES or top in OWN_MODULES else top


def framework_name_a_library_wanted(output: dict, source: str) -> str | None:
    """The framework module an error names (``cannot import name 'ScalingType' from
    'torch.nn.functional'``) when the notebook itself never uses the missing name: a library
    the run installed (transformers, litert-torch) needs a newer framework than the release
    under test, and the claim's own code was never reached. A name the notebook uses is the
    claim's subject (``keras.ops``, ``torch.export``) and stays a failure."""
    ename, evalue = output.get("ename"), str(output.get("evalue", ""))
    m = None
    if ename == "AttributeError" and (a := _NO_ATTRIBUTE.match(evalue)):
        module, name = a.group(1), a.group(2)
        m = (module, name)
    elif ename in _IMPORT_ERRORS and (c := _CANNOT_IMPORT.search(evalue)):
        m = (c.group(2), c.group(1))
    if not m or m[0].split(".")[0] not in FRAMEWORK_MODULES:
        return None
    return None if re.search(rf"\b{re.escape(m[1])}\b", source) else m[0]


def quoted_error(output: dict) -> dict | None:
    """The error a child process raised, where our message quotes it (``AssertionError: torch
    backend failed: ... AttributeError: module 'torch' has no attribute 'float8_e4m3fn'``), as
    an error output; None when the message quotes none."""
    line = error_line(output)
    m = _QUOTED_ERROR.search(line.partition(": ")[2])
    return {"ename": m.group(1).rsplit(".", 1)[-1], "evalue": m.group(2)} if m else None


def library_passes_unknown_argument(output: dict, source: str) -> bool:
    """``register_pytree_node() got an unexpected keyword argument 'flatten_with_keys_fn'``
    where the notebook names neither: an installed library calls an API of a release that
    predates the argument. An argument the notebook passes itself is the claim's subject."""
    if output.get("ename") != "TypeError":
        return False
    m = _UNEXPECTED_KEYWORD.match(str(output.get("evalue", "")))
    if not m:
        return False
    function, keyword = m.group(1).rsplit(".", 1)[-1], m.group(2)
    return not any(re.search(rf"\b{re.escape(name)}\b", source) for name in (function, keyword))


def _mismatch(output: dict, source: str) -> str | None:
    """What to blame when two installed packages disagree, or None ("" when the error does not
    say which package). An error a child process raised counts where our message quotes it."""
    for error in (output, quoted_error(output)):
        if error is None:
            continue
        if blamed := mismatched_module(error) or framework_name_a_library_wanted(error, source):
            return blamed
        if library_passes_unknown_argument(error, source):
            return ""
    return None


def notebook_errors(nb) -> list[dict]:
    """Every cell that raised: 1-based position, tags, error line."""
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        err = cell_error(cell)
        if err is not None:
            found.append({"cell": index + 1, "tags": _tags(cell), "error": error_line(err)})
    return found


def _describe(index: int, cell) -> str:
    tags = _tags(cell)
    return f"cell {index + 1} ({', '.join(tags)})" if tags else f"cell {index + 1} (setup)"


def _source(cell) -> str:
    """A cell's source as one string (nbformat stores a string or a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _assigns(name: str) -> re.Pattern:
    """Source lines that bind ``name``: an assignment, a def or class, an import."""
    name = re.escape(name)
    return re.compile(
        rf"^[ \t]*(?:[\w, ]*\b{name}\b[\w, ]*=(?!=)|(?:def|class) {name}\b|(?:import|from) .*\b{name}\b)", re.M
    )


def _claim_consequence(j: int, err: dict, cells) -> bool:
    """Whether cell ``j`` raised only because an earlier tagged (claim) cell that should have
    defined the name it lacks raised first."""
    m = re.search(r"name '(\w+)' is not defined", str(err.get("evalue", "")))
    if err.get("ename") not in ("NameError", "UnboundLocalError") or not m:
        return False
    binds = _assigns(m.group(1))
    return any(
        _tags(cells[k]) and cell_error(cells[k]) is not None and binds.search(_source(cells[k])) for k in range(j)
    )


def _likely_cause(err: dict, earlier: list, cells) -> tuple:
    """Of the earlier cells that raised, the one that should have defined the missing name
    (``NameError: name 'x' is not defined``), else the nearest."""
    m = re.search(r"name '(\w+)' is not defined", str(err.get("evalue", "")))
    if m:
        assigns = _assigns(m.group(1))
        for j, e in reversed(earlier):
            if assigns.search(_source(cells[j])):
                return j, e
    return earlier[-1]


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
    if is_missing_package(err):
        module = missing_module(err) or None
        package = module.split(".")[0] if module else None
        return cannot(MISSING_PACKAGE, f"cell {i + 1}: {line}", i + 1, package)
    source = "\n".join(_source(c) for c in cells if c.get("cell_type") == "code")
    if (blamed := _mismatch(err, source)) is not None:
        blamed = blamed.split(".")[0]
        if blamed in FRAMEWORK_MODULES:
            why = f" (from an installed library that needs a newer {blamed})"
        else:
            why = "" if blamed else " (an installed library calls an API of a newer release)"
        return cannot(PACKAGE_MISMATCH, f"cell {i + 1}: {line}{why}", i + 1, blamed or None)

    # 3. Was it a consequence of an earlier cell that raised?
    earlier = [(j, cell_error(cells[j])) for j in range(i) if j not in own and cells[j].get("cell_type") == "code"]
    earlier = [(j, e) for j, e in earlier if e is not None]
    # A setup cell that raised, or an earlier cell that lacked a package, leaves the notebook
    # without what the evidence builds on: whatever the side's cell then raises is not the claim.
    # An untagged cell that only lacks a name an earlier claim cell failed to define (a cell
    # recording that claim's figures) is that claim's consequence, not a failed setup.
    setup_failed = [(j, e) for j, e in earlier if not _tags(cells[j]) and not _claim_consequence(j, e, cells)]
    lacking = [(j, e) for j, e in earlier if is_missing_package(e) or _mismatch(e, source) is not None]
    consequence = err.get("ename") in ("NameError", "UnboundLocalError")
    if setup_failed or lacking or (earlier and consequence):
        if setup_failed or lacking:
            j, e = sorted(setup_failed + lacking, key=lambda je: je[0])[0]
        else:
            j, e = _likely_cause(err, earlier, cells)
        if is_missing_package(e):
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
    errors = {e["cell"]: e["error"] for e in record.errors}
    for index, cell in enumerate(source_nb.get("cells", [])):
        cell = dict(cell)
        if cell.get("cell_type") == "code":
            ran = record.status in ("ran", TIMEOUT, KERNEL_DIED) and (stopped is None or index + 1 <= stopped)
            cell["execution_count"] = index + 1 if ran else None
            cell["outputs"] = []
            if index + 1 in errors:
                ename, _, evalue = errors[index + 1].partition(": ")
                cell["outputs"] = [{"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}]
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


# --- reading many results -----------------------------------------------------------------------


def load_results(directory: Path) -> list[RunResult]:
    """Every valid result file in ``directory`` (partial or foreign files are skipped)."""
    results = []
    for path in sorted(Path(directory).glob("*.json")):
        result = read_result(path)
        if result is not None:
            results.append(result)
    return results


def claim_history(results: Iterable[RunResult], claim_id: str, side: str) -> dict[str, str]:
    """``{"torch 2.3.1": "holds", ...}`` for one claim side across runs (for the site's strips)."""
    history = {}
    for result in results:
        sides = result.claims.get(claim_id, {})
        if side in sides:
            key = result.framework
            history[f"{key} {result.got.get(key) or result.requested}"] = sides[side].outcome
    return history


__all__ = [
    "COULD_NOT_RUN",
    "FAILS",
    "HOLDS",
    "Check",
    "Environment",
    "LeftOut",
    "NotebookResult",
    "PackageStatus",
    "Reason",
    "ResultError",
    "RunResult",
    "SideResult",
    "classify_claims",
    "classify_side",
    "count_outcomes",
    "notebook_source_hash",
    "read_result",
    "validate",
    "write_result",
]
