"""From source files to a call graph: parsing, name resolution, call sites.

Design principles:

* Three passes, each over every module before the next starts, so that a
  module may use names of any other: (1) *declare* the scopes, functions,
  classes and bindings; (2) *classify* decorators (annotations, entry
  points, properties); (3) walk the *bodies* and record call sites and
  references taken.
* Resolution is static and cheap: names are looked up the way Python scopes
  do (local, enclosing functions, module, builtins; class bodies are not
  enclosing scopes), imports are followed across the analysed modules, and a
  value is only ever one of a handful of kinds (function, class, instance,
  module, external dotted name).  Assignments are evaluated lazily and once.
* When in doubt, resolve to nothing: an unresolved call is not an edge.  The
  checker prefers missing an edge to inventing one, except for method calls
  on ``self``/``cls``, where overrides in known subclasses are included.
* No ``ast`` node leaves this module: the result is a ``Program`` of plain
  model objects.
"""

from __future__ import annotations

import ast
import builtins
import gc
import re
from pathlib import Path

from ._config import Config, parse_arg_spec
from ._discover import display_path, module_name
from ._model import (CallSite, Diagnostic, Function, Location, Program, RefSite, Target,
                     dotted_name as _dotted, location)
from ._scopes import UNKNOWN, Binding, ClassInfo, ModuleInfo, Scope, Value

__all__ = ["collect"]

_BUILTIN_NAMES = frozenset(dir(builtins))
_PROPERTY_DECORATORS = frozenset({"builtins.property", "functools.cached_property"})
_TRUSTING_DECORATORS = frozenset(
    {"abc.abstractmethod", "typing.overload", "typing_extensions.overload"}
)
_NEUTRAL_DECORATORS = frozenset(
    {
        "builtins.staticmethod",
        "builtins.classmethod",
        "functools.wraps",
        "functools.cache",
        "functools.lru_cache",
        "functools.singledispatch",
        "contextlib.contextmanager",
        "contextlib.asynccontextmanager",
        "typing.final",
        "typing.override",
        "typing.no_type_check",
        "typing_extensions.final",
        "typing_extensions.override",
    }
    | _PROPERTY_DECORATORS
    | _TRUSTING_DECORATORS
)
_PROTOCOL_BASES = frozenset({"typing.Protocol", "typing_extensions.Protocol"})
_SUPPRESS = re.compile(r"#\s*stackful:\s*ignore(?:\[([A-Za-z0-9_, ]*)\])?")
_MAX_VALUES = 16


# ---------------------------------------------------------------- collector


class Collector:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.modules: dict[str, ModuleInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.class_by_node: dict[int, ClassInfo] = {}
        self.program = Program()
        self.func_nodes: dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, Scope, Scope]] = {}
        self.method_class: dict[str, ClassInfo] = {}
        self.properties: set[str] = set()
        self._global_memo: dict[str, list[Value]] = {}
        self._resolving: set[str] = set()
        self._mro_memo: dict[str, list[str]] = {}
        self._wide: dict[str, list[bytes]] = {}
        self.entry_specs = self._specs(config.entry_points)
        self.outside_specs = self._specs(config.outside_runners)
        self.coroutine_names = frozenset(config.coroutine_annotations)
        self.blocking_names = frozenset(config.blocking_annotations)
        self._short_coroutine = {n.rpartition(".")[2] for n in config.coroutine_annotations}
        self._short_blocking = {n.rpartition(".")[2] for n in config.blocking_annotations}

    @staticmethod
    def _specs(specs: tuple[str, ...]) -> dict[str, tuple[tuple[int, ...], tuple[str, ...]]]:
        table = {}
        for spec in specs:
            name, positions, keywords = parse_arg_spec(spec)
            table[name] = (positions, keywords)
        return table

    def loc(self, path: str, node: ast.AST) -> Location:
        """The location of *node*, its column counted in characters.

        ``ast`` columns are UTF-8 byte offsets; they differ from character
        columns only on lines with non-ASCII text.
        """
        where = location(path, node)
        lines = self._wide.get(path)
        if lines is not None and where.line <= len(lines):
            line = lines[where.line - 1]
            if not line.isascii():
                prefix = line[: where.col - 1].decode("utf-8", "replace")
                return Location(path, where.line, len(prefix) + 1)
        return where

    # -- pass 0: parsing

    def parse(self, file: Path, display: str) -> None:
        self.program.files.append(display)
        try:
            data = file.read_bytes()
            tree = ast.parse(data, filename=display)
        except SyntaxError as exc:
            line = exc.lineno or 1
            col = exc.offset or 1
            self.program.parse_errors.append(
                Diagnostic(display, line, col, "SC001", f"cannot parse: {exc.msg}")
            )
            return
        except (OSError, ValueError) as exc:
            self.program.parse_errors.append(
                Diagnostic(display, 1, 1, "SC001", f"cannot read: {exc}")
            )
            return
        if b"stackful:" in data:
            self._suppressions(display, data)
        if not data.isascii():
            self._wide[display] = data.splitlines()
        name, is_package = module_name(file)
        if name in self.modules:
            # Two files claim the same module name (two unrelated trees given
            # at once): keep both, the second under a distinct name.
            name = f"{name}@{display}"
        module = ModuleInfo(name, display, is_package, tree)
        module.scope = Scope("module", module, None, name)
        self.modules[name] = module

    def _suppressions(self, display: str, data: bytes) -> None:
        table: dict[int, frozenset[str] | None] = {}
        text = data.decode("utf-8", "replace")
        for number, line in enumerate(text.splitlines(), 1):
            match = _SUPPRESS.search(line)
            if match:
                codes = match.group(1)
                table[number] = (
                    frozenset(c.strip().upper() for c in codes.split(",") if c.strip())
                    if codes is not None
                    else None
                )
        if table:
            self.program.suppressions[display] = table

    # -- pass 1: declarations

    def declare_all(self) -> None:
        for module in self.modules.values():
            main = Function(f"{module.name}.<module>", f"{module.name}.<module>", module.name,
                            Location(module.path, 1, 1), pseudo=True)
            self.program.functions[main.id] = main
            self._declare_block(module.tree.body, module.scope, module.name, None, None)

    def _unique(self, qualname: str, node: ast.AST) -> str:
        if qualname not in self.program.functions:
            return qualname
        return f"{qualname}@{getattr(node, 'lineno', 0)}"

    def _declare_block(
        self,
        body: list[ast.stmt],
        scope: Scope,
        prefix: str,
        cls: ClassInfo | None,
        self_name: str | None,
    ) -> None:
        """Record the bindings *body* makes in *scope*.

        *cls* is the class whose body this is (class scopes) and *self_name*
        the name of the receiver parameter when *scope* is a method's.
        """
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                fid = self._declare_function(node, scope, prefix, cls)
                scope.bind(node.name, Binding("value", Value("func", fid)))
            elif isinstance(node, ast.ClassDef):
                info = self._declare_class(node, scope, prefix)
                scope.bind(node.name, Binding("value", Value("class", info.qualname)))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        scope.bind(alias.asname, Binding("import", alias.name))
                    else:
                        head = alias.name.partition(".")[0]
                        scope.bind(head, Binding("import", head))
            elif isinstance(node, ast.ImportFrom):
                source = self._absolute(scope.module, node.module, node.level)
                for alias in node.names:
                    if alias.name == "*":
                        if scope.kind == "module":
                            scope.module.stars.append(source)
                        continue
                    scope.bind(alias.asname or alias.name, Binding("import", f"{source}.{alias.name}"))
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    self._declare_target(target, Binding("expr", node.value, scope), scope, cls, self_name)
            elif isinstance(node, ast.AnnAssign):
                self._declare_target(node.target, Binding("annot", node.annotation, scope), scope, cls, self_name)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                self._declare_target(node.target, UNKNOWN, scope, cls, self_name)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        self._declare_target(item.optional_vars, UNKNOWN, scope, cls, self_name)
            elif isinstance(node, ast.Global):
                scope.globals.update(node.names)
            if isinstance(node, (ast.Try, ast.TryStar)):
                for handler in node.handlers:
                    if handler.name:
                        scope.bind(handler.name, UNKNOWN)
                    self._declare_block(handler.body, scope, prefix, cls, self_name)
            for attr in ("body", "orelse", "finalbody"):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    break
                inner = getattr(node, attr, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    self._declare_block(inner, scope, prefix, cls, self_name)
            if isinstance(node, ast.Match):
                for case in node.cases:
                    self._declare_block(case.body, scope, prefix, cls, self_name)

    def _declare_target(
        self,
        target: ast.expr,
        binding: Binding,
        scope: Scope,
        cls: ClassInfo | None,
        self_name: str | None,
    ) -> None:
        if isinstance(target, ast.Name):
            scope.bind(target.id, binding)
            if cls is not None and scope.kind == "class":
                cls.attrs.setdefault(target.id, []).append(binding)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._declare_target(element, UNKNOWN, scope, cls, self_name)
        elif isinstance(target, ast.Starred):
            self._declare_target(target.value, UNKNOWN, scope, cls, self_name)
        elif (
            isinstance(target, ast.Attribute)
            and self_name is not None
            and isinstance(target.value, ast.Name)
            and target.value.id == self_name
            and scope.cls is not None
        ):
            scope.cls.attrs.setdefault(target.attr, []).append(binding)

    def _absolute(self, module: ModuleInfo, name: str | None, level: int) -> str:
        if not level:
            return name or ""
        parts = module.package.split(".") if module.package else []
        if level > 1:
            parts = parts[: max(0, len(parts) - (level - 1))]
        if name:
            parts.append(name)
        return ".".join(parts)

    def _declare_function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        scope: Scope,
        prefix: str,
        cls: ClassInfo | None,
    ) -> str:
        module = scope.module
        qualname = f"{prefix}.{node.name}"
        fid = self._unique(qualname, node)
        function = Function(
            fid,
            qualname,
            module.name,
            self.loc(module.path, node),
            is_async=isinstance(node, ast.AsyncFunctionDef),
        )
        if _is_stub(node.body):
            function.trusted = "its body is a stub"
        self.program.functions[fid] = function
        inner = Scope("function", module, scope, qualname, cls)
        self.func_nodes[fid] = (node, scope, inner)
        if cls is not None:
            cls.methods.setdefault(node.name, []).append(fid)
            self.method_class[fid] = cls
        # Parameters.
        params = [*node.args.posonlyargs, *node.args.args]
        self_name = None
        decorator_names = {_dotted(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}
        is_static = bool(decorator_names & {"staticmethod", "builtins.staticmethod"})
        is_classmethod = bool(decorator_names & {"classmethod", "builtins.classmethod"})
        if cls is not None and params and not is_static:
            self_name = params[0].arg
            kind = "class" if is_classmethod or node.name in ("__new__", "__init_subclass__") else "instance"
            inner.bind(self_name, Binding("value", Value(kind, cls.qualname, dispatch=True)))
            params = params[1:]
        for arg in [*params, *node.args.kwonlyargs, node.args.vararg, node.args.kwarg]:
            if arg is None:
                continue
            if arg.annotation is not None and arg not in (node.args.vararg, node.args.kwarg):
                inner.bind(arg.arg, Binding("annot", arg.annotation, scope))
            else:
                inner.bind(arg.arg, UNKNOWN)
        self._declare_block(node.body, inner, f"{qualname}.<locals>", None, self_name)
        return fid

    def _declare_class(self, node: ast.ClassDef, scope: Scope, prefix: str) -> ClassInfo:
        qualname = f"{prefix}.{node.name}"
        if qualname in self.classes:
            qualname = f"{qualname}@{node.lineno}"
        body_scope = Scope("class", scope.module, scope, qualname)
        info = ClassInfo(qualname, scope.module.name, node, scope)
        body_scope.cls = info
        info.body_scope = body_scope
        self.classes[qualname] = info
        self.class_by_node[id(node)] = info
        self._declare_block(node.body, body_scope, qualname, info, None)
        return info

    # -- resolution

    def lookup(self, name: str, scope: Scope) -> list[Value]:
        current: Scope | None = scope
        first = True
        while current is not None:
            if current.kind == "class" and not first:
                current = current.parent
                continue
            if name in current.globals:
                current = current.module.scope
            bindings = current.names.get(name)
            if bindings:
                return self._evaluate(bindings)
            current = current.parent
            first = False
        module = scope.module
        for source in module.stars:
            values = self.resolve_global(f"{source}.{name}")
            if values and not all(v.kind == "ext" for v in values):
                return values
        if name in _BUILTIN_NAMES:
            return [Value("ext", f"builtins.{name}")]
        return []

    def _evaluate(self, bindings: list[Binding]) -> list[Value]:
        values: list[Value] = []
        for binding in bindings:
            if binding.cache is None:
                binding.cache = []  # guards against cycles
                binding.cache = self._evaluate_one(binding)
            values.extend(binding.cache)
        return _dedupe(values)

    def _evaluate_one(self, binding: Binding) -> list[Value]:
        kind = binding.kind
        if kind == "value":
            return [binding.data]  # type: ignore[list-item]
        if kind == "import":
            return self.resolve_global(binding.data)  # type: ignore[arg-type]
        if binding.scope is None:
            return []
        if kind == "expr":
            return self.evaluate(binding.data, binding.scope)  # type: ignore[arg-type]
        if kind == "annot":
            return self._instances(binding.data, binding.scope)  # type: ignore[arg-type]
        return []

    def _instances(self, annotation: ast.expr, scope: Scope) -> list[Value]:
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return []
        if not isinstance(annotation, (ast.Name, ast.Attribute)):
            return []
        result = []
        for value in self.evaluate(annotation, scope):
            if value.kind == "class":
                result.append(Value("instance", value.key, value.names, dispatch=True))
            elif value.kind == "ext" and not value.key.startswith(("builtins.", "typing.")):
                result.append(Value("instance", value.key, value.names))
        return result

    def resolve_global(self, dotted: str) -> list[Value]:
        memo = self._global_memo.get(dotted)
        if memo is not None:
            return memo
        if dotted in self._resolving:
            return []
        self._resolving.add(dotted)
        try:
            parts = dotted.split(".")
            for cut in range(len(parts), 0, -1):
                prefix = ".".join(parts[:cut])
                if prefix in self.modules:
                    break
            else:
                result = [Value("ext", dotted)]
                self._global_memo[dotted] = result
                return result
            values = [Value("module", prefix)]
            for attr in parts[cut:]:
                values = self.attribute(values, attr)
            result = [value.named(dotted) for value in values]
        finally:
            self._resolving.discard(dotted)
        self._global_memo[dotted] = result
        return result

    def evaluate(self, node: ast.expr, scope: Scope) -> list[Value]:
        if isinstance(node, ast.Name):
            return self.lookup(node.id, scope)
        if isinstance(node, ast.Attribute):
            return self.attribute(self.evaluate(node.value, scope), node.attr)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "super" and not node.args:
                cls = scope.cls if scope.kind == "function" else None
                return [Value("super", cls.qualname)] if cls is not None else []
            return self.call_result(self.evaluate(func, scope))
        if isinstance(node, ast.NamedExpr):
            return self.evaluate(node.value, scope)
        return []

    def call_result(self, values: list[Value]) -> list[Value]:
        result = []
        for value in values:
            if value.kind == "class" or value.kind == "ext":
                result.append(Value("instance", value.key))
        return result

    def attribute(self, values: list[Value], attr: str) -> list[Value]:
        result: list[Value] = []
        for value in values:
            kind = value.kind
            if kind == "module":
                result.extend(self._module_attribute(value.key, attr))
            elif kind == "ext":
                result.append(Value("ext", f"{value.key}.{attr}"))
            elif kind in ("class", "instance"):
                info = self.classes.get(value.key)
                if info is None:
                    result.append(Value("ext", f"{value.key}.{attr}"))
                else:
                    result.extend(self._member(info, attr, value.dispatch, kind == "instance"))
            elif kind == "super":
                info = self.classes.get(value.key)
                if info is not None:
                    result.extend(self._member(info, attr, False, True, skip_self=True))
            if len(result) > _MAX_VALUES:
                break
        return _dedupe(result)

    def _module_attribute(self, module_name: str, attr: str) -> list[Value]:
        module = self.modules[module_name]
        bindings = module.scope.names.get(attr)
        if bindings:
            spelling = f"{module_name}.{attr}"
            return [value.named(spelling) for value in self._evaluate(bindings)]
        sub = f"{module_name}.{attr}"
        if sub in self.modules:
            return [Value("module", sub)]
        for source in module.stars:
            values = self.resolve_global(f"{source}.{attr}")
            if values and not all(v.kind == "ext" for v in values):
                return values
        return [Value("ext", sub)]

    def mro(self, qualname: str) -> list[str]:
        """Linearised bases (analysed classes, then external dotted names)."""
        memo = self._mro_memo.get(qualname)
        if memo is not None:
            return memo
        self._mro_memo[qualname] = [qualname]
        order = [qualname]
        for base in self.bases(qualname):
            if base.kind == "class":
                for name in self.mro(base.key):
                    if name not in order:
                        order.append(name)
            elif base.kind == "ext" and base.key not in order:
                order.append(base.key)
        self._mro_memo[qualname] = order
        return order

    def bases(self, qualname: str) -> list[Value]:
        info = self.classes[qualname]
        if info.bases is None:
            info.bases = []
            found: list[Value] = []
            for expr in info.node.bases:
                if isinstance(expr, ast.Subscript):
                    expr = expr.value
                for value in self.evaluate(expr, info.scope):
                    if value.kind in ("class", "ext"):
                        found.append(value)
            info.bases = found
            for value in found:
                if value.kind == "class" and value.key in self.classes:
                    self.classes[value.key].subclasses.append(qualname)
        return info.bases

    def _member(
        self,
        info: ClassInfo,
        attr: str,
        dispatch: bool,
        instance: bool,
        skip_self: bool = False,
    ) -> list[Value]:
        order = self.mro(info.qualname)
        if skip_self:
            order = order[1:]
        result: list[Value] = []
        for name in order:
            owner = self.classes.get(name)
            if owner is None:
                result.append(Value("ext", f"{name}.{attr}"))
                break
            if attr in owner.methods:
                result.extend(Value("func", fid) for fid in owner.methods[attr])
                break
            if attr in owner.attrs:
                result.extend(self._evaluate(owner.attrs[attr]))
                break
        if dispatch:
            for sub in self._all_subclasses(info.qualname):
                result.extend(Value("func", fid) for fid in self.classes[sub].methods.get(attr, ()))
        return _dedupe(result)

    def _all_subclasses(self, qualname: str) -> list[str]:
        found: list[str] = []
        pending = list(self.classes[qualname].subclasses)
        while pending:
            name = pending.pop()
            if name not in found:
                found.append(name)
                pending.extend(self.classes[name].subclasses)
        return sorted(found)

    def call_targets(self, values: list[Value]) -> list[Target]:
        targets: list[Target] = []
        for value in values:
            if value.kind == "func":
                function = self.program.functions[value.key]
                if not function.is_async:
                    targets.append(Target("func", value.key, value.names))
            elif value.kind == "class":
                for method in ("__new__", "__init__"):
                    for member in self._member(self.classes[value.key], method, False, False):
                        if member.kind == "func":
                            targets.append(Target("func", member.key, member.names))
            elif value.kind == "ext":
                targets.append(Target("ext", value.key, value.names))
            elif value.kind == "instance" and value.key in self.classes:
                for member in self._member(self.classes[value.key], "__call__", value.dispatch, True):
                    if member.kind == "func":
                        targets.append(Target("func", member.key, member.names))
        return list(dict.fromkeys(targets))

    def link_classes(self) -> None:
        """Resolve every class's bases, which also links subclasses."""
        for qualname in list(self.classes):
            self.mro(qualname)

    # -- pass 2: decorators

    def classify_all(self) -> None:
        for fid, (node, outer, _inner) in self.func_nodes.items():
            function = self.program.functions[fid]
            labels: list[str] = []
            for decorator in node.decorator_list:
                expr = decorator.func if isinstance(decorator, ast.Call) else decorator
                names: set[str] = set()
                for value in self.evaluate(expr, outer):
                    names |= value.all_names()
                text = _dotted(expr)
                short = text.rpartition(".")[2]
                where = self.loc(function.path, decorator)
                if names & self.coroutine_names or (not names and short in self._short_coroutine):
                    function.coroutine_ann = where
                    labels.append("@coroutine_fn")
                elif names & self.blocking_names or (not names and short in self._short_blocking):
                    function.blocking_ann = where
                    labels.append("@blocking_fn")
                elif self._spec_for(names, self.entry_specs):
                    self.program.refs.append(RefSite(where, fid, "entry", text, function.id))
                    labels.append(f"@{text}")
                elif names & _PROPERTY_DECORATORS or short in ("property", "cached_property"):
                    self.properties.add(fid)
                elif names & _TRUSTING_DECORATORS:
                    function.trusted = f"it is decorated with @{text}"
                elif names & _NEUTRAL_DECORATORS or short in ("setter", "getter", "deleter"):
                    pass
                else:
                    self.program.refs.append(RefSite(where, fid, "reference", f"@{text}", function.id))
            function.decorators = tuple(labels)
            cls = self.method_class.get(fid)
            if cls is not None and not function.trusted:
                if any(name in _PROTOCOL_BASES for name in self.mro(cls.qualname)):
                    function.trusted = "it is a Protocol method"
        # An override of a @coroutine_fn method implements an interface whose
        # callers expect it may suspend: its own annotation is trusted too.
        for fid, (node, _outer, _inner) in self.func_nodes.items():
            function = self.program.functions[fid]
            cls = self.method_class.get(fid)
            if cls is None or function.trusted or function.coroutine_ann is None:
                continue
            for base in self.mro(cls.qualname)[1:]:
                info = self.classes.get(base)
                overridden = info.methods.get(node.name, ()) if info is not None else ()
                if any(self.program.functions[o].coroutine_ann is not None for o in overridden):
                    function.trusted = f"it overrides the @coroutine_fn method {base}.{node.name}"
                    break

    @staticmethod
    def _spec_for(
        names: set[str] | frozenset[str], specs: dict[str, tuple[tuple[int, ...], tuple[str, ...]]]
    ) -> tuple[str, tuple[int, ...], tuple[str, ...]] | None:
        for name in sorted(names):
            if name in specs:
                return (name, *specs[name])
        return None

    # -- pass 3: bodies

    def walk_all(self) -> None:
        for module in self.modules.values():
            owner = self.program.functions[f"{module.name}.<module>"]
            BodyWalker(self, owner, module.scope).walk_module(module.tree.body)
        for fid, (node, _outer, inner) in self.func_nodes.items():
            walker = BodyWalker(self, self.program.functions[fid], inner)
            for statement in node.body:
                walker.visit(statement)


class BodyWalker(ast.NodeVisitor):
    """Records the calls and references one function's body makes."""

    def __init__(self, collector: Collector, owner: Function, scope: Scope) -> None:
        self.c = collector
        self.owner = owner
        self.scope = scope
        self.path = owner.path

    def walk_module(self, body: list[ast.stmt]) -> None:
        for statement in body:
            if isinstance(statement, ast.If) and _is_main_guard(statement.test):
                module = self.scope.module
                main = Function(
                    self.c._unique(f"{module.name}.<main>", statement),
                    f"{module.name}.<main>",
                    module.name,
                    self.c.loc(module.path, statement),
                    pseudo=True,
                    outside='it is the `if __name__ == "__main__"` block',
                )
                self.c.program.functions[main.id] = main
                walker = BodyWalker(self.c, main, self.scope)
                for inner in statement.body:
                    walker.visit(inner)
                for inner in statement.orelse:
                    self.visit(inner)
            else:
                self.visit(statement)

    # Nested definitions: only what runs at definition time belongs here.

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            if not isinstance(decorator, (ast.Name, ast.Attribute)):
                self.visit(decorator)
                continue
            values = self.c.evaluate(decorator, self.scope)
            names: set[str] = set()
            for value in values:
                names |= value.all_names()
            if not names & (self.c.coroutine_names | self.c.blocking_names):
                self._record_call(decorator, values, _dotted(decorator), "decorator")
            self._visit_callee(decorator)
        for default in (*node.args.defaults, *node.args.kw_defaults):
            if default is not None:
                self.visit(default)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)):
            self.visit(expr)
        info = self.c.class_by_node.get(id(node))
        if info is None or info.body_scope is None:
            return
        walker = BodyWalker(self.c, self.owner, info.body_scope)
        for statement in node.body:
            walker.visit(statement)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for default in (*node.args.defaults, *node.args.kw_defaults):
            if default is not None:
                self.visit(default)

    # Calls and references.

    def visit_Call(self, node: ast.Call) -> None:
        values = self.c.evaluate(node.func, self.scope)
        names: set[str] = set()
        for value in values:
            names |= value.all_names()
        special: dict[int, tuple[str, str]] = {}
        for role, specs in (("entry", self.c.entry_specs), ("outside", self.c.outside_specs)):
            spec = self.c._spec_for(names, specs)
            if spec is None:
                continue
            via, positions, keywords = spec
            for index in positions:
                if index < len(node.args) and not any(
                    isinstance(a, ast.Starred) for a in node.args[: index + 1]
                ):
                    special[id(node.args[index])] = (role, via)
            for keyword in node.keywords:
                if keyword.arg in keywords:
                    special[id(keyword.value)] = (role, via)
        self._record_call(node, values, _dotted(node.func) or "<expression>", "call")
        self._visit_callee(node.func)
        for arg in (*node.args, *(k.value for k in node.keywords)):
            role_via = special.get(id(arg))
            if role_via is not None and isinstance(arg, (ast.Name, ast.Attribute)):
                self._reference(arg, *role_via)
                self._visit_callee(arg)
            else:
                self.visit(arg)

    def _record_call(self, node: ast.AST, values: list[Value], text: str, kind: str) -> None:
        targets = self.c.call_targets(values)
        if targets:
            self.owner.calls.append(CallSite(self.c.loc(self.path, node), tuple(targets), text, kind))

    def _visit_callee(self, node: ast.expr) -> None:
        while isinstance(node, ast.Attribute):
            node = node.value
        if not isinstance(node, ast.Name):
            self.visit(node)

    def _reference(self, node: ast.expr, role: str, via: str) -> None:
        for value in self.c.evaluate(node, self.scope):
            if value.kind == "func":
                self.c.program.refs.append(
                    RefSite(self.c.loc(self.path, node), value.key, role, via, self.owner.id)
                )

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node)
        self._visit_callee(node)

    def _load(self, node: ast.Name | ast.Attribute) -> None:
        values = self.c.evaluate(node, self.scope)
        for value in values:
            if value.kind != "func":
                continue
            if value.key in self.c.properties and isinstance(node, ast.Attribute):
                self._record_call(node, [value], _dotted(node), "property")
            else:
                self.c.program.refs.append(
                    RefSite(self.c.loc(self.path, node), value.key, "reference", "", self.owner.id)
                )

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            context = self.c.evaluate(item.context_expr, self.scope)
            if isinstance(node, ast.With):
                for method in ("__enter__", "__exit__"):
                    members = [
                        m
                        for m in self.c.attribute(
                            [v for v in context if v.kind == "instance"], method
                        )
                        if m.kind == "func"
                    ]
                    if members:
                        self._record_call(item.context_expr, members, f"{method}", "with")
        self.generic_visit(node)

    visit_AsyncWith = visit_With


def _dedupe(values: list[Value]) -> list[Value]:
    if len(values) < 2:
        return values
    return list(dict.fromkeys(values))[:_MAX_VALUES]


def _is_stub(body: list[ast.stmt]) -> bool:
    statements = list(body)
    if statements and isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant) and isinstance(statements[0].value.value, str):
        statements = statements[1:]
    if not statements:
        return True
    if len(statements) != 1:
        return False
    only = statements[0]
    if isinstance(only, ast.Pass):
        return True
    if isinstance(only, ast.Expr) and isinstance(only.value, ast.Constant) and only.value.value is Ellipsis:
        return True
    if isinstance(only, ast.Raise) and only.exc is not None:
        exc = only.exc.func if isinstance(only.exc, ast.Call) else only.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main


def collect(files: list[Path], config: Config) -> Program:
    """Parse *files* and build the program's call graph."""
    collector = Collector(config)
    # The collector allocates millions of long-lived AST nodes and bindings
    # and frees nothing until the end: the cyclic collector would only
    # rescan them over and over (a third of the run time on big trees).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _collect(collector, files)
    finally:
        if enabled:
            gc.enable()


def _collect(collector: Collector, files: list[Path]) -> Program:
    for file in files:
        collector.parse(file, display_path(file))
    collector.declare_all()
    collector.link_classes()
    collector.classify_all()
    collector.walk_all()
    return collector.program
