"""Validated YAML data files: the claims files' loader (with their JSON schemas) and the other
files the site reads, such as the decision guide, each checked against a schema shipped in this
package, every problem naming file, entry and field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from .. import schemas
from ..errors import FactcheckError, PageError


class _StringDateLoader(yaml.SafeLoader):
    """YAML loader that keeps ``2019-09-30`` as a string, so the schema sees what was typed."""


_StringDateLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def _schema(name: str) -> dict:
    return json.loads(resources.files(schemas).joinpath(name).read_text())


def _where(data, error: jsonschema.ValidationError) -> str:
    """Render a schema error's location as 'claim <id>, field <a.b>'."""
    parts = list(error.absolute_path)
    label = ""
    if len(parts) >= 2 and parts[0] in ("claims", "sections", "rows") and isinstance(parts[1], int):
        entry = data[parts[0]][parts[1]]
        eid = entry.get("id") if isinstance(entry, dict) else None
        noun = parts[0][:-1]
        label = f"{noun} {eid!r}" if eid else f"{noun} #{parts[1] + 1}"
        parts = parts[2:]
    if error.validator in ("required", "additionalProperties"):
        parts = [*parts, error.message.split("'")[1]]
    fld = ".".join(str(p) for p in parts) or "(top level)"
    return ", ".join(x for x in (label, f"field {fld!r}") if x)


def _explain(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        return "is missing"
    if error.validator == "additionalProperties":
        return "is not a known field"
    if error.validator == "enum":
        return f"must be one of {', '.join(map(str, error.validator_value))}, not {error.instance!r}"
    if error.validator == "pattern":
        return f"has the wrong format ({error.instance!r})"
    return error.message


def load_yaml(path: Path, schema: str, error: type[FactcheckError]) -> dict:
    """Parse one YAML file and check it against ``schema`` (a JSON schema shipped in this
    package); every problem is raised as ``error``, naming file, entry and field."""
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_StringDateLoader)
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping at the top level")
    validator = jsonschema.Draft202012Validator(_schema(schema))
    problems = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if problems:
        raise error("\n".join(f"{path}: {_where(data, e)} {_explain(e)}" for e in problems))
    return data


@dataclass(frozen=True)
class GuideRow:
    need: str
    pick: str
    because: str
    claims: tuple[str, ...]
    short: str | None = None  # the need in a few words (the home page's short answer)


def load_decision_guide(path: Path, known_claims) -> list[GuideRow]:
    """Rows of data/decision-guide.yaml ("if you need X, pick Y"); every row cites known claims."""
    data = load_yaml(path, "decision-guide.schema.json", PageError)
    rows = []
    for number, row in enumerate(data["rows"], start=1):
        unknown = [cid for cid in row["claims"] if cid not in known_claims]
        if unknown:
            raise PageError(f"{path}: row #{number}, field 'claims' names unknown claim {unknown[0]!r}")
        rows.append(GuideRow(row["need"], row["pick"], row["because"], tuple(row["claims"]), row.get("short")))
    return rows


@dataclass(frozen=True)
class Change:
    """One entry of data/changes.yaml: a claim's verdict changed (``to`` set; ``before`` None for a
    new claim), or only what its evidence shows on a release did."""

    date: str
    claim: str
    cause: str
    before: str | None = None
    to: str | None = None
    release: str | None = None
    data: str | None = None
    number: int = 0  # 1-based position in the log: a stable id for the feed

    @property
    def verdict_changed(self) -> bool:
        return self.to is not None


@dataclass(frozen=True)
class ChangeLog:
    baseline_date: str
    baseline_note: str
    baseline: dict[str, str]  # claim -> verdict on the baseline date
    changes: tuple[Change, ...]  # oldest first

    def of(self, claim: str) -> list[Change]:
        return [c for c in self.changes if c.claim == claim]


def load_changes(path: Path, registry) -> ChangeLog:
    """data/changes.yaml, checked against the claims: every change names a known claim, runs in
    date order and starts from the verdict the log last recorded, and each claim's verdict today
    is the one the log last records (a changed verdict needs an entry)."""
    data = load_yaml(path, "changes.schema.json", PageError)
    base = data["baseline"]
    log = ChangeLog(base["date"], " ".join(base["note"].split()), dict(base["verdicts"]), ())
    problems, current, changes = [], dict(log.baseline), []
    previous_date = log.baseline_date
    for number, raw in enumerate(data["changes"], start=1):
        where = f"{path}: change #{number} ({raw['claim']})"
        change = Change(
            raw["date"], raw["claim"], " ".join(raw["cause"].split()), raw.get("from"), raw.get("to"),
            raw.get("release"), raw.get("data"), number,
        )  # fmt: skip
        if change.claim not in registry.claims and change.to is not None:
            problems.append(f"{where}, field 'claim': no such claim")
        if change.date < previous_date:
            problems.append(f"{where}, field 'date': {change.date} comes before the entry above it ({previous_date})")
        previous_date = max(previous_date, change.date)
        if change.to is not None and "from" in raw and current.get(change.claim) != change.before:
            had = current.get(change.claim)
            problems.append(
                f"{where}, field 'from': the log last recorded {had!r} for this claim, not {change.before!r}"
            )
        if change.to is not None:
            current[change.claim] = change.to
        changes.append(change)
    for claim in registry:
        if current.get(claim.id) != claim.verdict:
            last = current.get(claim.id)
            said = f"last records {last!r}" if last else "has no entry for it (a new claim: from: null)"
            problems.append(
                f"{path}: claim {claim.id!r} is {claim.verdict!r} in {claim.file.name}, but the log {said}: "
                f"add an entry (date, claim, from, to, cause)"
            )
    if problems:
        raise PageError("\n".join(problems))
    return ChangeLog(log.baseline_date, log.baseline_note, log.baseline, tuple(changes))


def load_highlights(path: Path, registry) -> tuple[str, ...]:
    """data/home.yaml's ``highlights``: the claims the home page shows first, known ids only."""
    data = load_yaml(path, "home.schema.json", PageError)
    unknown = [cid for cid in data["highlights"] if cid not in registry.claims]
    if unknown:
        raise PageError(f"{path}: field 'highlights' names unknown claim {unknown[0]!r}")
    return tuple(data["highlights"])
