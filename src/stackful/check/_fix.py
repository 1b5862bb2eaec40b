"""``--fix``: add the missing ``@coroutine_fn`` decorators.

Design principles:

* Only ever *add*: one decorator line right above each ``def`` reported as
  SC101 (innermost, so that it sees the plain function even under
  ``@staticmethod`` or ``@classmethod``), and at most one import line per
  file.  Nothing is removed or reformatted.
* Text edits at ``ast`` positions on the original text: every byte outside
  the inserted lines is preserved, including the encoding, a byte-order
  mark and the file's own line endings.
* Idempotent by construction: a decorated function is no longer reported,
  so a second run finds nothing to do.
* Reuse what the module already imports (``import stackful as sf`` gives
  ``@sf.coroutine_fn``); add ``from stackful import coroutine_fn`` only when
  nothing fits, after the module's leading imports.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

from ._model import Diagnostic, Function

__all__ = ["FixResult", "apply_fixes"]

_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=]")


@dataclass
class FixResult:
    fixed: int = 0
    files: int = 0
    skipped: list[str] | None = None


def apply_fixes(
    diagnostics: list[Diagnostic],
    functions: dict[str, Function],
    annotation: str,
) -> FixResult:
    """Insert ``@annotation`` above every function reported as SC101.

    *annotation* is the dotted name to spell (``stackful.coroutine_fn``).
    """
    by_path: dict[str, set[int]] = {}
    for diagnostic in diagnostics:
        function = functions.get(diagnostic.function)
        if diagnostic.code == "SC101" and function is not None and not function.pseudo:
            by_path.setdefault(function.path, set()).add(function.loc.line)
    result = FixResult(skipped=[])
    for path in sorted(by_path):
        count = _fix_file(Path(path), sorted(by_path[path]), annotation)
        if count is None:
            result.skipped.append(path)  # type: ignore[union-attr]
        elif count:
            result.fixed += count
            result.files += 1
    return result


def _fix_file(path: Path, def_lines: list[int], annotation: str) -> int | None:
    data = path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    lines = io.StringIO(text, newline="").readlines()
    tree = ast.parse(data)
    spelling = _spelling(tree, annotation)
    if spelling is None:
        return None
    decorator, import_line = spelling
    newline = _newline(lines)
    inserts: list[tuple[int, int, str]] = []
    for line in def_lines:
        source = lines[line - 1]
        indent = source[: len(source) - len(source.lstrip(" \t\f"))]
        inserts.append((line - 1, 1, f"{indent}@{decorator}{newline}"))
    if import_line:
        index = _import_position(tree, lines)
        if index > 0 and not lines[index - 1].endswith(("\n", "\r")):
            lines[index - 1] += newline
        inserts.append((index, 0, import_line + newline))
    inserts.sort()
    out: list[str] = []
    pending = iter(inserts)
    current = next(pending, None)
    for index in range(len(lines) + 1):
        while current is not None and current[0] == index:
            out.append(current[2])
            current = next(pending, None)
        if index < len(lines):
            out.append(lines[index])
    path.write_bytes("".join(out).encode(encoding))
    return len(def_lines)


def _newline(lines: list[str]) -> str:
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith("\n"):
            return "\n"
        if line.endswith("\r"):
            return "\r"
    return "\n"


def _spelling(tree: ast.Module, annotation: str) -> tuple[str, str] | None:
    """The decorator text to write and the import line to add ("" if none)."""
    module, _, attr = annotation.rpartition(".")
    bound: set[str] = set()
    from_alias = module_alias = None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and not node.level and node.module == module:
            for alias in node.names:
                if alias.name == attr:
                    from_alias = alias.asname or attr
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == module and alias.asname:
                    module_alias = alias.asname
                elif alias.asname is None and alias.name.partition(".")[0] == module.partition(".")[0]:
                    if alias.name == module or alias.name.startswith(module + "."):
                        module_alias = module_alias or module
        bound |= _bound_names(node)
    if from_alias:
        return from_alias, ""
    if module_alias:
        return f"{module_alias}.{attr}", ""
    if attr not in bound:
        return attr, f"from {module} import {attr}"
    root = module.partition(".")[0]
    if root not in bound:
        return annotation, f"import {module}"
    print(f"stackful-check: cannot add @{attr} to a module that binds {attr!r} and {root!r}", file=sys.stderr)
    return None


def _bound_names(node: ast.stmt) -> set[str]:
    names: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(node.name)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            names.add(alias.asname or alias.name.partition(".")[0])
    elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _import_position(tree: ast.Module, lines: list[str]) -> int:
    """0-based index of the line before which to insert the import."""
    position = 0
    body = tree.body
    start = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        position = body[0].end_lineno or body[0].lineno
        start = 1
    for node in body[start:]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            position = node.end_lineno or node.lineno
        else:
            break
    if position == 0:
        while position < min(2, len(lines)) and (
            lines[position].startswith("#!") or _CODING.match(lines[position])
        ):
            position += 1
    return position
