"""The claim registry: ``claims/*.yaml`` files -> validated ``Claim`` objects.

``sections.yaml`` lists the article's sections; every other file holds claims, each naming
its section, so one topic (deployment, say) can feed claims to several section pages.
Validation happens in two passes: the JSON schema (shape, verdict values, id format, dated
sources) and cross-checks the schema cannot express (unique ids across files, notebooks
that exist, tagged cells that exist).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RegistryError
from ..vocabulary import FRAMEWORK_IDS as FRAMEWORKS
from ..vocabulary import SHARED
from .datafiles import load_yaml
from .notebooks import SourceNotebook, load_notebooks


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
    counterfactuals: tuple[Counterfactual, ...] = ()


@dataclass(frozen=True)
class Counterfactual:
    """A way the side's fact could be false: ``code`` injected before the cell tagged ``before``
    (``start``: after the generated cells; None: the side's first evidence cell) makes it so,
    and the evidence must then fail."""

    condition: str  # completes "If ...", shown on the panel
    code: str
    before: str | None = None


@dataclass(frozen=True)
class Era:
    """Releases of a side's framework on which the claim's verdict was another, because the fact
    was different then (a declared history entry, verified against the version matrix)."""

    first: str  # minor release, "2.12"
    last: str  # minor release, "2.15" (== first for one release)
    verdict: str
    because: str
    cells: tuple[str, ...] = ()  # the side's cells that fail there; empty: any of them
    fails_with: tuple[str, ...] = ()  # words of the expected failure; each release's must hold one

    def covers(self, release: str) -> bool:
        key = release_key(release)
        return release_key(self.first) <= key <= release_key(self.last)

    @property
    def span(self) -> str:
        return self.first if self.first == self.last else f"{self.first}–{self.last}"


def release_key(minor: str) -> tuple[int, ...]:
    return tuple(int(p) for p in minor.split(".") if p.isdigit())


@dataclass(frozen=True)
class Origin:
    """Where a claim's quoted sentence comes from when it is not the article."""

    title: str
    url: str


@dataclass(frozen=True)
class Difference:
    """A default that differs between the frameworks (a row of the differences table).

    ``tensorflow`` and ``pytorch`` name values recorded by cells; ``symptom`` and ``fix`` may quote
    values. ``changes`` says what the difference changes: a converted model's inference outputs,
    its training, or only a model rebuilt from scratch (CHANGES, in checklist order)."""

    setting: str
    tensorflow: str
    pytorch: str
    symptom: str
    changes: str
    fix: str


CHANGES = ("inference", "training", "rebuilt")  # what a difference changes, most urgent first


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
    history: dict[str, tuple[Era, ...]] = field(default_factory=dict)  # side -> its eras, oldest first
    headline: str | None = None  # the verdict's reason in one line (claim pages, cards, the home page)


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


def _load_yaml(path: Path, schema: str) -> dict:
    return load_yaml(path, schema, RegistryError)


def load_sections(path: Path) -> list[Section]:
    data = _load_yaml(path, "sections.schema.json")
    sections, seen = [], set()
    for s in data["sections"]:
        if s["id"] in seen:
            raise RegistryError(f"{path}: section {s['id']!r}, field 'id' is a duplicate")
        seen.add(s["id"])
        sections.append(Section(s["id"], s["title"], s["order"], path))
    return sorted(sections, key=lambda s: s.order)


def load_registry(
    claims_dir: Path, notebooks_dir: Path | None = None, notebooks: dict[str, SourceNotebook] | None = None
) -> Registry:
    """Load ``sections.yaml`` and every other ``*.yaml`` in ``claims_dir``.

    With ``notebooks`` (or ``notebooks_dir`` to read them), also check that every evidence
    notebook and tagged cell exists.
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
                        tuple(
                            Counterfactual(" ".join(c["if"].split()), c["code"], c.get("before"))
                            for c in raw["evidence"][fw].get("counterfactuals", [])
                        ),
                    )
                    for fw in (*FRAMEWORKS, SHARED)
                    if fw in raw["evidence"]
                },
                history=_history(path, cid, raw),
                headline=" ".join(raw["headline"].split()) if "headline" in raw else None,
                sources=tuple(Source(**s) for s in raw["sources"]),
                file=path,
                origin=Origin(**raw["origin"]) if "origin" in raw else None,
                difference=Difference(**raw["difference"]) if "difference" in raw else None,
            )
    registry = Registry(list(sections.values()), claims)
    check_source_consistency(registry)
    if notebooks is None and notebooks_dir is not None:
        notebooks = load_notebooks(Path(notebooks_dir))
    if notebooks is not None:
        check_evidence_cells(registry, notebooks, claims_dir.parent / "notebooks")
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


def _history(path: Path, cid: str, raw: dict) -> dict[str, tuple[Era, ...]]:
    """A claim's declared eras per side, oldest first; overlapping ranges, a range that runs
    backwards, cells that are not the side's own or a side without code evidence are errors."""
    out = {}
    for side, entries in raw.get("history", {}).items():
        where = f"{path}: claim {cid!r}, field 'history.{side}"
        evidence = raw["evidence"].get(side, {})
        if evidence.get("untestable"):
            raise RegistryError(f"{where}': this side is untestable, so no release can show its history")
        eras = []
        for i, entry in enumerate(entries):
            first, _, last = entry["releases"].partition("-")
            era = Era(
                first,
                last or first,
                entry["verdict"],
                " ".join(entry["because"].split()),
                tuple(entry.get("cells", ())),
                tuple(entry.get("fails_with", ())),
            )
            if release_key(era.last) < release_key(era.first):
                raise RegistryError(f"{where}[{i}].releases': {entry['releases']!r} runs backwards")
            strangers = [c for c in era.cells if c not in evidence.get("cells", [])]
            if strangers:
                raise RegistryError(f"{where}[{i}].cells': {', '.join(strangers)} are not this side's evidence cells")
            eras.append(era)
        eras.sort(key=lambda e: release_key(e.first))
        for a, b in zip(eras, eras[1:], strict=False):
            if release_key(b.first) <= release_key(a.last):
                raise RegistryError(f"{where}': releases {a.span} and {b.span} overlap")
        out[side] = tuple(eras)
    return out


def check_evidence_cells(registry: Registry, notebooks: dict[str, SourceNotebook], notebooks_dir: Path) -> None:
    """Every evidence notebook exists and holds each tagged cell the registry names."""
    problems = []
    for claim in registry:
        for fw, ev in claim.evidence.items():
            source = notebooks.get(ev.notebook)
            if source is None:
                problems.append(
                    f"{claim.file}: claim {claim.id!r}, field 'evidence.{fw}.notebook': "
                    f"{notebooks_dir / ev.notebook} does not exist"
                )
                continue
            for tag in ev.cells:
                if tag not in source.tags:
                    problems.append(
                        f"{claim.file}: claim {claim.id!r}, field 'evidence.{fw}.cells': "
                        f"no cell tagged {tag!r} in {source.path}"
                    )
            for i, cf in enumerate(ev.counterfactuals):
                if cf.before not in (None, "start") and cf.before not in source.tags:
                    problems.append(
                        f"{claim.file}: claim {claim.id!r}, field 'evidence.{fw}.counterfactuals[{i}].before': "
                        f"no cell tagged {cf.before!r} in {source.path}"
                    )
    if problems:
        raise RegistryError("\n".join(problems))
