"""Reading source notebooks: discovery, cell tags, and the hygiene rules they must follow.

A build reads each source notebook once, into a ``SourceNotebook``; the registry checks, the
hygiene checks, the generated-cell check and the cache key all use that one copy.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import nbformat

from ..errors import RegistryError
from ..vocabulary import FRAMEWORK_MODULES

# The segfault this guards against: `import tensorflow` then `import torchvision` (pinned versions).
_TORCH_MODULES = FRAMEWORK_MODULES["pytorch"]
_TF_MODULES = FRAMEWORK_MODULES["tensorflow"]


def find_notebooks(notebooks_dir: Path) -> list[Path]:
    """Source notebooks, sorted, skipping checkpoints and underscore-prefixed helpers."""
    return sorted(
        p
        for p in Path(notebooks_dir).rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts and not p.name.startswith("_")
    )


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook, turning any parse error into one line that names the file."""
    try:
        return nbformat.read(path, as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        raise RegistryError(f"{path}: not a valid notebook (JSON error: {exc})") from None
    except (nbformat.ValidationError, KeyError, AttributeError, TypeError) as exc:
        raise RegistryError(f"{path}: not a valid notebook ({exc})") from None


@dataclass
class SourceNotebook:
    """One notebook under notebooks/, read once per build."""

    rel: str  # relative to notebooks/, e.g. "paradigm/eager-and-graphs.ipynb"
    path: Path
    nb: nbformat.NotebookNode = field(repr=False)

    @classmethod
    def read(cls, notebooks_dir: Path, path: Path) -> SourceNotebook:
        rel = Path(path).resolve().relative_to(Path(notebooks_dir).resolve()).as_posix()
        return cls(rel, Path(path), read_notebook(path))

    @cached_property
    def tags(self) -> dict[str, int]:
        return tagged_cells(self.nb)

    @property
    def settings(self) -> dict:
        return notebook_settings(self.nb)

    @property
    def title(self) -> str:
        for cell in self.nb.cells:
            if cell.cell_type == "markdown":
                for line in cell.source.splitlines():
                    if line.startswith("# "):
                        return line[2:].strip()
        return self.path.stem


def load_notebooks(notebooks_dir: Path) -> dict[str, SourceNotebook]:
    """Every source notebook, read once, keyed by its path relative to notebooks/."""
    found = (SourceNotebook.read(notebooks_dir, p) for p in find_notebooks(notebooks_dir))
    return {n.rel: n for n in found}


def cell_tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def tagged_cells(nb) -> dict[str, int]:
    """Map each tag to the index of the (first) cell carrying it."""
    found: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        for tag in cell_tags(cell):
            found.setdefault(tag, index)
    return found


def notebook_settings(nb) -> dict:
    """The engine's per-notebook settings (``metadata.factcheck``): timeout, depends."""
    return dict(nb.metadata.get("factcheck", {}))


def outputs_present(nb) -> list[int]:
    """Indices of code cells that carry outputs or an execution count (stored notebooks must not)."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]


def _imported_modules(source: str):
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return  # IPython magics; the kernel will report real syntax errors
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


def import_order_problem(nb) -> str | None:
    """Return a message when TensorFlow (or Keras) is imported before torch/torchvision."""
    first_tf = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for _, module in _imported_modules(cell.source):
            if module in _TF_MODULES and first_tf is None:
                first_tf = (index, module)
            if module in _TORCH_MODULES and first_tf is not None:
                return (
                    f"cell {index + 1} imports {module} after cell {first_tf[0] + 1} imported "
                    f"{first_tf[1]}: import torch and torchvision before tensorflow"
                )
    return None


def has_assertion(source: str) -> bool:
    """True when the code contains an ``assert`` statement (or a pytest/numpy assert call)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "assert" in source
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None) or ""
            if name.startswith("assert"):
                return True
    return False
