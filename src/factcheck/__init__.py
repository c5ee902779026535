"""Framework Facts site engine: claim registry, notebook execution, claim panels, and the runs
that check the claims on other releases and with their facts flipped.

A folder per stage (CONTRIBUTING.md draws the pipeline; each folder's ``__init__.py`` says what it
owns):

    sources/          claims/*.yaml, data files and source notebooks, read once; generated cells
    run/              execute_notebook, the one place notebooks run (a reader's conditions); cache
    evidence/         evidence cells and values; the evidence ran and its asserts could fail
    site.py           the stages wired together: load -> execute -> assemble -> Site
    pages/            claim placement, shortcodes, panels and tables, notebook page repairs
    publish/          the verified-with banner, the fwbench wheel, the social card
    judging/          run results, blame, classification (holds, fails, could not run)
    matrix/           the version matrix: a run per release, in its own environment
    counterfactuals/  each claim side's evidence run with its fact flipped
    reports/          release strips, the Versions page, drift
    mkdocs_plugin.py  the MkDocs adapter: wiring only

``vocabulary.py`` names verdicts, frameworks, packages, outcomes and tags once for all of them.
"""

from .errors import EvidenceError, ExecutionError, FactcheckError, PageError, RegistryError
from .project import Project

# The pipeline loads on first use, so that `python -m factcheck matrix` (which only orchestrates
# pip and runs) starts without the notebook machinery.
_LAZY = {
    "Site": "site", "Sources": "site", "assemble": "site", "execute": "site", "load": "site",
    "Claim": "sources.registry", "Registry": "sources.registry", "load_registry": "sources.registry",
}  # fmt: skip


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Claim",
    "EvidenceError",
    "ExecutionError",
    "FactcheckError",
    "PageError",
    "Project",
    "Registry",
    "RegistryError",
    "Site",
    "Sources",
    "assemble",
    "execute",
    "load",
    "load_registry",
]
