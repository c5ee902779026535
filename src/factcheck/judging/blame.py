"""Reading the errors of an executed notebook: the line to show, and what to blame.

An error in a claim's cell is the claim's failure, unless it says a package was missing or two
installed packages disagree about a release: then the claim was not tested (classify.py turns
that into ``could-not-run``, naming the package). The rules, each with the error it reads:

- ``is_missing_package``: ``No module named 'onnx'`` (not ``'torch.export'``: a framework lacking
  an API is the claim's subject);
- ``mismatched_module``: ``module 'ml_dtypes' has no attribute 'float4_e2m1fn'`` (two libraries);
- ``framework_name_a_library_wanted``: ``cannot import name 'ScalingType' from
  'torch.nn.functional'`` where the notebook never uses that name (a library needs a newer torch);
- ``library_passes_unknown_argument``: ``register_pytree_node() got an unexpected keyword
  argument 'flatten_with_keys_fn'`` where the notebook names neither;
- ``quoted_error``: the same, for an error a child process raised that our message quotes.
"""

from __future__ import annotations

import re

from ..vocabulary import ALL_FRAMEWORK_MODULES, OWN_MODULES

FRAMEWORK_MODULES = ALL_FRAMEWORK_MODULES  # an ImportError naming one is an API the release lacks
_IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError", "PackageNotFoundError")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_NO_METADATA = re.compile(r"No package metadata was found for ([\w.-]+)")  # importlib.metadata
_NO_ATTRIBUTE = re.compile(r"^module '([\w.]+)' has no attribute '(\w+)'")
_CANNOT_IMPORT = re.compile(r"cannot import name '([\w.]+)' from '([\w.]+)'")  # (name, module)
# Our own modules: an attribute missing there is a defect in this project, reported as such.
_ARROW = re.compile(r"^-+>\s*\d+\s*(.*)$")
_QUOTED_TRACEBACK = re.compile(r"^Traceback \(most recent call last\):\s*(?:\.\.\.\s*)?")
# A child process's traceback, quoted in our message: a frame line, and its last line the error.
_FRAME = re.compile(r'File "[^"]*", line \d+')
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception)\b")
# The error a child process raised, as an error line quotes it ("torch backend failed: ... X: y").
_QUOTED_ERROR = re.compile(r"(?:^|\.\.\. )([A-Za-z_][\w.]*(?:Error|Exception)): (.+)$")
# also read from recorded reasons (reports/history.py searches a sentence for it)
UNEXPECTED_KEYWORD = re.compile(r"([\w.]+)\(\) got an unexpected keyword argument '(\w+)'")


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def error_line(output: dict) -> str:
    """The first line of an error output: ``ename: evalue``, or for a bare ``assert`` the
    asserted line from the traceback."""
    ename = output.get("ename", "Error")
    evalue = _ANSI.sub("", str(output.get("evalue", ""))).strip()
    lines = [x.strip() for x in evalue.splitlines() if x.strip()]
    line = lines[0] if lines else ""
    if len(lines) > 1 and _EXCEPTION_LINE.match(lines[-1]) and any(_FRAME.search(x) for x in lines):
        # A child's traceback, quoted (often its tail only, cut mid-line): the last line says
        # why; the first says where only when it is our own heading ("torch backend failed:").
        heading = line.endswith(":") and not _FRAME.search(line) and not line[0].islower()
        line = f"{line} ... {lines[-1]}" if heading else f"... {lines[-1]}"
    elif len(lines) > 1 and (line.endswith((":", "(", "[", "{")) or len(line) < 12):
        # "worker 'torch' failed (exit 1):" says where; the last line says why.
        line = f"{line} ... {lines[-1]}"
    if not line:
        for raw in reversed(output.get("traceback", [])):
            for tb_line in reversed(_ANSI.sub("", raw).splitlines()):
                m = _ARROW.match(tb_line.strip())
                if m:
                    line = m.group(1).strip()
                    break
            if line:
                break
    line = _QUOTED_TRACEBACK.sub("... ", line)  # a child process's traceback quoted in the message
    text = f"{ename}: {line}" if line else ename
    return text if len(text) <= 300 else text[:297] + "..."


def cell_error(cell) -> dict | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output
    return None


# The notebooks' stand-in for a library that is not there, probed for a dunder (``__version__``):
# an AttributeError that quotes the import error (sources/notebook.py's ``optional_import``).
_STAND_IN_PROBE = re.compile(r"^__\w+__ \(not available here: (.+)\)$", re.S)


def _unwrapped(output: dict) -> dict:
    """The import error a stand-in's AttributeError quotes, as that error; any other output as it is."""
    if output.get("ename") != "AttributeError":
        return output
    m = _STAND_IN_PROBE.match(str(output.get("evalue", "")).strip())
    return {**output, "ename": "ModuleNotFoundError", "evalue": m.group(1)} if m else output


def missing_module(output: dict) -> str | None:
    """The module an ImportError names (``No module named 'onnx.reference'`` -> ``onnx.reference``)."""
    output = _unwrapped(output)
    if output.get("ename") not in _IMPORT_ERRORS:
        return None
    evalue = str(output.get("evalue", ""))
    if m := _NO_MODULE.search(evalue):
        return m.group(1)
    if m := _CANNOT_IMPORT.search(evalue):
        return m.group(2)
    m = _NO_METADATA.search(evalue)
    return m.group(1) if m else ""


def is_missing_package(output: dict) -> bool:
    """An ImportError caused by a package the environment lacks, as opposed to a framework
    lacking an API (``No module named 'torch.export'``: that is the claim) or an installed
    library that does not work with this release (``incompatible_library``)."""
    if incompatible_library(output) is not None:
        return False
    module = missing_module(output)
    if module is None:
        return False
    return module.split(".")[0] not in FRAMEWORK_MODULES


# A frame of an installed package in a quoted traceback: File ".../site-packages/keras/src/...", line 8
_PACKAGE_FRAME = re.compile(r'File "[^"]*[/\\](?:site|dist)-packages[/\\]([A-Za-z_]\w*)(?:[/\\]([A-Za-z_]\w*))?')
_NAMESPACES = ("google", "nvidia")  # folders shared by several distributions: the next part names it
# the releases under test: an error raised in their own code is never "an installed library's"
_UNDER_TEST = ("torch", "torchvision", "tensorflow")


def frame_packages(output: dict) -> list[str]:
    """The installed packages a quoted child traceback passes through, in call order (each once
    in a row; ``google.protobuf`` for a namespace folder), our own modules left out: what a run
    records, so judging again chooses as the first judging did."""
    evalue = _ANSI.sub("", str(output.get("evalue", "")))
    found: list[str] = []
    for m in _PACKAGE_FRAME.finditer(evalue):
        name = f"{m[1]}.{m[2]}" if m[1] in _NAMESPACES and m[2] else m[1]
        if name not in OWN_MODULES and (not found or found[-1] != name):
            found.append(name)
    return found


def raising_library(output: dict, besides: str | None = None) -> str | None:
    """The installed library whose code raised, where the error quotes a child process's
    traceback with file names (``keras`` for Keras 3.15's torch backend on torch 2.1): the last
    package in its frames that is not a framework under test, nor ``besides`` (the release the
    error says is too old). An error rebuilt from a run's record carries the packages recorded
    (``raised_in``). None when no such frame is quoted."""
    packages = output.get("raised_in") or frame_packages(output)
    packages = [packages] if isinstance(packages, str) else packages  # a record of 2026-12-08 kept one name
    mine = [p for p in packages if p not in _UNDER_TEST and p != besides]
    return mine[-1] if mine else None


def mismatched_module(output: dict) -> str | None:
    """The library an AttributeError names when it is neither a framework nor ours
    (``module 'ml_dtypes' has no attribute 'float4_e2m1fn'`` -> ``ml_dtypes``): two installed
    libraries disagree about a release. A framework lacking an attribute is the claim's subject."""
    if output.get("ename") != "AttributeError":
        return None
    evalue = str(output.get("evalue", ""))
    if m := _NO_ATTRIBUTE.match(evalue):
        module = m.group(1)
    elif c := _CANNOT_IMPORT.search(evalue):  # onnx re-raises "cannot import name ... from 'ml_dtypes'"
        module = c.group(2)
    else:
        return None
    top = module.split(".")[0]
    return None if top in FRAMEWORK_MODULES or top in OWN_MODULES else top


def framework_name_a_library_wanted(output: dict, source: str) -> str | None:
    """The framework module an error names (``cannot import name 'ScalingType' from
    'torch.nn.functional'``) when the notebook itself never uses the missing name: a library
    the run installed (transformers, litert-torch) needs a newer framework than the release
    under test, and the claim's own code was never reached. A name the notebook uses is the
    claim's subject (``keras.ops``, ``torch.export``) and stays a failure."""
    ename, evalue = output.get("ename"), str(output.get("evalue", ""))
    m = None
    if ename == "AttributeError" and (a := _NO_ATTRIBUTE.match(evalue)):
        module, name = a.group(1), a.group(2)
        m = (module, name)
    elif ename in _IMPORT_ERRORS and (c := _CANNOT_IMPORT.search(evalue)):
        m = (c.group(2), c.group(1))
    if not m or m[0].split(".")[0] not in FRAMEWORK_MODULES:
        return None
    return None if re.search(rf"\b{re.escape(m[1])}\b", source) else m[0]


def quoted_error(output: dict) -> dict | None:
    """The error a child process raised, where our message quotes it (``AssertionError: torch
    backend failed: ... AttributeError: module 'torch' has no attribute 'float8_e4m3fn'``), as
    an error output; None when the message quotes none."""
    line = error_line(output)
    m = _QUOTED_ERROR.search(line.partition(": ")[2])
    return {"ename": m.group(1).rsplit(".", 1)[-1], "evalue": m.group(2)} if m else None


def library_passes_unknown_argument(output: dict, source: str) -> bool:
    """``register_pytree_node() got an unexpected keyword argument 'flatten_with_keys_fn'``
    where the notebook names neither: an installed library calls an API of a release that
    predates the argument. An argument the notebook passes itself is the claim's subject."""
    if output.get("ename") != "TypeError":
        return False
    m = UNEXPECTED_KEYWORD.match(str(output.get("evalue", "")))
    if not m:
        return False
    function, keyword = m.group(1).rsplit(".", 1)[-1], m.group(2)
    return not any(re.search(rf"\b{re.escape(name)}\b", source) for name in (function, keyword))


def _mismatch(output: dict, source: str) -> str | None:
    """What to blame when two installed packages disagree, or None ("" when the error does not
    say which package). An error a child process raised counts where our message quotes it."""
    for error in (output, quoted_error(output)):
        if error is None:
            continue
        if blamed := mismatched_module(error) or framework_name_a_library_wanted(error, source):
            return blamed
        if library_passes_unknown_argument(error, source):
            return ""
    return None


def notebook_errors(nb) -> list[dict]:
    """Every cell that raised: 1-based position, tags, error line."""
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        err = cell_error(cell)
        if err is not None:
            entry = {"cell": index + 1, "tags": _tags(cell), "error": error_line(err)}
            if packages := frame_packages(err):  # the error line drops the frames: kept for judging again
                entry["raised_in"] = packages
            found.append(entry)
    return found


def _describe(index: int, cell) -> str:
    tags = _tags(cell)
    return f"cell {index + 1} ({', '.join(tags)})" if tags else f"cell {index + 1} (setup)"


def _source(cell) -> str:
    """A cell's source as one string (nbformat stores a string or a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _assigns(name: str) -> re.Pattern:
    """Source lines that bind ``name``: an assignment, a def or class, an import."""
    name = re.escape(name)
    return re.compile(
        rf"^[ \t]*(?:[\w, ]*\b{name}\b[\w, ]*=(?!=)|(?:def|class) {name}\b|(?:import|from) .*\b{name}\b)", re.M
    )


def _claim_consequence(j: int, err: dict, cells) -> bool:
    """Whether cell ``j`` raised only because an earlier tagged (claim) cell that should have
    defined the name it lacks raised first."""
    m = re.search(r"name '(\w+)' is not defined", str(err.get("evalue", "")))
    if err.get("ename") not in ("NameError", "UnboundLocalError") or not m:
        return False
    binds = _assigns(m.group(1))
    return any(
        _tags(cells[k]) and cell_error(cells[k]) is not None and binds.search(_source(cells[k])) for k in range(j)
    )


def _likely_cause(err: dict, earlier: list, cells) -> tuple:
    """Of the earlier cells that raised, the one that should have defined the missing name
    (``NameError: name 'x' is not defined``), else the nearest."""
    m = re.search(r"name '(\w+)' is not defined", str(err.get("evalue", "")))
    if m:
        assigns = _assigns(m.group(1))
        for j, e in reversed(earlier):
            if assigns.search(_source(cells[j])):
                return j, e
    return earlier[-1]


# An installed library that imports, or is found, but does not work with the release under test:
# the notebook helpers' stand-in ("No module named 'x' that imports here (...)"), a library's own
# check ("BertModel requires PyTorch >= 2.6"), or its lazy loader ("Could not import module 'X'").
_IMPORTS_BADLY = re.compile(r"No module named '([\w.]+)' that imports here \(")
_NEEDS_NEWER = re.compile(r"\brequires (?:PyTorch|TensorFlow|torch|tensorflow|Keras|keras) ?>= ?[\d.]+")
_LAZY_IMPORT = re.compile(r"Could not import module '(\w+)'")
# A release whose feature refuses this Python (torch 2.0's torch.compile on Python 3.11).
_UNSUPPORTED_PYTHON = re.compile(r"Python (3\.\d+)\+? (?:is )?not (?:yet )?supported")


def incompatible_library(output: dict) -> str | None:
    """The library (its import name; "" when the error does not say) that is installed but does
    not work with the release under test, or None."""
    output = _unwrapped(output)
    if output.get("ename") not in (*_IMPORT_ERRORS, "RuntimeError"):
        return None
    evalue = str(output.get("evalue", ""))
    if m := _IMPORTS_BADLY.search(evalue):
        return m.group(1)
    if _NEEDS_NEWER.search(evalue) or _LAZY_IMPORT.search(evalue):
        return ""
    return None


# A cell whose claim names an API the release under test does not have yet says so itself, with a
# built-in error whose message starts "not in this release:" and says when the API arrived.
_NOT_IN_RELEASE = re.compile(r"^not in this release: (.+)", re.S)


def not_in_release(output: dict) -> str | None:
    """What the cell says is missing from this release, and since when (``keras.ops arrived with
    Keras 3 (TensorFlow 2.16)``), or None."""
    m = _NOT_IN_RELEASE.match(str(output.get("evalue", "")).strip())
    return " ".join(m.group(1).split()) if m else None


def unsupported_python(output: dict) -> str | None:
    """The Python version a release refuses (``Python 3.11+ not yet supported for
    torch.compile`` -> ``3.11``), or None."""
    m = _UNSUPPORTED_PYTHON.search(str(output.get("evalue", "")))
    return m.group(1) if m else None


def names_written(source: str) -> set[str]:
    """Names a cell binds or changes in place (``x = ...``, ``x[k] = ...``, ``x.append(...)``,
    ``import x``, ``def x``): what a later cell may read from it."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found: set[str] = set()

    def base(node) -> str | None:
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        return node.id if isinstance(node, ast.Name) else None

    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        found.add(leaf.id)
                if (name := base(target)) is not None:
                    found.add(name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("append", "extend", "update", "add", "insert", "setdefault", "pop", "remove"):
                if (name := base(node.func.value)) is not None:
                    found.add(name)
    return found


def names_read(source: str) -> set[str]:
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def failure_reads(source: str, error: str) -> set[str] | None:
    """What the statement that failed depends on from outside its cell: the names it reads,
    followed back through the statements of the cell before it that write them (a cell that
    appends to a shared list and then asserts on its own warning does not depend on the list).
    The statement is found from the error line: a bare ``assert``'s source, or the literal words
    of an assert's or a raise's message. None when no statement matches (the caller then takes
    every name the cell reads)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    text = error.split(": ", 1)[-1]

    def pieces(node) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.JoinedStr):
            return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        if isinstance(node, ast.Call):
            return [p for arg in node.args for p in pieces(arg)]
        return []

    def fails_here(node) -> bool:
        if isinstance(node, ast.Assert) and node.msg is None:
            return (ast.get_source_segment(source, node) or "\0") in text
        words = (
            pieces(node.msg)
            if isinstance(node, ast.Assert)
            else pieces(node.exc)
            if isinstance(node, ast.Raise)
            else []
        )
        words = [w.strip() for w in words if len(w.strip()) >= 8]
        return bool(words) and all(w in text for w in words)

    index = next(
        (k for k, stmt in enumerate(tree.body) if any(fails_here(n) for n in ast.walk(stmt))),
        None,
    )
    if index is None:
        return None

    def reads(stmt) -> set[str]:
        return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}

    def writes(stmt) -> set[str]:
        stored = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        return stored | names_written(ast.get_source_segment(source, stmt) or "")

    needed = reads(tree.body[index])
    for stmt in reversed(tree.body[:index]):
        if writes(stmt) & needed:
            needed |= reads(stmt)
    return needed
