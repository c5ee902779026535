"""Checks that a claim's evidence ran and that its asserts could fail if the claim were false.

``check_evidence_ran``: each evidence cell has an execution count and a recorded duration, no
error output, some code, and each framework side asserts something.

Executing a cell proves it ran; it does not prove its asserts test anything. Two common ways an
assert proves nothing are caught here, by reading the notebook's code (Python's ``ast``):

- **Constant asserts.** Every operand is a literal, or a name bound only to literals in that
  notebook (``STEPS = 500 ... assert STEPS == 500``): the assert restates what we typed.
- **No link to the framework.** None of a framework side's asserts depends, through the
  notebook's assignments and functions, on a call into that framework (its modules, a package
  of its ecosystem, the installed package's metadata, a subprocess that imports it) or on a
  data file the notebook declares (``load_data``). Its evidence then cannot fail when the
  framework changes.

Both are approximations on purpose (dynamic code can hide a dependency): a false alarm is fixed by
writing the dependency where a reader sees it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ..errors import EvidenceError
from ..vocabulary import ECOSYSTEM_MODULES, FRAMEWORK_DISTRIBUTIONS
from .extract import EvidenceCell

# Top-level modules and distributions that belong to each framework's side (the framework and
# its ecosystem): the vocabulary names them.
FRAMEWORK_MODULES = {side: set(modules) for side, modules in ECOSYSTEM_MODULES.items()}
FRAMEWORK_DISTS = FRAMEWORK_DISTRIBUTIONS
# Packages that run both frameworks for a notebook (the benchmark runs each in a worker process).
SHARED_MODULES = {"fwbench"}
_METADATA_CALLS = {"metadata", "version", "distribution", "files", "requires", "find_spec", "packages_distributions"}
_DATA_CALLS = {"load_data"}
_SUBPROCESS_CALLS = {"run", "check_output", "check_call", "Popen", "call"}


@dataclass(frozen=True)
class AssertProblem:
    cell: int  # 0-based index among all cells
    line: int
    text: str


def _parse(source: str) -> ast.Module | None:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _is_literal(node: ast.AST, literal_names: set[str]) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in literal_names
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_literal(e, literal_names) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or _is_literal(k, literal_names) for k in node.keys) and all(
            _is_literal(v, literal_names) for v in node.values
        )
    if isinstance(node, ast.UnaryOp):
        return _is_literal(node.operand, literal_names)
    if isinstance(node, (ast.BinOp,)):
        return _is_literal(node.left, literal_names) and _is_literal(node.right, literal_names)
    if isinstance(node, (ast.Compare,)):
        return _is_literal(node.left, literal_names) and all(_is_literal(c, literal_names) for c in node.comparators)
    if isinstance(node, ast.BoolOp):
        return all(_is_literal(v, literal_names) for v in node.values)
    if isinstance(node, ast.JoinedStr):
        return all(_is_literal(v, literal_names) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return _is_literal(node.value, literal_names)
    return False


def _targets(node: ast.AST) -> list[str]:
    """Names bound by an assignment target."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for e in node.elts for n in _targets(e)]
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    return []


@dataclass(frozen=True)
class Binding:
    value: ast.AST | None  # the expression the name is bound to (None: a parameter or an import)
    control: tuple[ast.AST, ...] = ()  # the conditions, loops, try bodies and with bodies around it
    passed: bool = False  # the name was only handed to a call (which may have filled it)


class NotebookCode:
    """Every binding in a notebook, with the control flow around it (cells in order)."""

    def __init__(self, sources: list[str]):
        self.trees = [_parse(s) for s in sources]
        self.bindings: dict[str, list[Binding]] = {}
        self.module_aliases: dict[str, str] = {}  # local name -> top-level module it imports
        self._names_cache: dict[int, frozenset[str]] = {}
        self._mention_cache: dict[tuple[int, str], bool] = {}
        self._tainted: dict[str, set[str]] = {}
        for tree in self.trees:
            if tree is not None:
                self._statements(tree.body, ())

    def _bind(self, name: str, value: ast.AST | None, control: tuple, passed: bool = False) -> None:
        self.bindings.setdefault(name, []).append(Binding(value, control, passed))

    def _bind_target(self, target: ast.AST, value: ast.AST | None, control: tuple, whole: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, value, control)
        elif isinstance(target, (ast.Tuple, ast.List, ast.Starred)):
            for name in _targets(target):
                self._bind(name, whole, control)
        elif isinstance(target, (ast.Subscript, ast.Attribute)):  # d[k] = v, obj.x = v: d and obj change
            base = target
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                self._bind(base.id, whole, control)

    def _expressions(self, node: ast.AST, control: tuple) -> None:
        """Bindings hidden in expressions: walrus, comprehension targets, in-place method calls
        (``rows.append(x)`` changes ``rows``), and names handed to a call (it may fill them)."""
        for sub in ast.walk(node):
            if isinstance(sub, ast.NamedExpr):
                self._bind(sub.target.id, sub.value, control)
            elif isinstance(sub, ast.comprehension):
                for name in _targets(sub.target):
                    self._bind(name, sub.iter, control)
            elif isinstance(sub, ast.Call):
                if isinstance(sub.func, ast.Attribute) and isinstance(sub.func.value, ast.Name):
                    self._bind(sub.func.value.id, sub, control)
                for arg in [*sub.args, *(k.value for k in sub.keywords)]:
                    for name in (n.id for n in ast.walk(arg) if isinstance(n, ast.Name)):
                        self._bind(name, sub, control, passed=True)

    def _statements(self, body: list[ast.stmt], control: tuple) -> None:
        for node in body:
            self._statement(node, control)

    def _statement(self, node: ast.stmt, control: tuple) -> None:
        if isinstance(node, ast.Assign):
            self._expressions(node.value, control)
            for target in node.targets:
                self._bind_target(target, node.value, control, node)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            if node.value is not None:
                self._expressions(node.value, control)
            self._bind_target(node.target, node.value if isinstance(node, ast.AnnAssign) else node, control, node)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._expressions(node.iter, control)
            self._bind_target(node.target, node.iter, control, node)
            self._statements(node.body + node.orelse, (*control, node.iter))
        elif isinstance(node, (ast.While, ast.If)):
            self._expressions(node.test, control)
            self._statements(node.body + node.orelse, (*control, node.test))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self._expressions(item.context_expr, control)
            inner = (*control, *(item.context_expr for item in node.items))
            # ``with redirect_stdout(...) as out:`` captures what the body does: the bound name
            # depends on the body as well as on the context expression.
            body = ast.Module(body=node.body, type_ignores=[])
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, item.context_expr, (*control, body), item.context_expr)
            self._statements(node.body, inner)
        elif isinstance(node, ast.Try | getattr(ast, "TryStar", ast.Try)):
            self._statements(node.body, control)
            tried = (*control, ast.Module(body=node.body, type_ignores=[]))
            for handler in node.handlers:
                if handler.name:
                    self._bind(handler.name, handler, tried)
                self._statements(handler.body, tried)
            self._statements(node.orelse + node.finalbody, control)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self._bind(node.name, node, control)
            if not isinstance(node, ast.ClassDef):
                for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                    self._bind(arg.arg, None, control)
            self._statements(node.body, control)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                self.module_aliases[local] = alias.name.split(".")[0]
                self._bind(local, None, control)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                local = alias.asname or alias.name
                self.module_aliases[local] = node.module.split(".")[0]
                self._bind(local, None, control)
        else:
            self._expressions(node, control)

    # -- literal names -------------------------------------------------------------------------
    def literal_names(self) -> set[str]:
        """Names bound only to literals (or to other such names), outside any control flow."""
        assigned = {n: [b for b in bindings if not b.passed] for n, bindings in self.bindings.items()}
        names = {
            n
            for n, bindings in assigned.items()
            if bindings and all(b.value is not None and not b.control for b in bindings)
        }
        changed = True
        while changed:
            changed = False
            for name in list(names):
                if not all(_is_literal(b.value, names) for b in assigned[name]):
                    names.discard(name)
                    changed = True
        return names

    # -- dependence on a framework ---------------------------------------------------------------
    def _sources(self, framework: str) -> set[str]:
        modules = FRAMEWORK_MODULES[framework] | SHARED_MODULES
        return {local for local, module in self.module_aliases.items() if module in modules}

    def _strings(self, node: ast.AST) -> list[str]:
        """String constants in ``node`` and in the values of the names it uses (one level)."""
        texts = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
        for name in {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}:
            for binding in self.bindings.get(name, []):
                if binding.value is not None and not isinstance(binding.value, (ast.FunctionDef, ast.ClassDef)):
                    texts += [
                        c.value
                        for c in ast.walk(binding.value)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    ]
        return texts

    def _calls_metadata(self, func: ast.AST) -> bool:
        name = getattr(func, "attr", None) or getattr(func, "id", None)
        if name in _METADATA_CALLS:
            return True
        defined = [b.value for b in self.bindings.get(name or "", []) if isinstance(b.value, ast.FunctionDef)]
        return any(
            (getattr(c.func, "attr", None) or getattr(c.func, "id", None)) in _METADATA_CALLS
            for f in defined
            for c in ast.walk(f)
            if isinstance(c, ast.Call)
        )

    def _mentions(self, node: ast.AST, framework: str) -> bool:
        """A call that reads the framework from outside: a declared data file, the installed
        package's metadata, or a subprocess that imports it."""
        calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
        if not calls:
            return False
        if any((getattr(c.func, "attr", None) or getattr(c.func, "id", None)) in _DATA_CALLS for c in calls):
            return True
        dists = FRAMEWORK_DISTS[framework]
        if any(self._calls_metadata(c.func) for c in calls) and any(
            t.lower().replace("_", "-") in dists for t in self._strings(node)
        ):
            return True
        for call in calls:
            if (getattr(call.func, "attr", None) or getattr(call.func, "id", None)) not in _SUBPROCESS_CALLS:
                continue
            texts = self._strings(call)
            modules = "|".join(FRAMEWORK_MODULES[framework])
            if any(re.search(rf"\b(import|from)\s+({modules})\b", t) for t in texts):
                return True
            # Keras 3 run on a chosen backend: the subprocess runs every framework it names.
            if any("KERAS_BACKEND" in t for t in texts) and any(re.search(r"\bimport keras\b", t) for t in texts):
                return True
        return False

    # Caches keyed by id(): only for the binding trees, which live as long as this object.
    def _names_in(self, node: ast.AST) -> frozenset[str]:
        key = id(node)
        if key not in self._names_cache:
            self._names_cache[key] = frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
        return self._names_cache[key]

    def _mentions_cached(self, node: ast.AST, framework: str) -> bool:
        key = (id(node), framework)
        if key not in self._mention_cache:
            self._mention_cache[key] = self._mentions(node, framework)
        return self._mention_cache[key]

    def tainted_names(self, framework: str) -> set[str]:
        """Names whose value depends on the framework or on a declared data file (computed once
        per notebook and framework: every claim side of the notebook reuses it)."""
        if framework in self._tainted:
            return self._tainted[framework]
        tainted = set(self._sources(framework))
        # Per name, the names its bindings read and whether a binding reads the framework directly.
        reads: dict[str, set[str]] = {}
        direct: set[str] = set()
        for name, bindings in self.bindings.items():
            reads[name] = set()
            for binding in bindings:
                for node in (n for n in (binding.value, *binding.control) if n is not None):
                    reads[name] |= self._names_in(node)
                    if name not in direct and self._mentions_cached(node, framework):
                        direct.add(name)
        tainted |= direct
        changed = True
        while changed:
            changed = False
            for name, used in reads.items():
                if name not in tainted and used & tainted:
                    tainted.add(name)
                    changed = True
        self._tainted[framework] = tainted
        return tainted

    def depends_on(self, node: ast.AST, framework: str, tainted: set[str]) -> bool:
        # Not cached: ``node`` may be a temporary tree whose id() a later tree reuses.
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        return bool(used & tainted) or self._mentions(node, framework)


def check_evidence_ran(claim_id: str, framework: str, cells: list[EvidenceCell], require_assert: bool = True) -> None:
    """Evidence must have executed (an execution count and a recorded duration), without errors,
    and assert something that could fail."""
    for cell in cells:
        where = f"notebooks/{cell.notebook} cell {cell.index + 1} ({cell.tag!r})"
        if cell.execution_count is None:
            raise EvidenceError(f"claim {claim_id!r} ({framework}): {where} was never executed")
        if cell.seconds is None:
            raise EvidenceError(
                f"claim {claim_id!r} ({framework}): {where} has no recorded duration"
                " (executed outside the engine, or its timing metadata was stripped)"
            )
        if any(o.get("output_type") == "error" for o in cell.outputs):
            raise EvidenceError(f"claim {claim_id!r} ({framework}): {where} holds an error output")
        if not cell.source.strip():
            raise EvidenceError(f"claim {claim_id!r} ({framework}): {where} is empty")
    if require_assert and not any(c.asserts for c in cells):
        raise EvidenceError(
            f"claim {claim_id!r} ({framework}): none of its cells "
            f"({', '.join(c.tag for c in cells)}) asserts anything, so the evidence cannot fail"
        )


def asserts_in(source: str) -> list[ast.AST]:
    """The assert statements of one cell, and calls named ``assert*`` (numpy/pytest helpers)."""
    tree = _parse(source)
    if tree is None:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            found.append(node)
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None) or ""
            if name.startswith("assert"):
                found.append(node)
    return found


def _operands(node: ast.AST) -> ast.AST:
    return node.test if isinstance(node, ast.Assert) else node


def constant_asserts(code: NotebookCode, cells: list[tuple[int, str]]) -> list[AssertProblem]:
    """Asserts in ``cells`` ((index, source) pairs) whose operands are all literals."""
    literal = code.literal_names()
    problems = []
    for index, source in cells:
        for node in asserts_in(source):
            operands = _operands(node)
            if isinstance(node, ast.Call):
                parts = [*node.args, *(k.value for k in node.keywords)]
                constant = bool(parts) and all(_is_literal(p, literal) for p in parts)
            else:
                constant = _is_literal(operands, literal)
            if constant:
                problems.append(AssertProblem(index, node.lineno, ast.unparse(node).splitlines()[0][:120]))
    return problems


def framework_linked(code: NotebookCode, framework: str, cells: list[tuple[int, str]]) -> bool:
    """Does at least one assert in ``cells`` depend on the framework or a declared data file?"""
    tainted = code.tainted_names(framework)
    return any(
        code.depends_on(_operands(node), framework, tainted) for _, source in cells for node in asserts_in(source)
    )


def assert_problems(claim_id: str, framework: str, label: str, notebook: str, code: NotebookCode, cells) -> list[str]:
    """Messages for one claim side's evidence cells (``cells``: EvidenceCell-like, with index,
    tag and source), naming claim, notebook and cell."""
    pairs = [(c.index, c.source) for c in cells]
    tags = {c.index: c.tag for c in cells}
    problems = [
        f"claim {claim_id!r} ({framework}): notebooks/{notebook} cell {p.cell + 1} ({tags[p.cell]!r}): "
        f"`{p.text}` only compares values typed in the notebook, so it cannot fail"
        for p in constant_asserts(code, pairs)
    ]
    if not framework_linked(code, framework, pairs):
        problems.append(
            f"claim {claim_id!r} ({framework}): notebooks/{notebook}: none of the asserts in "
            f"{', '.join(repr(c.tag) for c in cells)} depends on a call into {label} or on a data file the "
            "notebook declares, so this evidence cannot fail when the fact changes (or mark the side "
            "'untestable' in the claims file, with the reason)"
        )
    return problems
