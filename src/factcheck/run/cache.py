"""The execution cache: a key per notebook, and entries stored under it.

The key covers what can change a notebook's outputs: its code cells (source and tags), its
kernelspec and engine settings, the data files it declares (``metadata.factcheck.depends``), the
code of the repository's benchmark package when the notebook imports it, the locked and the
installed dependency sets, and the Python version. Markdown edits re-execute nothing; a lock-file
change re-executes everything. An entry is the executed notebook (``<key>.ipynb``) and its
execution record (``<key>.json``: when, how long, which versions, which machine).
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import nbformat

from ..sources.notebooks import SourceNotebook

KEY_VERSION = "7"  # bump to invalidate every cache entry after a change to execution itself


class MissingDependencyError(Exception):
    """A notebook declares a data file that does not exist."""


def environment_fingerprint(lock_file: Path) -> str:
    """Hash of the locked dependency set, the packages actually installed, and the Python version.

    The installed set matters when one checkout executes in two environments (the pinned one
    and `make test-latest`'s newest releases): the lock file alone would not tell them apart.
    """
    h = hashlib.sha256()
    h.update(f"python {platform.python_implementation()} {platform.python_version()}\n".encode())
    h.update(Path(lock_file).read_bytes() if Path(lock_file).is_file() else b"<no lock file>")
    installed = sorted(
        f"{d.metadata['Name'].lower()}=={d.version}"
        for d in metadata.distributions()
        if d.metadata["Name"] and d.metadata["Name"].lower() != "factcheck"
    )
    h.update("\n".join(installed).encode())
    return h.hexdigest()


def code_hash(nb) -> str:
    """The notebook revision: its code cells (source and tags) and engine settings. Markdown
    edits do not change it. Cache keys build on it, and each version-matrix and counterfactual
    result records it, so a result computed from other code is known to be stale."""
    h = hashlib.sha256()
    settings = dict(nb.get("metadata", {}).get("factcheck", {}))
    # "measurements" only changes how the drift report reads outputs, not what runs.
    h.update(json.dumps({k: v for k, v in settings.items() if k != "measurements"}, sort_keys=True).encode())
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            tags = cell.get("metadata", {}).get("tags", [])
            h.update(json.dumps([source, sorted(tags)]).encode())
    return h.hexdigest()[:20]


def notebook_key(source: SourceNotebook, root: Path, env_fingerprint: str) -> str:
    from ..sources.support import imported_modules

    nb = source.nb
    h = hashlib.sha256()
    h.update(f"factcheck-key {KEY_VERSION}\n{env_fingerprint}\n".encode())
    h.update(json.dumps(nb.metadata.get("kernelspec", {}), sort_keys=True).encode())
    h.update(code_hash(nb).encode())
    # A notebook that imports the repository's benchmark package depends on all of its code.
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if "fwbench" in imported_modules(code):
        from ..publish.wheel import fwbench_version  # the hash of its sources, which names its wheel

        h.update(fwbench_version(Path(root) / "src" / "fwbench").encode())
    for dep in source.settings.get("depends", []):
        dep_path = Path(root) / dep
        if not dep_path.is_file():
            raise MissingDependencyError(f"declared dependency {dep} does not exist")
        h.update(dep.encode() + b"\0" + dep_path.read_bytes())
    return h.hexdigest()[:32]


@dataclass(frozen=True)
class CacheEntry:
    """One executed notebook in the cache."""

    directory: Path
    key: str

    @property
    def notebook(self) -> Path:
        return self.directory / f"{self.key}.ipynb"

    @property
    def record_file(self) -> Path:
        return self.directory / f"{self.key}.json"

    def exists(self) -> bool:
        return self.notebook.is_file() and self.record_file.is_file()

    def store_notebook(self, nb) -> None:
        """Written atomically: a crash never leaves half a notebook under a valid key."""
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.notebook.with_suffix(".tmp")
        nbformat.write(nb, tmp)
        tmp.replace(self.notebook)

    def store_record(self, record: dict) -> None:
        self.record_file.write_text(json.dumps(record, indent=2) + "\n")

    def record(self) -> dict:
        return json.loads(self.record_file.read_text())
