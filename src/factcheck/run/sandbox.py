"""The conditions a notebook runs under, here and everywhere: those of a reader's download.

Every execution (the build, the version matrix, the counterfactual runs) starts the kernel in a
new, empty temporary folder, with no network and with this repository's own packages (whatever
lives in its ``src/``) unimportable, so a run that passes proves the published notebook runs alone
on a reader's machine. A notebook that imports fwbench gets the wheel the site publishes, unpacked
on its path, as a reader who followed its install line has it.

The blocking is a ``sitecustomize`` module first on the kernel's ``PYTHONPATH``: an import hook
refuses any top-level module found in the blocked folders, and sockets refuse every address but
loopback (the kernel talks to Jupyter over loopback). Only what changes logs is set besides.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..vocabulary import OWN_MODULES

# Quieter native logs and the inline plot backend: they change what is printed to stderr, never
# what a cell computes (the published outputs stay free of TensorFlow's start-up noise).
QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}
# What an execution record says of the conditions (tests check every published notebook's).
CONDITIONS = {"folder": "empty", "network": "closed", "repository": "unimportable"}

SITECUSTOMIZE = '''
"""Written by factcheck's sandbox: this repository's packages are not importable, the network is closed."""
import importlib.abc
import socket
import sys

_NAMES = {names!r}
_FOLDERS = {folders!r}
_OWN = {own!r}  # this project's packages: importable only from a wheel given to the run
_WHEELS = {wheels!r}


class _RepositoryBlocker(importlib.abc.MetaPathFinder):
    """Refuses a module that would load from this repository (an installed wheel of it is fine)."""

    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top not in _NAMES and top not in _OWN:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is None:
                continue
            places = [spec.origin or "", *(spec.submodule_search_locations or [])]
            from_wheel = all(str(place).startswith(_WHEELS) for place in places if place) if _WHEELS else False
            if any(str(place).startswith(_FOLDERS) for place in places) or (top in _OWN and not from_wheel):
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: it lives in the checkout)", name=name)
            return None
        return None


sys.meta_path.insert(0, _RepositoryBlocker())
_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
        raise OSError(f"network closed for this notebook run (tried {{host}})")
    return _connect(self, address)


socket.socket.connect = _loopback_only
'''


def top_level_modules(src: Path) -> list[str]:
    """The importable names a source folder provides (packages and modules)."""
    names = []
    for entry in sorted(Path(src).iterdir()) if Path(src).is_dir() else []:
        if entry.is_dir() and (entry / "__init__.py").is_file():
            names.append(entry.name)
        elif entry.suffix == ".py" and entry.stem.isidentifier():
            names.append(entry.stem)
    return names


def _own_folders() -> list[str]:
    """Where this project's own packages load from in this process (the checkout's src/, or an
    install of it): a notebook may not import them from there (a wheel a reader installed is fine)."""
    folders = []
    for name in OWN_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is not None:
            folders += [str(Path(p).resolve()) for p in (spec.submodule_search_locations or [])]
    return folders


@dataclass
class Sandbox:
    """An empty working folder and the kernel's environment (use as a context manager).

    ``blocked``: source folders whose modules no notebook may import (besides this project's own
    packages, factcheck and fwbench, wherever they load from here); ``wheels``: wheels to unpack
    onto the kernel's path (fwbench's, for the notebooks that import it)."""

    blocked: list[Path]
    wheels: list[Path] = field(default_factory=list)
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    _tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> Sandbox:
        # Named tmp…: the scrubbing masks it like any scratch folder.
        self._tmp = tempfile.TemporaryDirectory(prefix="tmp", ignore_cleanup_errors=True)
        base = Path(self._tmp.name)
        self.cwd = base / "notebook"
        self.cwd.mkdir()
        support = base / "support"
        support.mkdir()
        names, folders = set(OWN_MODULES), {str(Path(src).resolve()) for src in self.blocked}
        names.update(name for src in self.blocked for name in top_level_modules(src))
        folders.update(_own_folders())
        names, folders = sorted(names), tuple(sorted(folders))
        path = [support]
        for wheel in self.wheels:
            target = base / f"wheel-{Path(wheel).stem}"
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(target)
            path.append(target)
        wheels = tuple(str(p.resolve()) for p in path[1:])
        (support / "sitecustomize.py").write_text(
            SITECUSTOMIZE.format(names=names, folders=folders, own=sorted(OWN_MODULES), wheels=wheels)
        )
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(QUIET_ENV)
        env.update({"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "1"})
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in path)
        self.env = env
        return self

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
