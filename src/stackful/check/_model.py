"""The checker's data model: functions, call sites, references, diagnostics.

Design principles:

* Plain data only.  Every other module of the checker either builds these
  objects (``_collect``), reads them (``_infer``, ``_output``, ``_fix``) or
  both; none of them hides behaviour inside the model.
* One identity per function: ``Function.id`` is the dotted qualified name
  (``pkg.mod.Class.method``), made unique with ``@LINE`` when one module
  defines the same name twice (``if``/``else`` branches).
* Locations are 1-based lines *and* columns, the convention of compilers,
  editors and SARIF; the ``ast`` module's 0-based columns are converted once,
  when a location is made.
* The diagnostic codes and their one-line meaning live here, in ``RULES``, so
  the text, JSON and SARIF writers and the documentation all agree.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

__all__ = [
    "RULES",
    "CallSite",
    "Diagnostic",
    "Function",
    "Location",
    "Program",
    "RefSite",
    "Rule",
    "Target",
    "location",
]


@dataclass(frozen=True, order=True)
class Location:
    """A position in a source file; ``line`` and ``col`` are 1-based."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


def location(path: str, node: ast.AST) -> Location:
    """The location of *node* (which must carry ``lineno``/``col_offset``)."""
    return Location(path, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)


@dataclass(frozen=True)
class Target:
    """What a call or reference resolves to.

    ``kind`` is ``"func"`` for a function defined in the analysed files (then
    ``key`` is its ``Function.id``) or ``"ext"`` for anything defined
    elsewhere (then ``key`` is its dotted name).  ``names`` holds every dotted
    name met while resolving it (``stackful.suspend`` re-exported from
    ``stackful._core.suspend`` carries both), so that lists of roots and
    blocking calls match whichever spelling they use.
    """

    kind: str
    key: str
    names: frozenset[str] = frozenset()

    def all_names(self) -> frozenset[str]:
        return self.names | {self.key}


@dataclass
class CallSite:
    """One call expression (or implicit call: property read, ``with``)."""

    loc: Location
    targets: tuple[Target, ...]
    text: str
    kind: str = "call"


@dataclass
class RefSite:
    """A function's reference taken without calling it.

    ``role`` is ``"reference"`` (stored or passed on: its annotation is
    trusted), ``"entry"`` (handed to something that runs it inside a
    coroutine) or ``"outside"`` (handed to something that runs it outside any
    coroutine, such as a thread).  ``via`` names the receiver, if known.
    """

    loc: Location
    target: str
    role: str
    via: str = ""
    owner: str = ""


@dataclass
class Function:
    """A function, method, or the pseudo-function of module-level code."""

    id: str
    qualname: str
    module: str
    loc: Location
    is_async: bool = False
    pseudo: bool = False
    coroutine_ann: Location | None = None
    blocking_ann: Location | None = None
    trusted: str = ""
    outside: str = ""
    decorators: tuple[str, ...] = ()
    calls: list[CallSite] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.loc.path


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding; sorting orders by path, line, column, code, message."""

    path: str
    line: int
    col: int
    code: str
    message: str
    function: str = ""

    def text(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"


@dataclass
class Program:
    """Everything the collector learnt from the analysed files."""

    functions: dict[str, Function] = field(default_factory=dict)
    refs: list[RefSite] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    parse_errors: list[Diagnostic] = field(default_factory=list)
    #: path -> line -> codes silenced there (``None``: every code).
    suppressions: dict[str, dict[int, frozenset[str] | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    level: str = "warning"


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("SC001", "parse-error", "The file could not be parsed; it was skipped.", "error"),
        Rule(
            "SC101",
            "missing-coroutine-fn",
            "The function may suspend (it reaches a cooperative primitive) "
            "but is not annotated @coroutine_fn.",
        ),
        Rule(
            "SC102",
            "spurious-coroutine-fn",
            "The function is annotated @coroutine_fn but calls nothing that may "
            "suspend, and its reference is never taken.",
        ),
        Rule(
            "SC103",
            "blocking-fn-in-coroutine",
            "A function annotated @blocking_fn is called from a coroutine function.",
            "error",
        ),
        Rule(
            "SC104",
            "conflicting-annotations",
            "The function is annotated both @coroutine_fn and @blocking_fn.",
            "error",
        ),
        Rule(
            "SC105",
            "cooperative-blocking-fn",
            "The function is annotated @blocking_fn but may suspend.",
            "error",
        ),
        Rule(
            "SC106",
            "coroutine-fn-outside-coroutine",
            "A coroutine function is called from code known to run outside any coroutine.",
            "error",
        ),
        Rule(
            "SC107",
            "blocking-call-in-coroutine",
            "A known blocking call is reached from a coroutine function.",
        ),
    )
}


def dotted_name(node: ast.expr) -> str:
    """The dotted source name of an expression (`a.b.c`, `f().x`), "" for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        inner = dotted_name(node.func)
        if not inner:
            return ""
        parts.append(inner + "()")
    else:
        return ""
    return ".".join(reversed(parts))
