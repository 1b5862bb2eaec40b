"""Annotations of functions declared outside the analysed files.

Design principles:

* Never import anything: importing runs code.  Modules are located with
  ``importlib.machinery.PathFinder`` (which only looks at directories) and
  read as text.
* Be lazy and cheap: a module is read only when the analysed code calls into
  it, and parsed only when its text mentions an annotation name at all.
  Everything is cached, so each file is read at most once per run.
* Only the declarations matter here: which top-level functions and methods
  carry ``@coroutine_fn`` or ``@blocking_fn``, and which names a module
  re-exports with ``from X import name``.  Bodies are not analysed.
"""

from __future__ import annotations

import ast
import importlib.machinery
import os
from dataclasses import dataclass, field

from ._model import dotted_name as _dotted

__all__ = ["ExternalIndex"]

_MAX_REEXPORT_DEPTH = 4


@dataclass
class _ModuleFacts:
    coroutine: set[str] = field(default_factory=set)
    blocking: set[str] = field(default_factory=set)
    reexports: dict[str, str] = field(default_factory=dict)


class ExternalIndex:
    """Answers "is this external dotted name annotated?" from source text."""

    def __init__(self, coroutine_names: tuple[str, ...], blocking_names: tuple[str, ...]) -> None:
        self._coroutine_short = {name.rpartition(".")[2] for name in coroutine_names}
        self._blocking_short = {name.rpartition(".")[2] for name in blocking_names}
        self._modules: dict[str, _ModuleFacts | None] = {}
        self._files: dict[str, str | None] = {}

    def annotation(self, dotted: str) -> str:
        """``"coroutine"``, ``"blocking"`` or ``""`` for the external *dotted*."""
        return self._lookup(dotted, 0)

    def _lookup(self, dotted: str, depth: int) -> str:
        if depth > _MAX_REEXPORT_DEPTH:
            return ""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            facts = self._facts(".".join(parts[:cut]))
            if facts is None:
                continue
            rest = ".".join(parts[cut:])
            if rest in facts.coroutine:
                return "coroutine"
            if rest in facts.blocking:
                return "blocking"
            head, _, tail = rest.partition(".")
            if head in facts.reexports:
                target = facts.reexports[head] + (f".{tail}" if tail else "")
                return self._lookup(target, depth + 1)
            return ""
        return ""

    def _facts(self, module: str) -> _ModuleFacts | None:
        if module in self._modules:
            return self._modules[module]
        facts = None
        path = self._locate(module)
        if path is not None:
            facts = self._read(module, path)
        self._modules[module] = facts
        return facts

    def _locate(self, module: str) -> str | None:
        if module in self._files:
            return self._files[module]
        origin: str | None = None
        try:
            head, _, _ = module.rpartition(".")
            search: list[str] | None = None
            if head:
                parent = self._locate(head)
                if parent is None or not parent.endswith("__init__.py"):
                    self._files[module] = None
                    return None
                search = [os.path.dirname(parent)]
            spec = importlib.machinery.PathFinder.find_spec(module, search)
            if spec is not None and spec.origin and spec.origin.endswith(".py"):
                origin = spec.origin
        except Exception:
            origin = None
        self._files[module] = origin
        return origin

    def _read(self, module: str, path: str) -> _ModuleFacts | None:
        try:
            with open(path, "rb") as stream:
                data = stream.read()
        except OSError:
            return None
        facts = _ModuleFacts()
        shorts = self._coroutine_short | self._blocking_short
        # A module that never names an annotation declares none; a package's __init__
        # may still re-export annotated names of its submodules.
        if not path.endswith("__init__.py") and not any(short.encode() in data for short in shorts):
            return facts
        try:
            tree = ast.parse(data, filename=path)
        except (SyntaxError, ValueError):
            return facts
        package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
        self._scan(tree.body, "", facts, package)
        return facts

    def _scan(self, body: list[ast.stmt], prefix: str, facts: _ModuleFacts, package: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    expr = decorator.func if isinstance(decorator, ast.Call) else decorator
                    short = _dotted(expr).rpartition(".")[2]
                    if short in self._coroutine_short:
                        facts.coroutine.add(prefix + node.name)
                    elif short in self._blocking_short:
                        facts.blocking.add(prefix + node.name)
            elif isinstance(node, ast.ClassDef) and not prefix:
                self._scan(node.body, node.name + ".", facts, package)
            elif isinstance(node, ast.ImportFrom) and not prefix:
                source = node.module or ""
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                    source = ".".join(part for part in (*base, source) if part)
                for alias in node.names:
                    if alias.name != "*":
                        facts.reexports[alias.asname or alias.name] = f"{source}.{alias.name}"
            elif isinstance(node, (ast.If, ast.Try)) and not prefix:
                self._scan(node.body, prefix, facts, package)
