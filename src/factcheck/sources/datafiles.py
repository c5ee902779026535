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


def load_decision_guide(path: Path, known_claims) -> list[GuideRow]:
    """Rows of data/decision-guide.yaml ("if you need X, pick Y"); every row cites known claims."""
    data = load_yaml(path, "decision-guide.schema.json", PageError)
    rows = []
    for number, row in enumerate(data["rows"], start=1):
        unknown = [cid for cid in row["claims"] if cid not in known_claims]
        if unknown:
            raise PageError(f"{path}: row #{number}, field 'claims' names unknown claim {unknown[0]!r}")
        rows.append(GuideRow(row["need"], row["pick"], row["because"], tuple(row["claims"])))
    return rows
