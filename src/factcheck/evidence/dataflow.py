"""Read a notebook's code the way the kernel runs it, and say what each assert's operands were made from.

Cells run in order and statements within a cell in order, so at each assert a name means the value
of its latest binding before that point: ``value = torch.ones(1)`` in an earlier cell does not make
a later ``value = 3`` a framework value. Every value carries the inputs it was made from: the
frameworks (their modules, a package of their ecosystem, the installed package's metadata, a
subprocess that imports one), a data file the notebook declares (``load_data``), or the world
outside (the file system, the clock, another library). A literal carries none, and so does what
builtins and pure libraries (NumPy, pandas, ``math``, ``json``, ...) compute from literals. A module
alias of another library and a builtin are never framework values, however they are called.

Control flow counts: a binding under an ``if``, a loop or a ``try`` depends on the condition, the
loop's iterable or the tried code, and after it the name may hold either value. A notebook function
changes the globals it touches when it is called, or when a library it was handed to calls it
(``tf.function(f)``, ``torch.compile(g, backend=count)``). The reading is an approximation on purpose
(dynamic code can hide a dependency); checks.py turns it into verdicts on asserts.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import replace

from .values import (  # noqa: F401 (DATA, call_name and parse_cell are also read from here)
    _DATA_CALLS,
    _IMPURE_BUILTINS,
    _LONGEST_STRING,
    _METADATA_CALLS,
    _OPTIONAL_IMPORT,
    _SUBPROCESS_CALLS,
    DATA,
    FRAMEWORK_DISTS,
    FRAMEWORK_MODULES,
    LITERAL,
    OUTSIDE,
    OUTSIDE_INPUT,
    Value,
    _base_name,
    _data,
    _local_names,
    _merge_envs,
    _module_inputs,
    _mutated_globals,
    _target_names,
    call_name,
    parse_cell,
)


class NotebookCode:
    """A notebook's code read in execution order, with the inputs of every assert's operands.

    ``sources`` holds the code of every cell by position ('' for Markdown). Each assert statement
    and each ``assert*`` call is evaluated at the point where it runs; an assert inside a function
    is evaluated where the function is defined, its parameters counting as outside inputs."""

    def __init__(self, sources: list[str]):
        self.trees = [parse_cell(s) for s in sources]
        self.env: dict[str, Value] = {}
        self._asserts: dict[tuple[int, int, int], frozenset[str]] = {}
        self._cell = 0
        self._calling: set[int] = set()  # function bodies being followed (recursion guard)
        for index, tree in enumerate(self.trees):
            if tree is not None:
                self._cell = index
                self.env = self._block(tree.body, self.env, frozenset())

    # -- the inputs of one assert ----------------------------------------------------------------
    def assert_inputs(self, cell: int, node: ast.AST) -> frozenset[str]:
        """What the operands of an assert (a node of ``asserts_in(cell's source)``) were made
        from; an assert the walk never reached is judged with the notebook's final bindings."""
        key = (cell, node.lineno, node.col_offset)
        if key in self._asserts:
            return self._asserts[key]
        return self._operand_inputs(node, self.env)

    def _operand_inputs(self, node: ast.AST, env: dict[str, Value]) -> frozenset[str]:
        if isinstance(node, ast.Assert):
            return self._eval(node.test, env).inputs
        parts = [*node.args, *(k.value for k in node.keywords)]
        return frozenset().union(*(self._eval(p, env).inputs for p in parts)) if parts else frozenset({OUTSIDE_INPUT})

    def _note_assert(self, node: ast.AST, inputs: frozenset[str]) -> None:
        key = (self._cell, node.lineno, node.col_offset)
        self._asserts[key] = self._asserts.get(key, frozenset()) | inputs

    # -- statements --------------------------------------------------------------------------------
    def _block(self, body: list[ast.stmt], env: dict[str, Value], ctrl: frozenset[str]) -> dict[str, Value]:
        for node in body:
            env = self._stmt(node, env, ctrl)
        return env

    def _loop(self, body: list[ast.stmt], env: dict[str, Value], ctrl: frozenset[str], bind) -> dict[str, Value]:
        """A loop body run zero, one or more times (twice is enough for values carried round)."""
        before = env
        for _ in range(2):
            env = dict(env)
            bind(env)
            env = _merge_envs(before, self._block(body, env, ctrl))
        return env

    def _bind(self, target: ast.AST, value: Value, env: dict[str, Value], source: ast.AST | None = None) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            elts = getattr(source, "elts", None)
            pairwise = isinstance(source, (ast.Tuple, ast.List)) and len(elts) == len(target.elts)
            if pairwise and not any(isinstance(e, ast.Starred) for e in [*elts, *target.elts]):
                for sub_target, sub_source in zip(target.elts, elts, strict=True):
                    self._bind(sub_target, self._eval(sub_source, env).plus(value), env, sub_source)
            else:
                for name in _target_names(target):
                    env[name] = _data(value)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, value, env)
        elif isinstance(target, (ast.Subscript, ast.Attribute)):  # d[k] = v, obj.x = v: d and obj change
            self._eval(target, env)
            self._mutate(_base_name(target), value, env)

    def _mutate(self, name: str | None, value: Value, env: dict[str, Value]) -> None:
        """``name``'s value was changed in place by something made from ``value``."""
        if name is None:
            return
        old = env.get(name)
        if old is None:
            env[name] = _data(value)
        elif old.kind == "value" and not old.immutable:
            env[name] = old.plus(value)

    def _stmt(self, node: ast.stmt, env: dict[str, Value], ctrl: frozenset[str]) -> dict[str, Value]:
        flow = Value(ctrl)
        if isinstance(node, ast.Assign):
            value = self._eval(node.value, env).plus(flow)
            for target in node.targets:
                self._bind(target, value, env, node.value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._bind(node.target, self._eval(node.value, env).plus(flow), env, node.value)
        elif isinstance(node, ast.AugAssign):
            value = self._eval(node.value, env).plus(flow)
            if isinstance(node.target, ast.Name):
                old = env.get(node.target.id, OUTSIDE)
                env[node.target.id] = _data(old, value, immutable=old.immutable and value.immutable)
            else:
                self._bind(node.target, value, env)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            items = self._eval(node.iter, env)
            inner = ctrl | items.inputs
            env = self._loop(node.body, env, inner, lambda e: self._bind(node.target, _data(items, Value(inner)), e))
            env = self._block(node.orelse, env, ctrl)
        elif isinstance(node, ast.While):
            test = self._eval(node.test, env)
            env = self._loop(node.body, env, ctrl | test.inputs, lambda e: self._eval(node.test, e))
            env = self._block(node.orelse, env, ctrl)
        elif isinstance(node, ast.If):
            inner = ctrl | self._eval(node.test, env).inputs
            env = _merge_envs(self._block(node.body, dict(env), inner), self._block(node.orelse, dict(env), inner))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = []
            for item in node.items:
                context = self._eval(item.context_expr, env).plus(flow)
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, context, env)
                    targets += _target_names(item.optional_vars)
            env = self._block(node.body, env, ctrl)
            # ``with redirect_stdout(...) as out:`` captures what the body does.
            done = self._block_inputs(node.body, env)
            for name in targets:
                self._mutate(name, done, env)
        elif isinstance(node, ast.Try | getattr(ast, "TryStar", ast.Try)):
            before = dict(env)
            tried = self._block(node.body, dict(env), ctrl)
            raised = ctrl | self._block_inputs(node.body, tried).inputs  # whether and what it raised
            outcomes = [self._block(node.orelse, tried, ctrl)]
            for handler in node.handlers:
                handled = _merge_envs(before, tried)
                if handler.type is not None:
                    self._eval(handler.type, handled)
                if handler.name:
                    handled[handler.name] = Value(raised)
                outcomes.append(self._block(handler.body, handled, raised))
            env = self._block(node.finalbody, _merge_envs(*outcomes), ctrl)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            decorators = [self._eval(d, env) for d in node.decorator_list]
            bases = [self._eval(b, env) for b in getattr(node, "bases", [])]
            env[node.name] = Value(kind="function", node=node).plus(flow, *decorators, *bases)
            # Asserts inside: judged here, the parameters (unknown until called) as outside inputs.
            local = dict(env)
            if not isinstance(node, ast.ClassDef):
                for param in (a for a in ast.walk(node.args) if isinstance(a, ast.arg)):
                    local[param.arg] = OUTSIDE
            self._block(node.body, local, ctrl)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                env[alias.asname or top] = Value(kind="module", module=top)
        elif isinstance(node, ast.ImportFrom):
            top = (node.module or "").split(".")[0]
            for alias in node.names:
                if alias.name != "*":
                    env[alias.asname or alias.name] = Value(_module_inputs(top) if top else frozenset({OUTSIDE_INPUT}))
        elif isinstance(node, ast.Assert):
            self._note_assert(node, self._eval(node.test, env).inputs)
            if node.msg is not None:
                self._eval(node.msg, env)
        elif isinstance(node, ast.Match):
            subject = self._eval(node.subject, env)
            inner = ctrl | subject.inputs
            env = _merge_envs(env, *(self._block(case.body, dict(env), inner) for case in node.cases))
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Pass, ast.Break, ast.Continue, ast.Delete)):
            pass
        else:  # expression statements, return, raise
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self._eval(child, env)
        return env

    def _block_inputs(self, body: list[ast.stmt], env: dict[str, Value]) -> Value:
        """Everything a block reads, flow-insensitively (what a captured output or a raised error
        may carry)."""
        return self._free_inputs(ast.Module(body=body, type_ignores=[]), env, set())

    # -- expressions -------------------------------------------------------------------------------
    def _name(self, name: str, env: dict[str, Value]) -> Value:
        if name in env:
            value = env[name]
            if value.kind == "module":
                return replace(value, inputs=_module_inputs(value.module))
            if value.kind == "function":
                return value.plus(self._function_inputs(value.node, env))
            return value
        if hasattr(builtins, name):
            return OUTSIDE if name in _IMPURE_BUILTINS else Value(kind="builtin")
        return OUTSIDE  # bound where this reading cannot see (a magic, a star import)

    def _eval(self, node: ast.AST, env: dict[str, Value]) -> Value:
        if isinstance(node, ast.Constant):
            text = node.value if isinstance(node.value, str) and len(node.value) <= _LONGEST_STRING else None
            return Value(strings=frozenset({text}) if text is not None else frozenset(), immutable=True)
        if isinstance(node, ast.Name):
            return self._name(node.id, env)
        if isinstance(node, ast.Attribute):
            base = self._eval(node.value, env)
            if base.kind == "module":  # a submodule or a function of the module
                return replace(base, kind="module")
            return _data(base)
        if isinstance(node, ast.Call):
            return self._call(node, env)
        if isinstance(node, ast.Lambda):
            return Value(kind="function", node=node).plus(self._function_inputs(node, env))
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            local = dict(env)
            parts = []
            for generator in node.generators:
                items = self._eval(generator.iter, local)
                parts.append(items)
                self._bind(generator.target, _data(items), local)
                parts += [self._eval(test, local) for test in generator.ifs]
            elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            return _data(*parts, *(self._eval(e, local) for e in elements))
        if isinstance(node, ast.NamedExpr):
            value = self._eval(node.value, env)
            env[node.target.id] = value
            return value
        children = [self._eval(c, env) for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
        immutable = isinstance(node, (ast.Tuple, ast.JoinedStr, ast.FormattedValue, ast.BinOp, ast.UnaryOp,
                                      ast.Compare, ast.BoolOp)) and all(c.immutable for c in children)  # fmt: skip
        return _data(*children, immutable=immutable)

    def _call(self, node: ast.Call, env: dict[str, Value]) -> Value:
        func = self._eval(node.func, env)
        args = [self._eval(a, env) for a in [*node.args, *(k.value for k in node.keywords)]]
        name = call_name(node.func)
        if name.startswith("assert"):
            self._note_assert(
                node, frozenset().union(*(a.inputs for a in args)) if args else frozenset({OUTSIDE_INPUT})
            )
        strings = frozenset().union(*(a.strings for a in args)) if args else frozenset()
        if name in _DATA_CALLS:
            return _data(*args).plus(Value(frozenset({DATA})))
        if name == _OPTIONAL_IMPORT and node.args and isinstance(node.args[0], ast.Constant):
            top = str(node.args[0].value).split(".")[0]
            return Value(kind="module", module=top) if len(node.args) == 1 else Value(_module_inputs(top))
        if name in _METADATA_CALLS or (func.kind == "function" and self._reads_metadata(func.node)):
            result = _data(func, *args).plus(Value(self._dists(strings)))
            return result.plus(self._function_inputs(func.node, env)) if func.kind == "function" else result
        if name in _SUBPROCESS_CALLS and (func.kind == "module" or OUTSIDE_INPUT in func.inputs):
            return _data(func, *args).plus(Value(self._subprocess(strings)))
        if func.kind == "function":  # a function or class defined in the notebook
            result = _data(func, *args)
            self._side_effects(node, func.node, result, env)
            return result
        if func.kind == "builtin":
            result = _data(*args, immutable=all(a.immutable for a in args))
            self._callbacks(node, args, result, env)
            return result
        result = _data(func, *args)
        self._callbacks(node, args, result, env)
        # A method may change its object (``rows.append(x)``), and a framework's in-place function
        # (``torch.nn.init.zeros_(w)``) its argument.
        if isinstance(node.func, ast.Attribute) and func.kind != "module":
            self._mutate(_base_name(node.func.value), result, env)
        if name.endswith("_") and not name.endswith("__"):
            for arg in node.args:
                self._mutate(_base_name(arg) if not isinstance(arg, ast.Name) else arg.id, result, env)
        return result

    def _side_effects(self, call: ast.Call, definition: ast.AST, result: Value, env: dict[str, Value]) -> None:
        """A notebook function may change the objects it is handed and the globals it (or a
        function it calls) touches."""
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Name):
                self._mutate(arg.id, result, env)
        for name in self._effects(definition, env, set()):
            self._mutate(name, result, env)

    def _callbacks(self, call: ast.Call, args: list[Value], result: Value, env: dict[str, Value]) -> None:
        """A notebook function handed to a library (``tf.function(f)``, ``backend=count``) runs
        when the library calls it: the globals it touches then hold what the library gave it."""
        for value in args:
            if value.kind == "function":
                for name in self._effects(value.node, env, set()):
                    self._mutate(name, result, env)

    def _effects(self, definition: ast.AST, env: dict[str, Value], seen: set[int]) -> set[str]:
        """Globals a notebook function changes, itself or through the notebook functions it calls."""
        if id(definition) in seen or isinstance(definition, ast.ClassDef):
            return set()
        seen.add(id(definition))
        local = _local_names(definition)
        found = {name for name in _mutated_globals(definition, local) if name in env}
        for sub in ast.walk(definition):
            if isinstance(sub, ast.Name) and sub.id not in local and env.get(sub.id, LITERAL).kind == "function":
                found |= self._effects(env[sub.id].node, env, seen)
        return found

    # -- what a function reads, and the outside world ----------------------------------------------
    def _function_inputs(self, node: ast.AST, env: dict[str, Value]) -> Value:
        """The inputs a function's (or class's, or lambda's) body reads from outside it, with the
        bindings in force where it is called."""
        return self._free_inputs(node, env, _local_names(node))

    def _free_inputs(self, node: ast.AST, env: dict[str, Value], local: set[str]) -> Value:
        if id(node) in self._calling:
            return Value()
        self._calling.add(id(node))
        try:
            found = Value()
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id not in local:
                    found = found.plus(self._name(sub.id, env))
                elif isinstance(sub, ast.Call):
                    called = call_name(sub.func)
                    strings = frozenset(
                        c.value for c in ast.walk(sub) if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    )
                    if called in _DATA_CALLS:
                        found = found.plus(Value(frozenset({DATA})))
                    elif called in _METADATA_CALLS and strings:
                        found = found.plus(Value(self._dists(strings)))
                    elif called in _SUBPROCESS_CALLS and strings:
                        found = found.plus(Value(self._subprocess(strings)))
            return _data(found)
        finally:
            self._calling.discard(id(node))

    def _reads_metadata(self, node: ast.AST) -> bool:
        return any(isinstance(c, ast.Call) and call_name(c.func) in _METADATA_CALLS for c in ast.walk(node))

    @staticmethod
    def _dists(strings: frozenset[str]) -> frozenset[str]:
        """The frameworks whose installed package a metadata call names (else: the outside)."""
        names = {s.lower().replace("_", "-") for s in strings}
        found = {fw for fw, dists in FRAMEWORK_DISTS.items() if names & {d.replace("_", "-") for d in dists}}
        return frozenset(found) if found else frozenset({OUTSIDE_INPUT})

    @staticmethod
    def _subprocess(strings: frozenset[str]) -> frozenset[str]:
        """The frameworks a subprocess imports (a subprocess always reads the outside)."""
        found = {OUTSIDE_INPUT}
        for framework, modules in FRAMEWORK_MODULES.items():
            pattern = re.compile(rf"\b(import|from)\s+({'|'.join(modules)})\b")
            if any(pattern.search(s) for s in strings):
                found.add(framework)
        # Keras 3 run on a chosen backend: the subprocess runs every framework it names.
        if any("KERAS_BACKEND" in s for s in strings) and any(re.search(r"\bimport keras\b", s) for s in strings):
            found |= set(FRAMEWORK_MODULES)
        return frozenset(found)
