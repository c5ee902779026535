"""Build small throwaway projects (claims, notebooks, pages) for engine tests."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import nbformat
import yaml

REPO = Path(__file__).resolve().parents[1]

SECTIONS = {"sections": [{"id": "demo", "title": "Demo Section", "order": 1}]}


def notebook(cells: list) -> nbformat.NotebookNode:
    """``cells``: ("md", text) or ("code", source, [tags])."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for spec in cells:
        if spec[0] == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(textwrap.dedent(spec[1]).strip()))
        else:
            tags = spec[2] if len(spec) > 2 else []
            cell = nbformat.v4.new_code_cell(textwrap.dedent(spec[1]).strip())
            if tags:
                cell.metadata["tags"] = list(tags)
            nb.cells.append(cell)
    return nb


def claim(cid: str, notebook: str = "demo/basic.ipynb", tf_cells=("tf-check",), pt_cells=("pt-check",), **extra):
    entry = {
        "id": cid,
        "section": "demo",
        "claim": f"A demo claim called {cid}.",
        "quote": "Short words from the article.",
        "verdict": "holds",
        "explanation": "The cells below assert it. They would fail if it stopped being true.",
        "evidence": {
            "tensorflow": {"notebook": notebook, "cells": list(tf_cells)},
            "pytorch": {"notebook": notebook, "cells": list(pt_cells)},
        },
        "sources": [
            {
                "url": "https://example.org/release-notes",
                "title": "Release notes",
                "published": "2024-01-02",
                "accessed": "2024-02-01",
            }
        ],
    }
    entry.update(extra)
    return entry


# One assert per side that depends on its framework (its installed version): fixtures add it to
# cells whose other asserts compare typed values.
TF_ASSERT = "from importlib.metadata import version\nassert version('tensorflow-cpu').startswith('2.')"
TORCH_ASSERT = "from importlib.metadata import version\nassert version('torch').startswith('2.')"

# Each side asserts on something its framework says (its installed version, read without the
# cost of importing it), so the evidence could fail: the engine rejects asserts on typed values.
BASIC = [
    ("md", "# Basic demo\n\nA notebook that passes."),
    ("code", "from importlib.metadata import version\n\nx = 21"),
    (
        "code",
        "y = x * 2\ntf_major = version('tensorflow-cpu').split('.')[0]\n"
        "assert y == 42 and tf_major == '2'\nprint('tf side', y)",
        ["tf-check"],
    ),
    (
        "code",
        "z = x + 21\ntorch_major = version('torch').split('.')[0]\n"
        "assert z == 42 and torch_major == '2'\nprint('torch side', z)",
        ["pt-check"],
    ),
]


def build_site(root: Path, pages: dict[str, str] | None = None, repo_url: str | None = None, execute: bool = True):
    """load -> execute -> assemble, as a site build does (``pages``: the project's docs/ by default)."""
    from factcheck import Project, assemble, load
    from factcheck import execute as run
    from factcheck.pages.placement import scan_pages

    sources = load(Project.at(root))
    report = run(sources, progress=lambda line: None, run=execute)
    report.raise_for_failures()
    return assemble(sources, report, pages if pages is not None else scan_pages(Path(root) / "docs"), repo_url=repo_url)


class DemoProject:
    """A project tree in ``root`` with one section, one page and notebooks under demo/."""

    def __init__(self, root: Path):
        self.root = Path(root)
        for sub in ("claims", "notebooks/demo", "docs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.write_yaml("claims/sections.yaml", SECTIONS)
        (self.root / "requirements.lock").write_text("demo==1.0\n")

    def write_yaml(self, rel: str, data) -> Path:
        path = self.root / rel
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    def write_notebook(self, rel: str, cells: list, metadata: dict | None = None, sync: bool = True) -> Path:
        """A notebook under notebooks/, with its generated cells (as `make notebooks` writes them)."""
        path = self.root / "notebooks" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        nb = notebook(cells)
        if metadata:
            nb.metadata["factcheck"] = metadata
        if sync:
            from factcheck.project import Project
            from factcheck.sources.support import synced

            nb = synced(nb, Project.at(self.root).support_context())
        nbformat.write(nb, path)
        return path

    def write_claims(self, claims: list, name: str = "demo.yaml") -> Path:
        return self.write_yaml(f"claims/{name}", {"claims": claims})

    def write_page(self, text: str, name: str = "demo.md") -> Path:
        path = self.root / "docs" / name
        path.write_text(textwrap.dedent(text))
        return path

    def basic(self, claim_ids=("demo-basic-claim",)) -> DemoProject:
        self.write_notebook("demo/basic.ipynb", BASIC)
        self.write_claims([claim(cid) for cid in claim_ids])
        self.write_page("# Demo { #demo }\n\n" + "\n\n".join(f"<!-- claim: {cid} -->" for cid in claim_ids) + "\n")
        return self

    def with_site_config(self) -> DemoProject:
        """Copy the real site's mkdocs.yml, theme overrides and assets, with a demo nav."""
        config = (REPO / "mkdocs.yml").read_text()
        config = config.split("\nnav:\n")[0] + "\nnav:\n  - Home: index.md\n  - Demo: demo.md\n"
        (self.root / "mkdocs.yml").write_text(config)
        shutil.copytree(REPO / "overrides", self.root / "overrides", dirs_exist_ok=True)
        shutil.copytree(REPO / "docs" / "assets", self.root / "docs" / "assets", dirs_exist_ok=True)
        (self.root / "docs" / "index.md").write_text("# Home { #home }\n\nSee [the demo](demo.md).\n")
        for watched in ("data", "overrides"):  # mkdocs.yml's `watch` list must exist
            (self.root / watched).mkdir(exist_ok=True)
        return self
