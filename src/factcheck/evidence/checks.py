"""Checks that a claim's evidence ran and that its asserts could fail if the claim were false.

``check_evidence_ran``: each evidence cell has an execution count and a recorded duration, no
error output, some code, and each framework side asserts something.

Executing a cell proves it ran; it does not prove its asserts test anything. Two common ways an
assert proves nothing are caught here, from what dataflow.py says each assert's operands were made
from (reading the code in execution order, a name meaning its latest binding before the assert):

- **Constant asserts.** Every operand is made only of literals typed in the notebook, through
  builtins and pure libraries: ``STEPS = 500 ... assert STEPS == 500`` or ``assert
  pd.Series([1, 2, 3]).sum() == 6`` restates what we typed.
- **No link to the framework.** None of a framework side's asserts reads a value made by that
  framework (its modules, a package of its ecosystem, the installed package's metadata, a
  subprocess that imports it) or by a data file the notebook declares (``load_data``). A module
  alias of another library and a builtin are never framework values. Such evidence cannot fail
  when the framework changes.

Both run on the executed notebooks in the build (``site.verify``) and on the source notebooks in
``factcheck check``. They are approximations on purpose (dynamic code can hide a dependency): a
false alarm is fixed by writing the dependency where a reader sees it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..errors import EvidenceError
from .dataflow import DATA, NotebookCode, call_name, parse_cell
from .extract import EvidenceCell


@dataclass(frozen=True)
class AssertProblem:
    cell: int  # 0-based index among all cells
    line: int
    text: str


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
    tree = parse_cell(source)
    if tree is None:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            found.append(node)
        elif isinstance(node, ast.Call) and call_name(node.func).startswith("assert"):
            found.append(node)
    return found


def constant_asserts(code: NotebookCode, cells: list[tuple[int, str]]) -> list[AssertProblem]:
    """Asserts in ``cells`` ((index, source) pairs) whose operands are made of literals only."""
    return [
        AssertProblem(index, node.lineno, ast.unparse(node).splitlines()[0][:120])
        for index, source in cells
        for node in asserts_in(source)
        if not code.assert_inputs(index, node)
    ]


def framework_linked(code: NotebookCode, framework: str, cells: list[tuple[int, str]]) -> bool:
    """Does at least one assert in ``cells`` read the framework or a declared data file?"""
    return any(
        code.assert_inputs(index, node) & {framework, DATA} for index, source in cells for node in asserts_in(source)
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


@dataclass(frozen=True)
class SourceCell:
    """An evidence cell of a source notebook (before execution): what the static checks read."""

    index: int  # 0-based position among all cells
    tag: str
    source: str


def source_problems(registry, notebooks: dict) -> list[str]:
    """The assert checks on the source notebooks, without executing anything (``factcheck
    check``): every testable side asserts something, and its asserts could fail. ``notebooks``
    maps a path under notebooks/ to its ``SourceNotebook``."""
    from ..sources.notebooks import has_assertion
    from ..vocabulary import LABELS, SHARED

    problems, code = [], {}
    for claim in registry:
        for framework, ev in claim.evidence.items():
            if framework == SHARED or ev.untestable or ev.notebook not in notebooks:
                continue
            nb = notebooks[ev.notebook]
            if ev.notebook not in code:
                code[ev.notebook] = NotebookCode([c.source if c.cell_type == "code" else "" for c in nb.nb.cells])
            cells = [SourceCell(nb.tags[tag], tag, nb.nb.cells[nb.tags[tag]].source) for tag in ev.cells]
            if not any(has_assertion(c.source) for c in cells):
                problems.append(
                    f"claim {claim.id!r} ({framework}): notebooks/{ev.notebook}: none of its cells "
                    f"({', '.join(c.tag for c in cells)}) asserts anything, so the evidence cannot fail"
                )
                continue
            problems += assert_problems(claim.id, framework, LABELS[framework], ev.notebook, code[ev.notebook], cells)
    return problems
