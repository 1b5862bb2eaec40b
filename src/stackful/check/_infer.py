"""Inference of "may suspend" and the diagnostics that follow from it.

Design principles:

* Inference trusts facts, not annotations.  A function may suspend when it is
  a cooperative primitive (a root), or when it calls something that may
  suspend.  The ``@coroutine_fn`` annotation of a function defined in the
  analysed files is *checked*, never believed, except where the checker
  cannot see all the callers or the body: the function's reference is taken
  (it may be called through it, like a C function pointer), or its body is a
  stub / abstract / Protocol declaration.  Functions defined elsewhere are
  believed (their annotation is all there is).
* One backwards breadth-first walk from the roots to a fixed point; every
  function remembers the callee that made it cooperative, so each
  diagnostic can show a shortest chain down to a root.
* Deterministic: every iteration is over sorted keys, and the diagnostics are
  sorted before they leave this module.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ._config import Config
from ._external import ExternalIndex
from ._model import CallSite, Diagnostic, Function, Program, RefSite, Target

__all__ = ["Analysis", "analyse"]


@dataclass
class Analysis:
    program: Program
    #: function id or "ext:NAME" -> next hop towards a root ("" at a root).
    cooperative: dict[str, str] = field(default_factory=dict)
    #: function id or "ext:NAME" -> next hop towards a known blocking call.
    blocking: dict[str, str] = field(default_factory=dict)
    #: ids of functions that run in coroutine context.
    context: set[str] = field(default_factory=set)
    #: ids of functions known to run outside any coroutine -> reason.
    outside: dict[str, str] = field(default_factory=dict)
    refs_by_target: dict[str, list[RefSite]] = field(default_factory=dict)
    ext_annotation: dict[str, str] = field(default_factory=dict)
    #: (caller, callee) pairs of calls that contradict an annotation.
    bad_edges: set[tuple[str, str]] = field(default_factory=set)
    #: roots among the analysed functions -> why they are roots.
    root_reason: dict[str, str] = field(default_factory=dict)
    #: analysed functions listed as known blocking calls.
    known_blocking: set[str] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def key(self, target: Target) -> str:
        return target.key if target.kind == "func" else f"ext:{target.key}"

    def display(self, key: str) -> str:
        if key.startswith("ext:"):
            return key[4:]
        return self.program.functions[key].qualname

    def chain(self, key: str, table: dict[str, str]) -> str:
        """``a -> b -> root`` following *table* from *key*."""
        names = [self.display(key)]
        seen = {key}
        while table.get(key):
            key = table[key]
            if key in seen:
                break
            seen.add(key)
            names.append(self.display(key))
        text = " -> ".join(names)
        reason = self.root_reason.get(key) if table is self.cooperative else None
        return f"{text} ({reason})" if reason else text

    def is_coroutine_fn(self, key: str) -> bool:
        """Inferred cooperative, or annotated ``@coroutine_fn``."""
        if key in self.cooperative:
            return True
        function = self.program.functions.get(key)
        return function is not None and function.coroutine_ann is not None


def analyse(program: Program, config: Config) -> Analysis:
    analysis = Analysis(program)
    functions = program.functions
    roots = set(config.roots)
    known_blocking = set(config.blocking)
    index = (
        ExternalIndex(config.coroutine_annotations, config.blocking_annotations)
        if config.external
        else None
    )

    for ref in program.refs:
        analysis.refs_by_target.setdefault(ref.target, []).append(ref)

    # External callees: what do we know of each?
    callers: dict[str, set[str]] = {}
    ext_targets: dict[str, Target] = {}
    for fid in sorted(functions):
        for call in functions[fid].calls:
            for target in call.targets:
                key = analysis.key(target)
                callers.setdefault(key, set()).add(fid)
                if target.kind == "ext":
                    previous = ext_targets.get(key)
                    ext_targets[key] = target if previous is None else Target(
                        "ext", target.key, previous.names | target.names
                    )
    for key in sorted(ext_targets):
        names = ext_targets[key].all_names()
        annotation = ""
        if names & roots:
            annotation = "root"
        elif index is not None:
            for name in sorted(names):
                annotation = index.annotation(name)
                if annotation:
                    break
        if not annotation and names & known_blocking:
            annotation = "known-blocking"
        if annotation:
            analysis.ext_annotation[key] = annotation

    # Roots, then the backwards walk.
    queue: deque[str] = deque()
    for key in sorted(analysis.ext_annotation):
        if analysis.ext_annotation[key] in ("root", "coroutine"):
            analysis.cooperative[key] = ""
            queue.append(key)
    trusted_roots: list[str] = []
    for fid in sorted(functions):
        function = functions[fid]
        if function.pseudo:
            continue
        if function.qualname in roots or fid in roots:
            analysis.root_reason[fid] = "cooperative primitive"
            analysis.cooperative[fid] = ""
            queue.append(fid)
        elif function.coroutine_ann is not None and (fid in analysis.refs_by_target or function.trusted):
            trusted_roots.append(fid)
    _propagate(queue, callers, analysis.cooperative, lambda fid: True)
    # Trusted annotations second, so that a function that really reaches a
    # primitive is explained by that chain rather than by its annotation.
    for fid in trusted_roots:
        if fid not in analysis.cooperative:
            function = functions[fid]
            why = "its reference is taken" if fid in analysis.refs_by_target else function.trusted
            analysis.root_reason[fid] = f"annotated @coroutine_fn, trusted because {why}"
            analysis.cooperative[fid] = ""
            queue.append(fid)
    _propagate(queue, callers, analysis.cooperative, lambda fid: True)

    # Where code runs.
    for fid, function in functions.items():
        if function.pseudo:
            if function.outside:
                analysis.outside[fid] = function.outside
            continue
        if fid in analysis.cooperative or function.coroutine_ann is not None:
            analysis.context.add(fid)
        if function.blocking_ann is not None and function.coroutine_ann is None:
            analysis.outside[fid] = "it is annotated @blocking_fn"
    # Thread targets get no reason of their own: a coroutine function handed
    # to a thread is reported once, where it is handed over.
    for ref in program.refs:
        if ref.role == "entry":
            analysis.context.add(ref.target)

    # Blocking: known blocking calls and blocking_fn, through native code.
    queue = deque()
    for key in sorted(analysis.ext_annotation):
        if analysis.ext_annotation[key] in ("blocking", "known-blocking"):
            analysis.blocking[key] = ""
            queue.append(key)
    for fid in sorted(functions):
        function = functions[fid]
        if function.qualname in known_blocking:
            analysis.known_blocking.add(fid)
        if function.blocking_ann is not None or fid in analysis.known_blocking:
            analysis.blocking[fid] = ""
            queue.append(fid)

    def may_carry_blocking(fid: str) -> bool:
        function = functions[fid]
        return not function.pseudo and fid not in analysis.context and function.blocking_ann is None

    _propagate(queue, callers, analysis.blocking, may_carry_blocking)

    analysis.diagnostics = _diagnose(analysis)
    return analysis


def _propagate(
    queue: deque[str],
    callers: dict[str, set[str]],
    table: dict[str, str],
    admit: object,
) -> None:
    """Backwards BFS: every admitted caller of a key in *table* joins it."""
    while queue:
        key = queue.popleft()
        for caller in sorted(callers.get(key, ())):
            if caller not in table and admit(caller):  # type: ignore[operator]
                table[caller] = key
                queue.append(caller)


def _diagnose(analysis: Analysis) -> list[Diagnostic]:
    program = analysis.program
    found: set[Diagnostic] = set()

    def add(loc_path: str, line: int, col: int, code: str, message: str, fid: str) -> None:
        found.add(Diagnostic(loc_path, line, col, code, message, fid))

    for fid in sorted(program.functions):
        function = program.functions[fid]
        name = function.qualname
        cooperative = fid in analysis.cooperative
        if not function.pseudo:
            _annotation_findings(analysis, function, cooperative, add)
        if fid in analysis.context:
            for call in function.calls:
                _context_findings(analysis, function, call, add)
        reason = analysis.outside.get(fid)
        if reason:
            for call in function.calls:
                for target in call.targets:
                    key = analysis.key(target)
                    if analysis.is_coroutine_fn(key):
                        analysis.bad_edges.add((fid, key))
                        add(
                            call.loc.path,
                            call.loc.line,
                            call.loc.col,
                            "SC106",
                            f"coroutine function '{analysis.display(key)}' called from "
                            f"'{name}', which runs outside any coroutine: {reason}",
                            fid,
                        )
    for ref in program.refs:
        if ref.role == "outside" and analysis.is_coroutine_fn(ref.target):
            analysis.bad_edges.add((ref.owner, ref.target))
            add(
                ref.loc.path,
                ref.loc.line,
                ref.loc.col,
                "SC106",
                f"coroutine function '{analysis.display(ref.target)}' handed to "
                f"{ref.via}, which runs it outside any coroutine",
                ref.owner,
            )
    return sorted(_unsuppressed(program, found))


def _annotation_findings(analysis: Analysis, function: Function, cooperative: bool, add: object) -> None:
    fid = function.id
    name = function.qualname
    loc = function.loc
    if function.coroutine_ann is not None and function.blocking_ann is not None:
        add(loc.path, loc.line, loc.col, "SC104",  # type: ignore[operator]
            f"function '{name}' is annotated both @coroutine_fn and @blocking_fn", fid)
        return
    if cooperative and function.coroutine_ann is None and function.blocking_ann is None:
        if not function.is_async:
            add(loc.path, loc.line, loc.col, "SC101",  # type: ignore[operator]
                f"function '{name}' may suspend but is not annotated @coroutine_fn: "
                f"{analysis.chain(fid, analysis.cooperative)}", fid)
    elif not cooperative and function.coroutine_ann is not None:
        ann = function.coroutine_ann
        add(ann.path, ann.line, ann.col, "SC102",  # type: ignore[operator]
            f"function '{name}' is annotated @coroutine_fn but calls nothing that may "
            "suspend and its reference is never taken", fid)
    elif cooperative and function.blocking_ann is not None:
        ann = function.blocking_ann
        add(ann.path, ann.line, ann.col, "SC105",  # type: ignore[operator]
            f"function '{name}' is annotated @blocking_fn but may suspend: "
            f"{analysis.chain(fid, analysis.cooperative)}", fid)


def _context_findings(analysis: Analysis, function: Function, call: CallSite, add: object) -> None:
    """Blocking calls made by *function*, which runs in coroutine context."""
    functions = analysis.program.functions
    name = function.qualname
    loc = call.loc
    for target in call.targets:
        key = analysis.key(target)
        callee = analysis.display(key)
        external = analysis.ext_annotation.get(key, "")
        if (target.kind == "func" and functions[key].blocking_ann is not None) or external == "blocking":
            code, message = "SC103", f"coroutine function '{name}' calls blocking_fn '{callee}'"
        elif external == "known-blocking" or key in analysis.known_blocking:
            code, message = "SC107", f"coroutine function '{name}' calls blocking '{callee}'"
        elif target.kind == "func" and key in analysis.blocking and key not in analysis.context:
            code, message = (
                "SC107",
                f"coroutine function '{name}' calls '{callee}', which blocks: "
                f"{analysis.chain(key, analysis.blocking)}",
            )
        else:
            continue
        analysis.bad_edges.add((function.id, key))
        add(loc.path, loc.line, loc.col, code, message, function.id)  # type: ignore[operator]


def _unsuppressed(program: Program, found: set[Diagnostic]) -> list[Diagnostic]:
    """Drop findings silenced by ``# stackful: ignore[CODE]`` comments.

    The comment counts on the reported line, or on the ``def`` line of the
    function the finding is about.
    """
    kept = []
    for diagnostic in found:
        table = program.suppressions.get(diagnostic.path)
        if table is not None:
            lines = {diagnostic.line}
            function = program.functions.get(diagnostic.function)
            if function is not None and function.path == diagnostic.path:
                lines.add(function.loc.line)
            if any(
                line in table and (table[line] is None or diagnostic.code in table[line])  # type: ignore[operator]
                for line in lines
            ):
                continue
        kept.append(diagnostic)
    return kept
