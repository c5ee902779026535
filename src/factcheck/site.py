"""The pipeline from claims and notebooks to the pieces of a site, as three explicit stages:

    sources = load(project)                  registry + source notebooks, read once, hygiene checked
    report  = execute(sources)               run what the cache lacks (run/executor.py), publish each
                                             executed copy with its banner
    site    = assemble(sources, report, pages)  executed notebooks read once, values, placement,
                                             evidence verified, one ClaimView per claim

``Site`` is a finished value: ``site.resolver(page, url)`` turns a page's shortcodes into Markdown (one
table, ``RESOLVERS``, keyed like shortcodes.KINDS) and ``site.files(...)`` returns the files a
site publishes besides its pages (claims.json, badges, figures, social card, the fwbench wheel).
Nothing here knows MkDocs: mkdocs_plugin.py wires these calls to its events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .counterfactuals.results import load_all as load_counterfactuals
from .counterfactuals.runner import current_results as current_counterfactuals
from .errors import EvidenceError, PageError, RegistryError
from .evidence.checks import NotebookCode, assert_problems, check_evidence_ran
from .evidence.extract import EvidenceCell, ExecutedNotebook
from .pages import claim_pages, render
from .pages.page_weight import Figures
from .pages.placement import Placement, place_claims
from .project import Project
from .reports.history import ReleaseVerdict, release_verdicts
from .reports.releases import Mark, Matrix, current_hashes
from .reports.versions_page import claim_releases
from .run.executor import Executor, RunReport
from .sources.datafiles import ChangeLog, GuideRow, load_changes, load_decision_guide, load_highlights
from .sources.notebooks import SourceNotebook, import_order_problem, load_notebooks
from .sources.registry import Claim, Registry, load_registry
from .vocabulary import FRAMEWORK_IDS, LABELS, SHARED, VERDICT, VERDICTS

VALUE_SHORTCODE = re.compile(r"<!--\s*value:\s*([\w.-]+)\s*-->")  # also allowed in explanations


# -- stage 1: sources ---------------------------------------------------------------------------


@dataclass
class Sources:
    """What a build starts from: the registry and every source notebook, each read once."""

    project: Project
    registry: Registry
    notebooks: dict[str, SourceNotebook]


def load(project: Project) -> Sources:
    """Read claims and notebooks; fail on a malformed claims file, a missing evidence cell, a
    notebook importing tensorflow before torch, or generated cells out of date."""
    from .sources.support import stale

    notebooks = load_notebooks(project.notebooks_dir)
    registry = load_registry(project.claims_dir, notebooks=notebooks)
    support = project.support_context()
    problems = []
    for rel, source in notebooks.items():
        problem = import_order_problem(source.nb)
        if problem:
            problems.append(f"notebooks/{rel}: {problem}")
        if stale(source.nb, support):
            problems.append(
                f"notebooks/{rel}: its generated cells (Colab setup, helpers, embedded data) are out of date:"
                " run `make notebooks` (python -m factcheck sync)"
            )
    if problems:
        raise RegistryError("\n".join(problems))
    return Sources(project, registry, notebooks)


# -- stage 2: execution -------------------------------------------------------------------------


def execute(
    sources: Sources,
    jobs: int = 2,
    progress: Callable[[str], None] | None = None,
    notebooks: list[str] | None = None,
    shard: str | None = None,
    force: bool = False,
    run: bool = True,
) -> RunReport:
    """Run what the cache lacks and publish every executed copy with its banner; failures come
    back in the report (``raise_for_failures``). ``run=False``: execute nothing, report what the
    cache holds (a notebook it lacks is a failure)."""
    project = sources.project
    executor = Executor(
        project,
        sources.registry,
        jobs=jobs,
        progress=progress,
        sources=sources.notebooks,
        banner=_banner(project),
    )
    return executor.run(notebooks=notebooks, shard=shard, force=force, run=run)


def _banner(project: Project):
    """Each published notebook's "verified with" banner, linking the site and the repository
    named in mkdocs.yml (publish/banner.py)."""
    from .publish.banner import Commit, banner_markdown

    commit, site_url, repo_url = Commit.of(project.root), project.published_url, project.repo_url

    def banner(rel: str, record: dict) -> str:
        return banner_markdown(record, commit, repo_url, rel, site_url)

    return banner


# -- stage 3: the assembled site ----------------------------------------------------------------


@dataclass(frozen=True)
class ClaimView:
    """One claim as every output shows it: its panel, its claims.json entry and its Versions row
    read this one view, worked out once per build."""

    claim: Claim
    explanation: str  # with each <!-- value: name --> filled in from the executed notebooks
    cells: dict[str, list[EvidenceCell]]  # side (or "both") -> its evidence cells, executed
    passed: dict[str, bool]  # side (or "both") -> every cell ran, and a side asserted (or is untestable)
    marks: dict[str, list[Mark]]  # side -> its outcome on each tested release (the version matrix)
    record: dict  # the execution record of the newest notebook its evidence comes from
    counterfactuals: dict[str, list] = field(default_factory=dict)  # side -> current results
    releases: dict[str, list[ReleaseVerdict]] = field(default_factory=dict)  # side -> the verdict per release

    @property
    def id(self) -> str:
        return self.claim.id


@dataclass(frozen=True)
class Site:
    sources: Sources
    executed: dict[str, ExecutedNotebook]
    records: dict[str, dict]  # notebook -> its execution record
    values: dict[str, dict]  # value name -> payload recorded by a cell
    placement: Placement
    views: dict[str, ClaimView]  # claim id -> its view
    guide: list[GuideRow] | None
    matrix: Matrix
    repo_url: str | None = None
    figures: Figures = field(default_factory=Figures)
    changes: ChangeLog | None = None  # data/changes.yaml, checked against every verdict
    nav: tuple[tuple[str, str, str], ...] = ()  # (title, page, description) of each top-level page
    highlights: tuple[str, ...] = ()  # the claims the home page shows first (data/home.yaml)
    site_url: str | None = None  # where the site is published (claim pages' permanent links)

    @property
    def registry(self) -> Registry:
        return self.sources.registry

    # -- values quoted in prose -------------------------------------------------------------
    def value(self, name: str, where: str) -> str:
        return _value_text(self.values, name, where)

    def difference_row(self, claim: Claim) -> tuple[Claim, str, str, str, str]:
        """(claim, TensorFlow default, PyTorch default, symptom, fix) from recorded values."""
        return _difference_row(self.values, claim)

    def modules(self) -> list[str]:
        """The one-file modules the notebooks embed (``.py`` in ``depends``), repo-relative."""
        return sorted({d for nb in self.sources.notebooks.values() for d in nb.settings.get("depends", [])
                       if d.endswith(".py")})  # fmt: skip

    # -- pages --------------------------------------------------------------------------------
    def resolver(self, page: str, url: str | None = None):
        """The shortcode resolver for one page (``page`` relative to docs/, ``url`` its URL
        relative to the site root, e.g. ``paradigm/``)."""
        from .pages.resolvers import RESOLVERS, PageContext

        ctx = PageContext(self, page, url)

        def resolve(kind: str, arg: str | None, stash) -> str:
            if kind not in RESOLVERS:
                raise PageError(f"docs/{page}: unknown shortcode {kind!r}")
            return RESOLVERS[kind](ctx, arg, stash)

        return resolve

    # -- files besides the pages --------------------------------------------------------------
    def claims_json(self, url_of: Callable[[str], str]) -> dict:
        """Machine-readable record of every claim (``url_of(page)`` gives a page's URL)."""
        claims = []
        for claim in sorted(self.registry, key=lambda c: (c.section.order, c.id)):
            view, page = self.views[claim.id], self.placement.get(claim.id)
            evidence = {}
            for fw in (fw for fw in (*FRAMEWORK_IDS, SHARED) if fw in claim.evidence):
                ev = claim.evidence[fw]
                evidence[fw] = {
                    "notebook": f"notebooks/{ev.notebook}",
                    "cells": [
                        {"tag": c.tag, "cell": c.index + 1, "execution_count": c.execution_count}
                        for c in view.cells[fw]
                    ],
                    "passed": view.passed[fw],
                    "untestable": ev.untestable,
                }
            claims.append(
                {
                    "id": claim.id,
                    "section": claim.section.id,
                    "section_title": claim.section.title,
                    "claim": claim.claim,
                    "url": url_of(claim_pages.page_of(claim.id)),
                    "section_url": f"{url_of(page)}#{claim.id}" if page else None,
                    "quote": claim.quote,
                    "quoted_from": (
                        {"title": claim.origin.title, "url": claim.origin.url} if claim.origin else "the article"
                    ),
                    "verdict": claim.verdict,
                    "explanation": view.explanation,
                    "evidence": evidence,
                    "sources": [
                        {"url": s.url, "title": s.title, "published": s.published, "accessed": s.accessed}
                        for s in claim.sources
                    ],
                    "versions": {k: v for k, v in view.record["versions"].items() if v},
                    "releases": claim_releases(claim, view.releases),
                    "counterfactuals": {
                        side: [
                            {
                                "if": r.condition,
                                "outcome": r.outcome,
                                "cell": r.cell,
                                "error": r.error,
                                "checked_on": r.checked_on,
                            }
                            for r in results
                        ]
                        for side, results in view.counterfactuals.items()
                    },
                    "verified_on": view.record["executed_at"][:10],
                }
            )
        counts = {v.id: sum(1 for c in claims if c["verdict"] == v.id) for v in VERDICTS}
        return {"schema": 1, "article": "TensorFlow vs PyTorch", "counts": counts, "claims": claims}

    def badges(self) -> dict[str, str]:
        """Embeddable verdict badges: badges/<id>.svg and shields.io endpoint JSON badges/<id>.json."""
        files = {}
        for claim in self.registry:
            files[f"badges/{claim.id}.svg"] = render.badge_svg(claim.id, claim.verdict)
            files[f"badges/{claim.id}.json"] = json.dumps(render.badge_endpoint(claim.id, claim.verdict)) + "\n"
        return files

    def generated_pages(self) -> dict[str, str]:
        """The pages the build generates (relative to docs/ -> Markdown): one per claim, and the
        index of all claims (pages/claim_pages.py)."""
        pages = {claim_pages.INDEX: claim_pages.index_page()}
        for view in self.views.values():
            reason = claim_pages.headline(view.claim, view.explanation)
            pages[claim_pages.page_of(view.id)] = claim_pages.claim_page(
                view.claim, VERDICT[view.claim.verdict].label, reason
            )
        return pages

    def files(self, url_of: Callable[[str], str]) -> dict[str, bytes]:
        """Every file the site publishes besides its pages, by path relative to the site root."""
        from .pages.changes import FEED, atom_feed
        from .publish.social import claim_card_png, social_card_png
        from .publish.wheel import build_wheel, fwbench_version, wheel_name

        data = self.claims_json(url_of)
        out = {"claims.json": (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()}
        out.update({path: text.encode() for path, text in self.badges().items()})
        out.update(self.figures.files())
        out[SOCIAL_CARD] = social_card_png(data["counts"], "TensorFlow vs PyTorch, fact-checked in both frameworks")
        cards = self.sources.project.root / ".cache" / "cards"
        for view in self.views.values():
            reason = claim_pages.headline(view.claim, view.explanation)
            out[claim_pages.card_of(view.id)] = claim_card_png(view.claim.claim, view.claim.verdict, reason, cards)
        if self.changes is not None:
            feed = atom_feed(
                self.changes,
                self.site_url or "/",
                lambda cid: self.views[cid].claim.claim if cid in self.views else cid,
                lambda cid: url_of(claim_pages.page_of(cid)),
            )
            out[FEED] = feed.encode()
        for rel in self.modules():  # readers download the module the notebooks import (fwport)
            out[f"downloads/{rel.rsplit('/', 1)[-1]}"] = (self.sources.project.root / rel).read_bytes()
        package = self.sources.project.fwbench_dir
        if package.is_dir():  # the benchmark notebooks' package, installable from the site
            version = fwbench_version(package)
            out[f"downloads/{wheel_name(version)}"] = build_wheel(package, version)
        return out


SOCIAL_CARD = "assets/social-card.png"  # overrides/main.html links it
COUNTERFACTUALS = "data/counterfactuals"
CHANGES = "data/changes.yaml"
HOME = "data/home.yaml"


def assemble(
    sources: Sources,
    report: RunReport,
    pages: dict[str, str],
    repo_url: str | None = None,
    nav: tuple[tuple[str, str, str], ...] = (),
    site_url: str | None = None,
) -> Site:
    """Read every executed notebook once, place the claims on the pages, verify the evidence and
    work out each claim's view. ``report`` is what ``execute`` returned: the records of the
    notebooks it published."""
    project, registry = sources.project, sources.registry
    records = report.records
    executed = {
        rel: ExecutedNotebook.read(project.executed_notebook(rel), rel) for rel in sources.notebooks if rel in records
    }
    values = _values(executed)
    placement = place_claims(pages, registry, set(values))
    matrix = Matrix.load(project.root / "data" / "version-matrix")
    hashes = current_hashes(sources.notebooks)
    counterfactuals = current_counterfactuals(registry, load_counterfactuals(project.root / COUNTERFACTUALS), hashes)
    views = _views(registry, executed, records, values, matrix, hashes, counterfactuals)
    guide = None
    if placement.uses("decision-guide") or placement.uses("decision-short"):
        guide = load_decision_guide(project.root / "data" / "decision-guide.yaml", registry)
    changes_file = project.root / CHANGES
    changes = load_changes(changes_file, registry) if changes_file.is_file() else None
    highlights = load_highlights(project.root / HOME, registry) if placement.uses("highlights") else ()
    return Site(
        sources, executed, records, values, placement, views, guide, matrix, repo_url,
        changes=changes, nav=tuple(nav), highlights=highlights, site_url=site_url,
    )  # fmt: skip


def _views(registry, executed, records, values, matrix: Matrix, hashes, counterfactuals) -> dict[str, ClaimView]:
    """Every claim's view, after checking that its evidence ran and asserts something that could
    fail, and that every value its explanation or difference names was recorded. All problems
    are reported at once."""
    problems, views = [], {}
    code: dict[str, NotebookCode] = {}
    for claim in registry:
        try:
            cells, passed = {}, {}
            for fw, ev in claim.evidence.items():
                if ev.notebook not in executed:
                    raise EvidenceError(f"notebooks/{ev.notebook}: no executed copy (run the executor first)")
                cells[fw] = executed[ev.notebook].cells(ev.cells)
                # The shared cells illustrate; each framework's own cells must assert, unless the
                # registry says no code can decide that side (judged from sources).
                must_assert = fw != SHARED and not ev.untestable
                check_evidence_ran(claim.id, fw, cells[fw], require_assert=must_assert)
                if must_assert:
                    if ev.notebook not in code:
                        code[ev.notebook] = NotebookCode(executed[ev.notebook].code_sources())
                    problems += assert_problems(claim.id, fw, LABELS[fw], ev.notebook, code[ev.notebook], cells[fw])
                ran = all(c.execution_count is not None for c in cells[fw])
                passed[fw] = ran and (fw == SHARED or bool(ev.untestable) or any(c.asserts for c in cells[fw]))
            where = f"{claim.file.name}: claim {claim.id!r}: explanation"
            explanation = VALUE_SHORTCODE.sub(lambda m, w=where: _value_text(values, m[1], w), claim.explanation)
            if claim.difference:
                _difference_row(values, claim)
            marks = {
                side: matrix.marks(
                    claim.id, side, claim.evidence[side].notebook, hashes.get(claim.evidence[side].notebook)
                )
                if side in matrix.runs and side in claim.evidence
                else []
                for side in FRAMEWORK_IDS
            }
            newest = max((records[ev.notebook] for ev in claim.evidence.values()), key=lambda r: r["executed_at"])
            releases = {side: release_verdicts(claim, side, marks[side]) for side in FRAMEWORK_IDS}
            views[claim.id] = ClaimView(
                claim, explanation, cells, passed, marks, newest, counterfactuals.get(claim.id, {}), releases
            )
        except EvidenceError as exc:
            problems.append(str(exc))
    if problems:
        raise EvidenceError("\n".join(problems))
    return views


def _value_text(values: dict[str, dict], name: str, where: str) -> str:
    if name not in values:
        raise EvidenceError(f"{where} names value {name!r}, which no notebook recorded")
    return values[name]["text"]


def _difference_row(values: dict[str, dict], claim: Claim) -> tuple[Claim, str, str, str, str]:
    diff, where = claim.difference, f"{claim.file.name}: claim {claim.id!r}: field 'difference"
    symptom = VALUE_SHORTCODE.sub(lambda m: _value_text(values, m[1], f"{where}.symptom'"), diff.symptom)
    fix = VALUE_SHORTCODE.sub(lambda m: _value_text(values, m[1], f"{where}.fix'"), diff.fix)
    return (
        claim,
        _value_text(values, diff.tensorflow, f"{where}.tensorflow'"),
        _value_text(values, diff.pytorch, f"{where}.pytorch'"),
        symptom,
        fix,
    )


def _values(executed: dict[str, ExecutedNotebook]) -> dict[str, dict]:
    """Every value recorded by any notebook; a name recorded by two notebooks is an error."""
    values, owner = {}, {}
    for rel, nb in executed.items():
        for name, payload in nb.values().items():
            if name in owner and owner[name] != rel:
                raise EvidenceError(f"value {name!r} is recorded by notebooks/{owner[name]} and notebooks/{rel}")
            values[name], owner[name] = payload, rel
    return values
