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


# -- executed notebooks and results, for the judging and matrix tests ----------------------------

# A notebook whose cells cover every case: a setup cell, a claim that holds, one that fails
# its assert, one whose cell imports a package the environment lacks, one that uses a torch
# API that does not exist, and one whose cell depends on a variable an earlier claim's cell
# never defined.
CASES = [
    ("md", "# Cases\n\nEvery outcome once."),
    ("code", "import os\nbase = 21"),
    ("code", "assert base * 2 == 42\nprint('holds')", ["tf-holds"]),
    ("code", "assert base * 2 == 43, 'the arithmetic changed'", ["pt-fails"]),
    ("code", "raise RuntimeError('boom in an earlier claim')\nboom_result = base", ["pt-boom"]),
    ("code", "assert boom_result == 21", ["pt-after-boom"]),
    ("code", "import surely_not_installed_pkg\nassert True", ["tf-missing"]),
    ("code", "x = 1\nassert x == 1", ["pt-holds"]),
]

# A notebook whose setup cell cannot import a library: every claim in it could not run.
SETUP_IMPORT = [
    ("md", "# Setup fails\n\nThe setup imports a library that is left out."),
    ("code", "import surely_not_installed_pkg as lib"),
    ("code", "assert lib.answer == 42", ["tf-needs-lib"]),
    ("code", "assert 1 + 1 == 2", ["pt-plain"]),
]

# A setup cell that raises something other than ImportError (a newer API than the claim needs).
SETUP_ERROR = [
    ("md", "# Setup raises\n\nA setup cell uses an API this release lacks."),
    ("code", "raise AttributeError(\"module 'torch' has no attribute 'compiler'\")\nvalue = 1"),
    ("code", "assert value == 1", ["tf-after-setup"]),
    ("code", "assert 2 == 2", ["pt-after-setup"]),
]


def executed_cases(root: Path):
    """The CASES notebooks executed for real (errors allowed) by the matrix's worker, as
    (registry, executed notebooks, records): what a run judges."""
    from factcheck.judging.classify import notebook_result
    from factcheck.matrix.worker import execute_notebooks
    from factcheck.run.cache import code_hash
    from factcheck.sources.notebooks import read_notebook
    from factcheck.sources.registry import load_registry

    demo = DemoProject(root)
    # Without generated cells: the cell numbers below count the fixture's own cells.
    demo.write_notebook("demo/cases.ipynb", CASES, sync=False)
    demo.write_notebook("demo/setup-import.ipynb", SETUP_IMPORT, sync=False)
    demo.write_notebook("demo/setup-error.ipynb", SETUP_ERROR, sync=False)
    demo.write_claims(
        [
            claim("demo-holds-and-fails", "demo/cases.ipynb", ["tf-holds"], ["pt-fails"]),
            claim("demo-missing-and-boom", "demo/cases.ipynb", ["tf-missing"], ["pt-boom"]),
            claim(
                "demo-after-boom",
                "demo/cases.ipynb",
                ["tf-holds"],
                ["pt-after-boom"],
                evidence={
                    "tensorflow": {"notebook": "demo/cases.ipynb", "cells": ["tf-holds"]},
                    "pytorch": {"notebook": "demo/cases.ipynb", "cells": ["pt-after-boom"]},
                    "both": {"notebook": "demo/cases.ipynb", "cells": ["pt-boom"]},
                },
            ),
            claim("demo-setup-import", "demo/setup-import.ipynb", ["tf-needs-lib"], ["pt-plain"]),
            claim("demo-setup-error", "demo/setup-error.ipynb", ["tf-after-setup"], ["pt-after-setup"]),
        ]
    )
    out = demo.root / "executed"
    rels = ["demo/cases.ipynb", "demo/setup-import.ipynb", "demo/setup-error.ipynb"]
    execute_notebooks(rels, out, jobs=2, notebooks_dir=demo.root / "notebooks")
    registry = load_registry(demo.root / "claims", demo.root / "notebooks")
    nbs, records = {}, {}
    for rel in rels:
        records[rel], nbs[rel] = notebook_result(
            rel, out / rel, code_hash(read_notebook(demo.root / "notebooks" / rel))
        )
    return registry, nbs, records


def sample_result(framework="torch", requested="2.3", got="2.3.1", outcome="holds", status="complete"):
    """A run result with one claim, whose PyTorch side has ``outcome``."""
    from factcheck.judging.results import (
        Check,
        Environment,
        LeftOut,
        NotebookResult,
        PackageStatus,
        Reason,
        RunResult,
        SideResult,
    )
    from factcheck.vocabulary import COULD_NOT_RUN, FAILS, HOLDS

    side = (
        SideResult(
            outcome,
            ("c",),
            error="AssertionError: no" if outcome == FAILS else None,
            cell=3 if outcome == FAILS else None,
        )
        if outcome != COULD_NOT_RUN
        else SideResult(outcome, ("c",), reason=Reason("missing-package", "cell 2: No module named 'onnx'", 2, "onnx"))
    )
    env = Environment(
        python="3.11.7",
        packages={"torch": got, "tensorflow-cpu": "2.21.0"},
        frameworks=[PackageStatus("torch", got, "2.15.0", "the release under test")],
        other_framework={
            "package": "tensorflow-cpu",
            "pinned": "2.21.0",
            "got": "2.21.0",
            "reason": "the project pin",
            "attempts": [],
        },
        left_out=[LeftOut("litert-torch", "litert-torch 0.10.0 depends on torch<2.15")],
        checks=[Check("torch", True, "torchvision::nms loads")],
        caps=["pip config global.constraint: overridden"],
    )
    return RunResult(
        kind="matrix",
        framework=framework,
        requested=requested,
        got={"torch": got, "tensorflow": "2.21.0"},
        date="2026-11-29",
        status=status,
        wall={"total": 500.0, "install": 200.0, "execute": 290.0},
        environment=env,
        notebooks={"demo/a.ipynb": NotebookResult("demo/a.ipynb", "ran", "0123456789abcdef0123", 12.5)},
        claims={"demo-claim": {"pytorch": side, "tensorflow": SideResult(HOLDS, ("d",))}},
        disk={"peak_used": 9.5},
    )
