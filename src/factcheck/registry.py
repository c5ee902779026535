"""The claim registry: ``claims/*.yaml`` files -> validated ``Claim`` objects.

``sections.yaml`` lists the article's sections; every other file holds claims, each naming
its section, so one topic (deployment, say) can feed claims to several section pages.
Validation happens in two passes: the JSON schema (shape, verdict values, id format, dated
sources) and cross-checks the schema cannot express (unique ids across files, notebooks
that exist, tagged cells that exist).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from .errors import RegistryError
from .notebooks import read_notebook, tagged_cells

FRAMEWORKS = ("tensorflow", "pytorch")
FRAMEWORK_LABELS = {"tensorflow": "TensorFlow", "pytorch": "PyTorch", "both": "Both frameworks"}
SHARED = "both"  # optional evidence comparing the two at once, shown under the two columns
VERDICTS = ("holds", "nuanced", "outdated", "false")


@dataclass(frozen=True)
class Source:
    url: str
    title: str
    accessed: str  # the day we last read it
    published: str | None = None  # the date the source states, when it states one

    @property
    def date(self) -> str:
        """The date to sort by: when it was published, else when we read it."""
        return self.published or self.accessed


@dataclass(frozen=True)
class Evidence:
    framework: str
    notebook: str  # relative to the notebooks directory
    cells: tuple[str, ...]  # cell tags, in display order
    untestable: str | None = None  # why no code can decide this side (judged from sources)


@dataclass(frozen=True)
class Origin:
    """Where a claim's quoted sentence comes from when it is not the article."""

    title: str
    url: str


@dataclass(frozen=True)
class Difference:
    """A default that differs between the frameworks (a row of the differences table).

    ``tensorflow`` and ``pytorch`` name values recorded by cells; ``symptom`` may quote values."""

    setting: str
    tensorflow: str
    pytorch: str
    symptom: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    order: int
    file: Path

    @property
    def page(self) -> str:
        """The section's page, relative to docs/."""
        return f"{self.id}.md"


@dataclass(frozen=True)
class Claim:
    id: str
    section: Section
    claim: str
    quote: str
    verdict: str
    explanation: str
    evidence: dict[str, Evidence]
    sources: tuple[Source, ...]
    file: Path  # the claims file that defines it
    origin: Origin | None = None  # None: the quote is the article's
    difference: Difference | None = None


@dataclass
class Registry:
    sections: list[Section]
    claims: dict[str, Claim] = field(default_factory=dict)

    def __getitem__(self, claim_id: str) -> Claim:
        return self.claims[claim_id]

    def __contains__(self, claim_id: str) -> bool:
        return claim_id in self.claims

    def __iter__(self):
        return iter(self.claims.values())

    def __len__(self) -> int:
        return len(self.claims)

    def in_section(self, section_id: str) -> list[Claim]:
        return [c for c in self if c.section.id == section_id]

    def notebooks(self) -> set[str]:
        return {ev.notebook for c in self for ev in c.evidence.values()}

    def claims_for_cell(self, notebook: str, tags) -> list[str]:
        """Ids of the claims whose evidence includes a cell with one of ``tags``."""
        tags = set(tags)
        return sorted(
            c.id for c in self for ev in c.evidence.values() if ev.notebook == notebook and tags.intersection(ev.cells)
        )

    def claims_for_notebook(self, notebook: str) -> list[str]:
        return sorted(c.id for c in self if any(ev.notebook == notebook for ev in c.evidence.values()))


class _StringDateLoader(yaml.SafeLoader):
    """YAML loader that keeps ``2019-09-30`` as a string, so the schema sees what was typed."""


_StringDateLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def _schema(name: str) -> dict:
    return json.loads(resources.files(__package__).joinpath(name).read_text())


def _where(data, error: jsonschema.ValidationError) -> str:
    """Render a schema error's location as 'claim <id>, field <a.b>'."""
    parts = list(error.absolute_path)
    label = ""
    if len(parts) >= 2 and parts[0] in ("claims", "sections") and isinstance(parts[1], int):
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


def _load_yaml(path: Path, schema: str) -> dict:
    """Parse one YAML file and check it against ``schema``; errors name file, entry and field."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StringDateLoader)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RegistryError(f"{path}: expected a mapping at the top level")
    validator = jsonschema.Draft202012Validator(_schema(schema))
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise RegistryError("\n".join(f"{path}: {_where(data, e)} {_explain(e)}" for e in errors))
    return data


def load_sections(path: Path) -> list[Section]:
    data = _load_yaml(path, "sections.schema.json")
    sections, seen = [], set()
    for s in data["sections"]:
        if s["id"] in seen:
            raise RegistryError(f"{path}: section {s['id']!r}, field 'id' is a duplicate")
        seen.add(s["id"])
        sections.append(Section(s["id"], s["title"], s["order"], path))
    return sorted(sections, key=lambda s: s.order)


def load_registry(claims_dir: Path, notebooks_dir: Path | None = None) -> Registry:
    """Load ``sections.yaml`` and every other ``*.yaml`` in ``claims_dir``.

    With ``notebooks_dir``, also check that every evidence notebook and tagged cell exists.
    """
    claims_dir = Path(claims_dir)
    sections_file = claims_dir / "sections.yaml"
    if not sections_file.is_file():
        raise RegistryError(f"{sections_file}: missing (it lists the article's sections)")
    sections = {s.id: s for s in load_sections(sections_file)}
    files = sorted(p for p in claims_dir.glob("*.yaml") if p.name != "sections.yaml")
    if not files:
        raise RegistryError(f"{claims_dir}: no claims files (*.yaml) found")
    claims: dict[str, Claim] = {}
    for path in files:
        for raw in _load_yaml(path, "claim.schema.json")["claims"]:
            cid = raw["id"]
            if cid in claims:
                raise RegistryError(f"{path}: claim {cid!r}, field 'id' is a duplicate (also in {claims[cid].file})")
            if raw["section"] not in sections:
                raise RegistryError(
                    f"{path}: claim {cid!r}, field 'section' names unknown section {raw['section']!r} "
                    f"(known: {', '.join(sections)})"
                )
            for src in raw["sources"]:
                _check_source_dates(path, cid, src)
            claims[cid] = Claim(
                id=cid,
                section=sections[raw["section"]],
                claim=raw["claim"].strip(),
                quote=" ".join(raw["quote"].split()),
                verdict=raw["verdict"],
                explanation=" ".join(raw["explanation"].split()),
                evidence={
                    fw: Evidence(
                        fw,
                        raw["evidence"][fw]["notebook"],
                        tuple(raw["evidence"][fw]["cells"]),
                        raw["evidence"][fw].get("untestable"),
                    )
                    for fw in (*FRAMEWORKS, SHARED)
                    if fw in raw["evidence"]
                },
                sources=tuple(Source(**s) for s in raw["sources"]),
                file=path,
                origin=Origin(**raw["origin"]) if "origin" in raw else None,
                difference=Difference(**raw["difference"]) if "difference" in raw else None,
            )
    registry = Registry(list(sections.values()), claims)
    check_source_consistency(registry)
    if notebooks_dir is not None:
        check_evidence_cells(registry, Path(notebooks_dir))
    return registry


def _check_source_dates(path: Path, cid: str, src: dict) -> None:
    for key in ("published", "accessed"):
        if key not in src:
            continue
        value = src[key] if len(src[key]) == 10 else src[key] + "-01"
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise RegistryError(
                f"{path}: claim {cid!r}, field 'sources.{key}' is not a real date ({src[key]!r})"
            ) from None
    if src.get("published", "") > src["accessed"]:
        raise RegistryError(
            f"{path}: claim {cid!r}, field 'sources.published' ({src['published']}) is after "
            f"'sources.accessed' ({src['accessed']}) for {src['url']}"
        )


def check_source_consistency(registry: Registry) -> None:
    """The same URL carries the same dates wherever it is cited."""
    first: dict[str, tuple[Claim, Source]] = {}
    problems = []
    for claim in registry:
        for src in claim.sources:
            if src.url not in first:
                first[src.url] = (claim, src)
                continue
            other_claim, other = first[src.url]
            for key in ("published", "accessed"):
                if getattr(src, key) != getattr(other, key):
                    problems.append(
                        f"{claim.file}: claim {claim.id!r}, field 'sources.{key}' of {src.url} is "
                        f"{getattr(src, key)!r}, but claim {other_claim.id!r} ({other_claim.file.name}) "
                        f"cites it with {getattr(other, key)!r}: one URL, one date"
                    )
    if problems:
        raise RegistryError("\n".join(problems))


def check_evidence_cells(registry: Registry, notebooks_dir: Path) -> None:
    """Every evidence notebook exists and holds each tagged cell the registry names."""
    problems = []
    tag_cache: dict[str, dict] = {}
    for claim in registry:
        for fw, ev in claim.evidence.items():
            if ev.notebook not in tag_cache:
                path = notebooks_dir / ev.notebook
                if not path.is_file():
                    problems.append(
                        f"{claim.file}: claim {claim.id!r}, field 'evidence.{fw}.notebook': {path} does not exist"
                    )
                    tag_cache[ev.notebook] = None
                    continue
                tag_cache[ev.notebook] = tagged_cells(read_notebook(path))
            tags = tag_cache[ev.notebook]
            if tags is None:
                continue
            for tag in ev.cells:
                if tag not in tags:
                    problems.append(
                        f"{claim.file}: claim {claim.id!r}, field 'evidence.{fw}.cells': "
                        f"no cell tagged {tag!r} in {notebooks_dir / ev.notebook}"
                    )
    if problems:
        raise RegistryError("\n".join(problems))
