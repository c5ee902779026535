"""Framework Facts site engine: claim registry, notebook execution, claim panels.

The pipeline, one module per stage (CONTRIBUTING.md draws it):

    registry.py      claims/*.yaml -> Claim objects (schema-checked; datafiles.py loads YAML)
    notebooks.py     source notebooks, read once; hygiene; support.py keeps their generated cells
    cache.py         the cache key and entries;  executor.py runs what the cache lacks (nbclient)
    extract.py       evidence cells and recorded values from executed notebooks
    evidence_checks.py  the evidence ran, and its asserts could fail (dataflow.py reads the code in run order)
    placement.py     which page shows which claim;  shortcodes.py the table of shortcode kinds
    render.py        claim panels and tables as Markdown (pure functions)
    site.py          the stages wired together: load -> execute -> assemble -> resolver / files
    mkdocs_plugin.py the MkDocs adapter; notebook_page.py repairs mkdocs-jupyter's pages

``vocabulary.py`` names verdicts, frameworks and tags once for all of them.
"""

from .errors import EvidenceError, ExecutionError, FactcheckError, PageError, RegistryError
from .project import Project
from .registry import Claim, Registry, load_registry
from .site import Site, Sources, assemble, execute, load

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
