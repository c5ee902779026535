"""Where things live in a Framework Facts checkout. Tests point this at a temporary tree."""

from __future__ import annotations

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

    def rel_notebook(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.notebooks_dir.resolve()).as_posix()

    def executed_notebook(self, rel: str) -> Path:
        return self.executed_dir / "notebooks" / rel

    def record_path(self, rel: str) -> Path:
        return self.executed_notebook(rel).with_suffix(".record.json")
