"""What a value in a notebook is made of, for the assert checks: the ``Value`` type (the inputs a
value was made from: a framework, a declared data file, the world outside, or none for a
literal), the modules and calls that count as each input, and the small AST helpers that
dataflow.py's reading of a notebook uses."""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from ..vocabulary import ECOSYSTEM_MODULES, FRAMEWORK_DISTRIBUTIONS

# Top-level modules and distributions that belong to each framework's side (the framework and
# its ecosystem): the vocabulary names them.
FRAMEWORK_MODULES = {side: set(modules) for side, modules in ECOSYSTEM_MODULES.items()}
FRAMEWORK_DISTS = FRAMEWORK_DISTRIBUTIONS
# Packages that run both frameworks for a notebook (the benchmark runs each in a worker process).
SHARED_MODULES = {"fwbench"}
# Libraries whose functions compute only from their arguments: what they return from literals is
# still a literal. Any other library (os, pathlib, subprocess, ...) reads the world outside.
PURE_MODULES = {
    "numpy", "pandas", "math", "cmath", "statistics", "json", "re", "itertools", "functools",
    "collections", "operator", "fractions", "decimal", "string", "textwrap", "copy", "dataclasses",
}  # fmt: skip
_IMPURE_BUILTINS = {"open", "input", "eval", "exec", "__import__", "globals", "locals", "vars", "breakpoint"}
_METADATA_CALLS = {"metadata", "version", "distribution", "files", "requires", "find_spec", "packages_distributions"}
_DATA_CALLS = {"load_data"}
_SUBPROCESS_CALLS = {"run", "check_output", "check_call", "Popen", "call"}
_OPTIONAL_IMPORT = "optional_import"  # the support cell's import that tolerates a missing library
DATA, OUTSIDE_INPUT = "data", "outside"  # inputs besides the frameworks: a declared data file; anything else
_LONGEST_STRING = 5000  # longer string constants (embedded data files) are not followed


def parse_cell(source: str) -> ast.Module | None:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def call_name(func: ast.AST) -> str:
    return getattr(func, "attr", None) or getattr(func, "id", None) or ""


def _module_inputs(module: str) -> frozenset[str]:
    if module in SHARED_MODULES:
        return frozenset(FRAMEWORK_MODULES)
    for framework, modules in FRAMEWORK_MODULES.items():
        if module in modules:
            return frozenset({framework})
    return frozenset() if module in PURE_MODULES else frozenset({OUTSIDE_INPUT})


@dataclass(frozen=True)
class Value:
    """What the analysis knows about a value: the inputs it was made from (a subset of the
    framework ids, ``data`` and ``outside``; empty for a literal), the string constants that flowed
    into it (for metadata and subprocess calls), and what it is."""

    inputs: frozenset[str] = frozenset()
    strings: frozenset[str] = frozenset()
    kind: str = "value"  # value | module (an imported module) | function (def, class or lambda)
    module: str | None = None  # kind module: its top-level name
    node: ast.AST | None = None  # kind function: its definition
    immutable: bool = False  # a number, a string or a tuple of them: no call can change it

    def plus(self, *others: Value) -> Value:
        return replace(
            self,
            inputs=self.inputs.union(*(o.inputs for o in others)),
            strings=self.strings.union(*(o.strings for o in others)),
        )


LITERAL = Value(immutable=True)
OUTSIDE = Value(frozenset({OUTSIDE_INPUT}))


def _data(*values: Value, immutable: bool = False) -> Value:
    """A plain value made from ``values``."""
    return Value(immutable=immutable).plus(*values)


def _merge(a: Value, b: Value) -> Value:
    """A name that may hold either value (after a branch, a loop or a try)."""
    if a.kind == b.kind and a.node is b.node and a.module == b.module:
        return replace(a.plus(b), immutable=a.immutable and b.immutable)
    return _data(a, b)


def _merge_envs(*envs: dict[str, Value]) -> dict[str, Value]:
    merged = dict(envs[0])
    for env in envs[1:]:
        for name, value in env.items():
            merged[name] = _merge(merged[name], value) if name in merged else value
    return merged


def _target_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for e in node.elts for n in _target_names(e)]
    if isinstance(node, ast.Starred):
        return _target_names(node.value)
    return []


def _base_name(node: ast.AST) -> str | None:
    """``d`` for ``d[k]``, ``d.x`` or ``d.x[k].y``."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _local_names(node: ast.AST) -> set[str]:
    """Names a function, lambda or class binds itself (parameters and assignments), minus globals."""
    args = node.args if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else None
    names = set()
    if args is not None:
        names |= {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    declared_global = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and sub is not node:
            names.add(sub.name)
        elif isinstance(sub, ast.arg):
            names.add(sub.arg)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in sub.names}
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            names.add(sub.name)
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            declared_global |= set(sub.names)
    return names - declared_global


def _mutated_globals(node: ast.AST, local: set[str]) -> set[str]:
    """Names outside a function that its body changes: ``rows.append(x)``, ``d[k] = v``, or an
    assignment after ``global``."""
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Global, ast.Nonlocal)):
            found |= set(sub.names)
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            base = _base_name(sub.func.value)
            if base and base not in local:
                found.add(base)
        elif isinstance(sub, (ast.Subscript, ast.Attribute)) and isinstance(sub.ctx, ast.Store):
            base = _base_name(sub)
            if base and base not in local:
                found.add(base)
    return found
