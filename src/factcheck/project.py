"""Where things live in a Framework Facts checkout. Tests point this at a temporary tree."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    root: Path
    claims_dir: Path
    notebooks_dir: Path
    docs_dir: Path
    lock_file: Path
    cache_dir: Path  # executed notebooks keyed by content + environment
    executed_dir: Path  # the executed copy of each notebook, mirroring notebooks/

    @classmethod
    def at(cls, root: Path | str, **overrides) -> Project:
        root = Path(root).resolve()
        paths = {
            "claims_dir": root / "claims",
            "notebooks_dir": root / "notebooks",
            "docs_dir": root / "docs",
            "lock_file": root / "requirements.lock",
            "cache_dir": root / ".cache" / "factcheck",
            "executed_dir": root / "build" / "executed",
        }
        paths.update({k: Path(v) for k, v in overrides.items()})
        return cls(root=root, **paths)

    @property
    def published_url(self) -> str | None:
        """The site's public address: the default of ``site_url`` in mkdocs.yml (a local server
        may override it with $SITE_URL, but links that travel with a notebook use this one)."""
        config = self.root / "mkdocs.yml"
        if not config.is_file():
            return None
        m = re.search(r"^site_url:\s*(?:!ENV\s*\[\s*\w+\s*,\s*)?[\"']?([^\"'\]\s]+)", config.read_text(), re.M)
        return m[1].rstrip("/") + "/" if m else None

    @property
    def repo_url(self) -> str | None:
        """``repo_url`` of mkdocs.yml (the banner's links to the source at a commit)."""
        config = self.root / "mkdocs.yml"
        if not config.is_file():
            return None
        m = re.search(r"^repo_url:\s*[\"']?([^\"'\s]+)", config.read_text(), re.M)
        return m[1] if m else None

    @property
    def fwbench_dir(self) -> Path:
        return self.root / "src" / "fwbench"

    def support_context(self):
        """What the generated notebook cells are made from (see support.py)."""
        from .publish.wheel import fwbench_version, wheel_name
        from .sources.support import SupportContext

        wheel_url = None
        if self.published_url and self.fwbench_dir.is_dir():
            wheel_url = self.published_url + "downloads/" + wheel_name(fwbench_version(self.fwbench_dir))
        return SupportContext.for_project(self.root, self.lock_file, wheel_url)

    def rel_notebook(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.notebooks_dir.resolve()).as_posix()

    # The executed tree, laid out here and nowhere else: build/executed/notebooks/<rel> mirrors
    # notebooks/, each executed copy with its execution record beside it; a failed run leaves
    # its partial copy under build/executed/failed/<rel>; the cache holds <key>.ipynb and
    # <key>.json in .cache/factcheck/.
    def executed_notebook(self, rel: str) -> Path:
        return executed_notebook(self.executed_dir, rel)

    def record_path(self, rel: str) -> Path:
        return record_path(self.executed_dir, rel)

    def failed_notebook(self, rel: str) -> Path:
        return self.executed_dir / "failed" / rel


def executed_notebook(executed_dir: Path, rel: str) -> Path:
    """Where the executed copy of notebooks/<rel> lives in an executed tree (any run's)."""
    return Path(executed_dir) / "notebooks" / rel


def record_path(executed_dir: Path, rel: str) -> Path:
    return executed_notebook(executed_dir, rel).with_suffix(".record.json")


def read_pins(lock_file: Path) -> dict[str, str]:
    """requirements.lock as {canonical name: version}: the one lock-file reader (the Colab cell,
    the version matrix and the tests read pins through it)."""
    pins = {}
    for line in Path(lock_file).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return pins
