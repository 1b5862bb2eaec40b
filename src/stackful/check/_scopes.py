"""What the collector knows about names: values, bindings, scopes, classes, modules.

Design principles:

* A value is one of a handful of kinds (function, class, instance, module,
  external dotted name, super), identified by a key: never an ``ast`` node,
  so values compare and hash cheaply and can be deduplicated.
* A binding records *how* a name was bound, not what it is: it is evaluated
  lazily by the collector, at most once (``cache``).
* Scopes mirror Python's: module, class and function; class bodies are not
  enclosing scopes for the functions inside them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

__all__ = ["Binding", "ClassInfo", "ModuleInfo", "Scope", "UNKNOWN", "Value"]


@dataclass(frozen=True)
class Value:
    """What an expression may evaluate to, as far as the checker can tell.

    kinds: ``func`` (key: Function.id), ``class`` (key: class qualname),
    ``instance`` (key: class qualname or external dotted name), ``module``
    (key: analysed module name), ``ext`` (key: external dotted name),
    ``super`` (key: class qualname whose bases to search).  ``dispatch``
    marks a receiver whose real class may be a subclass (``self``/``cls``).
    """

    kind: str
    key: str
    names: frozenset[str] = frozenset()
    dispatch: bool = False

    def named(self, name: str) -> Value:
        return Value(self.kind, self.key, self.names | {name}, self.dispatch)

    def all_names(self) -> frozenset[str]:
        return self.names | {self.key}


class Binding:
    """One way a name gets bound; evaluated lazily, at most once."""

    __slots__ = ("kind", "data", "scope", "cache")

    def __init__(self, kind: str, data: object = None, scope: Scope | None = None) -> None:
        self.kind = kind  # "value" | "import" | "expr" | "annot" | "unknown"
        self.data = data
        self.scope = scope
        self.cache: list[Value] | None = None


UNKNOWN = Binding("unknown")


class Scope:
    __slots__ = ("kind", "module", "parent", "names", "globals", "cls", "qualname")

    def __init__(
        self,
        kind: str,
        module: ModuleInfo,
        parent: Scope | None,
        qualname: str,
        cls: ClassInfo | None = None,
    ) -> None:
        self.kind = kind  # "module" | "class" | "function"
        self.module = module
        self.parent = parent
        self.names: dict[str, list[Binding]] = {}
        self.globals: set[str] = set()
        self.cls = cls
        self.qualname = qualname

    def bind(self, name: str, binding: Binding) -> None:
        self.names.setdefault(name, []).append(binding)


@dataclass
class ClassInfo:
    qualname: str
    module: str
    node: ast.ClassDef
    scope: Scope
    methods: dict[str, list[str]] = field(default_factory=dict)
    attrs: dict[str, list[Binding]] = field(default_factory=dict)
    bases: list[Value] | None = None
    subclasses: list[str] = field(default_factory=list)
    body_scope: Scope | None = None


@dataclass
class ModuleInfo:
    name: str
    path: str
    is_package: bool
    tree: ast.Module
    scope: Scope = field(init=False)
    stars: list[str] = field(default_factory=list)

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]
