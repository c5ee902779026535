"""The engine facade: registry + executor + extraction + rendering, for any site generator.

A site adapter calls, in order: ``Engine(project)`` (loads and checks the registry),
``execute()`` (runs what the cache lacks), ``check_pages(pages)`` (claims vs pages),
``verify_evidence()`` (every claim's cells ran and assert), then ``resolver(page)`` per page
while rendering, and ``claims_json(url_of)`` at the end.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
from collections.abc import Callable
from pathlib import Path

import yaml

from . import render
from .errors import EvidenceError, ExecutionError, PageError, RegistryError
from .executor import Executor, Failure, RunReport
from .extract import check_evidence_ran, evidence_cells, load_executed, recorded_values
from .notebooks import find_notebooks, import_order_problem, read_notebook
from .page_weight import Figures
from .pages import claim_pages
from .project import Project
from .registry import FRAMEWORK_LABELS, FRAMEWORKS, SHARED, Registry, load_registry

_VALUE = re.compile(r"<!--\s*value:\s*([\w.-]+)\s*-->")  # the page shortcode, also allowed in explanations


class Engine:
    def __init__(
        self,
        project: Project,
        jobs: int = 2,
        progress: Callable[[str], None] | None = None,
        repo_url: str | None = None,
    ):
        self.project = project
        self.repo_url = repo_url
        self.registry: Registry = load_registry(project.claims_dir, project.notebooks_dir)
        self.executor = Executor(project, self.registry, jobs=jobs, progress=progress)
        self.placed: dict[str, str] = {}
        self.figures = Figures()  # figure files the pages refer to (written with the site)
        self._values: dict[str, dict] | None = None
        self.check_import_order()

    # -- before execution -------------------------------------------------------------
    def check_import_order(self) -> None:
        """Hygiene of the source notebooks: torch before tensorflow, generated cells up to date."""
        from .support import stale

        support = self.project.support_context()
        problems = []
        for path in find_notebooks(self.project.notebooks_dir):
            nb = read_notebook(path)
            where = f"notebooks/{self.project.rel_notebook(path)}"
            problem = import_order_problem(nb)
            if problem:
                problems.append(f"{where}: {problem}")
            if stale(nb, support):
                problems.append(
                    f"{where}: its generated cells (Colab setup, helpers, embedded data) are out of date:"
                    " run `make notebooks` (python -m factcheck sync)"
                )
        if problems:
            raise RegistryError("\n".join(problems))

    # -- execution ----------------------------------------------------------------------
    def execute(self, shard: str | None = None, notebooks: list[str] | None = None, force: bool = False) -> RunReport:
        report = self.executor.run(notebooks=notebooks, shard=shard, force=force)
        self._values = None  # outputs may have changed
        report.raise_for_failures()
        return report

    def publish(self, site_url: str | None) -> None:
        """Give every executed notebook its 'verified with' banner (see publish.py): the copy the
        site renders and offers for download says when CI ran it, with what, at which commit."""
        import nbformat

        from .publish import Commit, banner_markdown, with_banner

        commit = Commit.of(self.project.root)
        for path in find_notebooks(self.project.notebooks_dir):
            rel = self.project.rel_notebook(path)
            executed = self.project.executed_notebook(rel)
            if not executed.is_file():
                continue
            page = f"{site_url.rstrip('/')}/notebooks/{rel.removesuffix('.ipynb')}/" if site_url else None
            text = banner_markdown(self.record(rel), commit, self.repo_url, rel, page)
            nb = with_banner(read_notebook(executed), text)
            new = nbformat.writes(nb) + "\n"
            if executed.read_text(encoding="utf-8") != new:
                executed.write_text(new, encoding="utf-8")

    def record(self, notebook: str) -> dict:
        path = self.project.record_path(notebook)
        if not path.is_file():
            raise ExecutionError(
                [
                    Failure(
                        notebook,
                        "error",
                        None,
                        self.registry.claims_for_notebook(notebook),
                        "no executed copy (run the executor first)",
                    )
                ]
            )
        return json.loads(path.read_text())

    # -- checks after execution -----------------------------------------------------------
    def values(self) -> dict[str, dict]:
        """Every value recorded by any notebook; a name recorded by two notebooks is an error.

        Read once per build (after execution) and shared by every page that quotes a value."""
        if self._values is None:
            self._values = self._read_values()
        return self._values

    def _read_values(self) -> dict[str, dict]:
        values, owner = {}, {}
        for path in find_notebooks(self.project.notebooks_dir):
            rel = self.project.rel_notebook(path)
            executed = self.project.executed_notebook(rel)
            if not executed.is_file():
                continue
            for name, payload in recorded_values(executed).items():
                if name in owner and owner[name] != rel:
                    raise EvidenceError(f"value {name!r} is recorded by notebooks/{owner[name]} and notebooks/{rel}")
                values[name], owner[name] = payload, rel
        return values

    def check_pages(self, pages: dict[str, str]) -> dict[str, str]:
        self.placed = claim_pages(pages, self.registry, set(self.values()))
        if any("decision-guide" in text for text in pages.values()):
            self.decision_guide()
        return self.placed

    def decision_guide(self) -> list[dict]:
        """Rows of ``data/decision-guide.yaml``; every row must cite known claims."""
        path = self.project.root / "data" / "decision-guide.yaml"
        try:
            rows = yaml.safe_load(path.read_text())["rows"]
        except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise PageError(f"{path}: cannot read the decision guide ({exc})") from None
        for number, row in enumerate(rows, start=1):
            missing = [k for k in ("need", "pick", "because", "claims") if not row.get(k)]
            if missing:
                raise PageError(f"{path}: row {number}, field {missing[0]!r} is missing")
            unknown = [cid for cid in row["claims"] if cid not in self.registry]
            if unknown:
                raise PageError(f"{path}: row {number}, field 'claims' names unknown claim {unknown[0]!r}")
        return rows

    def cells(self, claim_id: str) -> dict[str, list]:
        claim = self.registry[claim_id]
        return {
            fw: evidence_cells(self.project.executed_notebook(ev.notebook), ev.notebook, ev.cells)
            for fw, ev in claim.evidence.items()
        }

    def verify_evidence(self) -> None:
        from .evidence_checks import NotebookCode, assert_problems

        problems = []
        code: dict[str, NotebookCode] = {}
        for claim in self.registry:
            try:
                for fw, cells in self.cells(claim.id).items():
                    # The shared cells illustrate; each framework's own cells must assert, unless
                    # the registry says no code can decide that side (judged from sources).
                    must_assert = fw != SHARED and not claim.evidence[fw].untestable
                    check_evidence_ran(claim.id, fw, cells, require_assert=must_assert)
                    if must_assert:
                        notebook = claim.evidence[fw].notebook
                        if notebook not in code:
                            nb = load_executed(self.project.executed_notebook(notebook))
                            code[notebook] = NotebookCode([c.source if c.cell_type == "code" else "" for c in nb.cells])
                        problems += assert_problems(claim.id, fw, FRAMEWORK_LABELS[fw], notebook, code[notebook], cells)
                self.explanation(claim)  # every value it names was recorded
                if claim.difference:
                    self.difference_row(claim)
            except (EvidenceError, FileNotFoundError) as exc:
                problems.append(str(exc))
        if problems:
            raise EvidenceError("\n".join(problems))

    def explanation(self, claim) -> str:
        """The claim's explanation with each ``<!-- value: name -->`` replaced by the value a
        notebook recorded, so a measured number in a verdict's reason comes from a cell."""
        values = self.values()

        def value(match: re.Match) -> str:
            if match[1] not in values:
                raise EvidenceError(
                    f"{claim.file.name}: claim {claim.id!r}: explanation names value {match[1]!r},"
                    " which no notebook recorded"
                )
            return values[match[1]]["text"]

        return _VALUE.sub(value, claim.explanation)

    def difference_row(self, claim) -> tuple:
        """(claim, TensorFlow default, PyTorch default, symptom) from recorded values."""
        values, diff = self.values(), claim.difference

        def value(name: str, field: str) -> str:
            if name not in values:
                raise EvidenceError(
                    f"{claim.file.name}: claim {claim.id!r}: field 'difference.{field}' names value {name!r},"
                    " which no notebook recorded"
                )
            return values[name]["text"]

        def quoted(match: re.Match) -> str:
            return value(match[1], "symptom")

        return (
            claim,
            value(diff.tensorflow, "tensorflow"),
            value(diff.pytorch, "pytorch"),
            _VALUE.sub(quoted, diff.symptom),
        )

    # -- rendering ------------------------------------------------------------------------
    def page_records(self, page: str) -> list[dict]:
        notebooks = sorted(
            {ev.notebook for cid, p in self.placed.items() if p == page for ev in self.registry[cid].evidence.values()}
        )
        return [self.record(nb) for nb in notebooks]

    def resolver(self, page: str, url: str | None = None):
        """The shortcode resolver for one page (``page`` relative to docs/, ``url`` its URL
        relative to the site root, e.g. ``paradigm/``)."""
        here = posixpath.dirname(page)
        url_dir = posixpath.dirname(url) if url is not None else here

        def link(target: str) -> str:
            return posixpath.relpath(target, here or ".")

        def figure(data: bytes, ext: str) -> str:
            return posixpath.relpath(self.figures.add(data, ext), url_dir or ".")

        def resolve(kind: str, arg: str | None, stash) -> str:
            if kind == "claim":
                claim = self.registry[arg]
                links = {fw: link(f"notebooks/{ev.notebook}") for fw, ev in claim.evidence.items()}
                claim = dataclasses.replace(claim, explanation=self.explanation(claim))
                return render.claim_panel(claim, self.cells(arg), links, stash, repo_url=self.repo_url, figure=figure)
            if kind == "value":
                values = self.values()
                if arg not in values:
                    raise PageError(f"docs/{page}: no notebook recorded a value named {arg!r}")
                return values[arg]["text"]
            if kind == "provenance":
                return render.provenance(self.page_records(page))
            if kind == "scoreboard":
                return render.scoreboard(self.registry, self.placed, link)
            if kind == "outdated-claims":
                return render.outdated_claims(self.registry, self.placed, link)
            if kind == "decision-guide":
                return render.decision_guide(self.decision_guide(), self.registry, self.placed, link)
            if kind == "differences-table":
                rows = [self.difference_row(c) for c in self.registry if c.difference and self.placed.get(c.id) == page]
                if not rows:
                    raise PageError(f"docs/{page}: differences-table, but no claim on this page has a 'difference'")
                return render.differences_table(rows, self.placed, link)
            if kind == "claim-count":
                return str(len(self.registry))
            if kind == "verdict-count":
                return str(sum(1 for c in self.registry if c.verdict == arg))
            raise PageError(f"docs/{page}: unknown shortcode {kind!r}")

        return resolve

    # -- site data ------------------------------------------------------------------------
    def badges(self) -> dict[str, str]:
        """Files for embeddable verdict badges: badges/<id>.svg and badges/<id>.json."""
        files = {}
        for claim in self.registry:
            files[f"badges/{claim.id}.svg"] = render.badge_svg(claim.id, claim.verdict)
            files[f"badges/{claim.id}.json"] = json.dumps(render.badge_endpoint(claim.id, claim.verdict)) + "\n"
        return files

    def claims_json(self, url_of: Callable[[str], str]) -> dict:
        """Machine-readable record of every claim (``url_of(page)`` gives a page's URL)."""
        claims = []
        for claim in sorted(self.registry, key=lambda c: (c.section.order, c.id)):
            page = self.placed.get(claim.id)
            evidence = {}
            records = {}
            for fw in (fw for fw in (*FRAMEWORKS, SHARED) if fw in claim.evidence):
                ev = claim.evidence[fw]
                record = self.record(ev.notebook)
                records[fw] = record
                cells = self.cells(claim.id)[fw]
                evidence[fw] = {
                    "notebook": f"notebooks/{ev.notebook}",
                    "cells": [{"tag": c.tag, "cell": c.index + 1, "execution_count": c.execution_count} for c in cells],
                    "passed": all(c.execution_count is not None for c in cells)
                    and (fw == SHARED or bool(ev.untestable) or any(c.asserts for c in cells)),
                    "untestable": ev.untestable,
                }
            newest = max(records.values(), key=lambda r: r["executed_at"])
            claims.append(
                {
                    "id": claim.id,
                    "section": claim.section.id,
                    "section_title": claim.section.title,
                    "claim": claim.claim,
                    "url": f"{url_of(page)}#{claim.id}" if page else None,
                    "quote": claim.quote,
                    "quoted_from": (
                        {"title": claim.origin.title, "url": claim.origin.url} if claim.origin else "the article"
                    ),
                    "verdict": claim.verdict,
                    "explanation": self.explanation(claim),
                    "evidence": evidence,
                    "sources": [
                        {"url": s.url, "title": s.title, "published": s.published, "accessed": s.accessed}
                        for s in claim.sources
                    ],
                    "versions": {k: v for k, v in newest["versions"].items() if v},
                    "verified_on": newest["executed_at"][:10],
                }
            )
        counts = {v: sum(1 for c in claims if c["verdict"] == v) for v in render.VERDICT_LABELS}
        return {"schema": 1, "article": "TensorFlow vs PyTorch", "counts": counts, "claims": claims}


def engine_for(root: Path | str, **kwargs) -> Engine:
    return Engine(Project.at(root), **kwargs)
