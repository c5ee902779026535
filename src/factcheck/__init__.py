"""Framework Facts site engine: claim registry, notebook execution, claim panels.

Stages, each in its own module: ``registry`` (claims files), ``notebooks`` (reading and
hygiene), ``executor`` (nbclient behind a cache), ``extract`` (evidence cells), ``render``
(panel Markdown), ``shortcodes`` (Python-Markdown extension), ``pages`` (page checks),
``engine`` (the facade a site adapter calls). ``mkdocs_plugin`` is the only MkDocs adapter.
"""

from .engine import Engine
from .errors import EvidenceError, ExecutionError, FactcheckError, PageError, RegistryError
from .project import Project
from .registry import Claim, Registry, load_registry

__all__ = [
    "Claim",
    "Engine",
    "EvidenceError",
    "ExecutionError",
    "FactcheckError",
    "PageError",
    "Project",
    "Registry",
    "RegistryError",
    "load_registry",
]
