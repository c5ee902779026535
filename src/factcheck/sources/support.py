"""Generated cells that let a notebook run wherever a reader opens it.

A notebook on this site is read in three places: in this repository, as a download (alone, in an
empty folder) and in Colab (opened from GitHub). So it must not import this repository's code or
read files next to it. ``make notebooks`` (``factcheck sync``) keeps three generated cells right
after each notebook's title, and the build fails when they are out of date:

``colab-setup``     On Colab only, installs the packages the notebook imports at the versions this
                    site verified (from requirements.lock); anywhere else it does nothing.
``support``         The helpers the notebook calls (``record``, ``plot_style``, ...), copied from
                    ``factcheck.notebook``, and, for the benchmark notebooks, a clear message
                    when the ``fwbench`` package is missing.
``embedded-data``   The data files the notebook declares (``metadata.factcheck.depends``, YAML
                    or JSON), embedded as text, and ``load_data(path)`` to read them; and the
                    one-file Python modules it declares there (``src/fwport.py``), each run and
                    registered in ``sys.modules`` under its file name, so that ``import fwport``
                    works in a downloaded notebook exactly as in the checkout.

Everything here is a pure function of the notebook, the lock file and the data files, so the
cells (and the cache key, which covers code cells) change only when one of those changes.
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..project import read_pins  # noqa: F401 (the one lock-file reader; re-exported)
from . import notebook as helpers

COLAB_TAG = "colab-setup"
SUPPORT_TAG = "support"
DATA_TAG = "embedded-data"
GENERATED_TAGS = (COLAB_TAG, SUPPORT_TAG, DATA_TAG)
EMBEDDED_SUFFIXES = (".yaml", ".yml", ".json")
MODULE_SUFFIX = ".py"  # a declared one-file module: embedded too, importable by its file name
HELPERS = ("record", "plot_style", "optional_import", "selected_rows")
# Colab ships the GPU build of TensorFlow as "tensorflow"; the CPU wheel verified here is the same
# release under another name, and installing both would leave two owners of one package.
COLAB_NAMES = {"tensorflow-cpu": "tensorflow"}
# Imported by the notebooks but part of every Jupyter (or of Python itself): never installed.
_PROVIDED = {"IPython", "ipykernel", "matplotlib_inline", "google"}


@dataclass(frozen=True)
class SupportContext:
    """What the generated cells are made from."""

    root: Path  # the repository
    pins: dict[str, str]  # distribution name (lower-case) -> version, from requirements.lock
    module_dists: dict[str, list[str]]  # top-level module -> distributions providing it
    wheel_url: str | None = None  # where Colab gets fwbench (the site's download), if published

    @classmethod
    def for_project(cls, root: Path, lock_file: Path, wheel_url: str | None = None) -> SupportContext:
        return cls(Path(root), read_pins(lock_file), _module_dists(), wheel_url)


@functools.cache
def _module_dists() -> dict[str, list[str]]:
    from importlib.metadata import packages_distributions

    return packages_distributions()


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def is_generated(cell) -> bool:
    return any(tag in GENERATED_TAGS for tag in cell.get("metadata", {}).get("tags", []))


def _authored_code(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code" and not is_generated(c))


def imported_modules(source: str) -> set[str]:
    """Top-level modules a notebook imports, with ``import``, ``from`` or ``optional_import``
    (IPython magics are skipped line by line)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (  # optional_import("keras_hub", ...): an import all the same
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "optional_import"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value.split(".")[0])
    return found


def colab_packages(nb, ctx: SupportContext, data_files: list[str]) -> list[str]:
    """``name==version`` for every pinned distribution the notebook imports, sorted."""
    modules = imported_modules(_authored_code(nb))
    if data_files:
        modules.add("yaml")
    wanted = set()
    for module in modules - _PROVIDED:
        for dist in ctx.module_dists.get(module, []):
            name = _canonical(dist)
            if name in ctx.pins and name not in ("factcheck", "fwbench"):
                wanted.add(name)
    return sorted({f"{COLAB_NAMES.get(name, name)}=={ctx.pins[name]}" for name in wanted})


def data_files(nb) -> list[str]:
    depends = nb.metadata.get("factcheck", {}).get("depends", [])
    return [d for d in depends if d.endswith(EMBEDDED_SUFFIXES)]


def module_files(nb) -> list[str]:
    depends = nb.metadata.get("factcheck", {}).get("depends", [])
    return [d for d in depends if d.endswith(MODULE_SUFFIX)]


def _cell(source: str, tag: str, hidden: bool) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source.rstrip() + "\n")
    cell.id = tag
    cell.metadata["tags"] = [tag]
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def colab_cell(packages: list[str], wheel_url: str | None, needs_fwbench: bool) -> nbformat.NotebookNode:
    install = ", ".join(json.dumps(p) for p in packages)
    lines = [
        "# On Colab, this cell installs the versions this notebook was verified with (Colab's own",
        "# preinstalled versions differ; restart the session if it asks). Anywhere else it does nothing.",
        "# Generated by `make notebooks` from requirements.lock.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        "    import subprocess",
        "",
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", {install}], check=True)',
    ]
    if needs_fwbench and wheel_url:
        pip = '[sys.executable, "-m", "pip", "install", "--quiet"'
        lines.append(f'    subprocess.run({pip}, "{wheel_url}"], check=True)')
    return _cell("\n".join(lines), COLAB_TAG, hidden=False)


def support_cell(nb, wheel_url: str | None, needs_fwbench: bool) -> nbformat.NotebookNode | None:
    code = _authored_code(nb)
    used = [name for name in HELPERS if re.search(rf"\b{name}\(", code)]
    parts = []
    if "record" in used:
        parts.append(f'from IPython.display import display\n\nVALUE_MIME = "{helpers.VALUE_MIME}"\n')
    parts += [inspect.getsource(getattr(helpers, name)) for name in used]
    if needs_fwbench:
        where = f"`pip install {wheel_url}`" if wheel_url else "`pip install -e .` in a checkout"
        parts.append(
            "try:\n"
            "    import fwbench  # noqa: F401\n"
            "except ModuleNotFoundError:\n"
            "    raise ModuleNotFoundError(\n"
            '        "This notebook runs the benchmark package fwbench, which lives in the Framework Facts "\n'
            f'        "repository. Install it with {where}, or clone the repository and run `make lab`."\n'
            "    ) from None\n"
        )
    if not parts:
        return None
    header = (
        "# Helpers this notebook uses, copied from the site's package (src/factcheck/notebook.py) by\n"
        "# `make notebooks`, so that it runs alone: downloaded, or in Colab.\n"
    )
    return _cell(header + "\n\n".join(p.rstrip() + "\n" for p in parts), SUPPORT_TAG, hidden=True)


def _literal(text: str) -> str:
    """``text`` as a Python literal that reads like the file: a raw triple-quoted string when one
    fits (single quotes for a module with docstrings), else one JSON-escaped line."""
    if not text.endswith("\\"):
        for quote in ('"""', "'''"):
            if quote not in text:
                return "r" + quote + "\n" + text.rstrip("\n") + "\n" + quote
    return json.dumps(text)


def _read_declared(root: Path, rel: str, what: str) -> str:
    path = root / rel
    if not path.is_file():
        raise FileNotFoundError(f"declared {what} {rel} does not exist")
    return path.read_text(encoding="utf-8")


def data_cell(files: list[str], root: Path, modules: list[str] = ()) -> nbformat.NotebookNode | None:
    if not files and not modules:
        return None
    parts = []
    if files:
        entries = [f"    {json.dumps(rel)}: {_literal(_read_declared(root, rel, 'data file'))}," for rel in files]
        parts.append(
            "# The data files this notebook reads, embedded by `make notebooks` from the repository (edit\n"
            "# the files there, not this cell), so the notebook runs the same downloaded or in Colab.\n"
            "DATA_FILES = {\n" + "\n".join(entries) + "\n}\n\n\n"
            "def load_data(path):\n"
            '    """A data file this notebook declares, parsed (YAML or JSON)."""\n'
            "    import json\n\n"
            "    import yaml\n\n"
            "    text = DATA_FILES[path]\n"
            '    return json.loads(text) if path.endswith(".json") else yaml.safe_load(text)\n'
        )
    if modules:
        for rel in modules:
            if not Path(rel).stem.isidentifier():
                raise ValueError(f"declared module {rel}: {Path(rel).stem!r} cannot be imported by that name")
        entries = [f"    {json.dumps(rel)}: {_literal(_read_declared(root, rel, 'module'))}," for rel in modules]
        parts.append(
            "# The modules this notebook imports, embedded by `make notebooks` from the repository (edit the\n"
            "# files there, not this cell): each runs here and is registered under its file name, so that\n"
            "# `import <name>` works the same downloaded, in Colab or in the checkout.\n"
            "import sys\n"
            "import types\n\n"
            "MODULES = {\n" + "\n".join(entries) + "\n}\n"
            "for _path, _source in MODULES.items():\n"
            '    _name = _path.rsplit("/", 1)[-1].removesuffix(".py")\n'
            "    sys.modules[_name] = _module = types.ModuleType(_name)\n"
            "    _module.__file__ = _path\n"
            '    exec(compile(_source, _path, "exec"), _module.__dict__)\n'
        )
    return _cell("\n\n".join(parts), DATA_TAG, hidden=True)


def needs_fwbench(nb) -> bool:
    return "fwbench" in imported_modules(_authored_code(nb))


def generated_cells(nb, ctx: SupportContext) -> list[nbformat.NotebookNode]:
    files = data_files(nb)
    fw = needs_fwbench(nb)
    cells = [colab_cell(colab_packages(nb, ctx, files), ctx.wheel_url, fw)]
    embedded = data_cell(files, ctx.root, module_files(nb))
    cells += [c for c in (support_cell(nb, ctx.wheel_url, fw), embedded) if c is not None]
    return cells


def _title_end(nb) -> int:
    """Generated cells go right after the title cell (the first Markdown cell, if it comes first)."""
    return 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0


def synced(nb, ctx: SupportContext):
    """A copy of ``nb`` with its generated cells rebuilt; authored cells untouched."""
    new = nbformat.from_dict(json.loads(json.dumps(nb)))
    new.cells = [c for c in new.cells if not is_generated(c)]
    at = _title_end(new)
    new.cells[at:at] = generated_cells(new, ctx)
    return new


def _comparable(cells) -> list:
    return [(c.cell_type, c.source, c.get("metadata", {}).get("tags", [])) for c in cells if is_generated(c)]


def stale(nb, ctx: SupportContext) -> bool:
    """True when the notebook's generated cells differ from what ``sync`` would write."""
    return _comparable(nb.cells) != _comparable(synced(nb, ctx).cells) or _positions(nb) != _positions(synced(nb, ctx))


def _positions(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if is_generated(c)]


def sync_notebooks(project, check: bool = False) -> list[str]:
    """Rebuild every stale notebook's generated cells (or, with ``check``, only list them)."""
    from .notebooks import find_notebooks, read_notebook

    ctx = project.support_context()
    out_of_date = []
    for path in find_notebooks(project.notebooks_dir):
        nb = read_notebook(path)
        if not stale(nb, ctx):
            continue
        out_of_date.append(project.rel_notebook(path))
        if not check:
            path.write_text(nbformat.writes(synced(nb, ctx)) + "\n", encoding="utf-8")
    return out_of_date
