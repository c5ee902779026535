"""What a published notebook carries besides its cells: a banner saying what it was verified
with (pure functions, plus the one call to git).

The banner is a Markdown cell inserted after the title of the executed copy, the copy the site
renders and offers for download, so a notebook pasted into a wiki still says its age: the date
CI ran it, the framework and Python versions, and the commit it was built from. It is added
after execution (it never reaches the cache key), so a new commit re-executes nothing.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat

BANNER_TAG = "verified-banner"


@dataclass(frozen=True)
class Commit:
    sha: str | None  # None outside a git checkout
    dirty: bool = False

    @property
    def short(self) -> str:
        return (self.sha or "unknown")[:10]

    @classmethod
    def of(cls, root: Path) -> Commit:
        try:
            sha = subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
            ).stdout.strip()
            status = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            return cls(None)
        return cls(sha, bool(status.strip()))


def _short(version: str | None) -> str:
    return (version or "not installed").split("+")[0]


def banner_markdown(record: dict, commit: Commit, repo_url: str | None, notebook: str, site_url: str | None) -> str:
    """The 'verified with' banner of one executed notebook (``notebook`` relative to notebooks/):
    when CI ran it and with what, the commit, and where the site lists its claims and the
    verdict on other releases."""
    v = record["versions"]
    when = record["executed_at"][:10]
    ref = commit.short + (" with uncommitted changes" if commit.dirty else "")
    if repo_url and commit.sha:
        base = repo_url.rstrip("/")
        source = f"{base}/blob/{commit.sha}/notebooks/{notebook}"
        at = f"[`{ref}`]({base}/tree/{commit.sha}) ([source at that commit]({source}))"
    else:
        at = f"`{ref}`"
    where = ""
    if site_url:
        site = site_url.rstrip("/")
        where = (
            f" The claims it is evidence for, with their verdicts: <{site}/claims/#{notebook_anchor(notebook)}>."
            f" Other releases may differ: the verdict on each one is at <{site}/versions/>."
        )
    return (
        f"> **Verified by Framework Facts.** CI ran this notebook top to bottom on {when} with "
        f"TensorFlow {_short(v.get('tensorflow'))}, PyTorch {_short(v.get('torch'))} and Python "
        f"{_short(v.get('python'))}, at commit {at}.{where}"
    )


def notebook_anchor(notebook: str) -> str:
    """The anchor of a notebook's claims on the claims index (``nb-paradigm-eager-and-graphs``)."""
    return "nb-" + notebook.removesuffix(".ipynb").replace("/", "-")


def with_banner(nb, text: str):
    """``nb`` with the banner cell (replacing an older one) right after the title cell."""
    cells = [c for c in nb.cells if BANNER_TAG not in c.get("metadata", {}).get("tags", [])]
    banner = nbformat.v4.new_markdown_cell(text)
    banner.id = BANNER_TAG
    banner.metadata["tags"] = [BANNER_TAG]
    at = 1 if cells and cells[0].cell_type == "markdown" else 0
    nb.cells = cells[:at] + [banner] + cells[at:]
    return nb
