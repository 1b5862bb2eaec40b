"""Writers: text, JSON, SARIF 2.1.0 and the Graphviz DOT call graph.

Design principles:

* Pure functions from an analysis to a string; the command line decides
  where the string goes.  No writer reorders or filters findings: they
  arrive sorted and already filtered.
* Output is byte-for-byte reproducible for the same input (sorted keys,
  sorted nodes and edges, no timestamps, no absolute paths unless the user
  gave absolute paths), so that it can be compared against golden files.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from ._infer import Analysis
from ._model import RULES, Diagnostic

__all__ = ["render_dot", "render_json", "render_sarif", "render_text"]

TOOL_NAME = "stackful-check"
_EXTERNAL_LABELS = {
    "root": "(cooperative primitive)",
    "coroutine": "@coroutine_fn",
    "blocking": "@blocking_fn",
    "known-blocking": "(blocking call)",
}
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render_text(diagnostics: list[Diagnostic]) -> str:
    return "".join(diagnostic.text() + "\n" for diagnostic in diagnostics)


def render_json(diagnostics: list[Diagnostic], files: int) -> str:
    summary: dict[str, int] = {}
    for diagnostic in diagnostics:
        summary[diagnostic.code] = summary.get(diagnostic.code, 0) + 1
    document = {
        "tool": TOOL_NAME,
        "format": 1,
        "files": files,
        "diagnostics": [
            {
                "path": d.path,
                "line": d.line,
                "column": d.col,
                "code": d.code,
                "name": RULES[d.code].name,
                "message": d.message,
                "function": d.function,
            }
            for d in diagnostics
        ],
        "summary": dict(sorted(summary.items())),
    }
    return json.dumps(document, indent=2) + "\n"


def render_sarif(diagnostics: list[Diagnostic]) -> str:
    codes = sorted(RULES)
    rules = [
        {
            "id": code,
            "name": RULES[code].name,
            "shortDescription": {"text": RULES[code].summary},
            "defaultConfiguration": {"level": RULES[code].level},
        }
        for code in codes
    ]
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": codes.index(d.code),
            "level": RULES[d.code].level,
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": quote(d.path, safe="/:")},
                        "region": {"startLine": d.line, "startColumn": d.col},
                    }
                }
            ],
        }
        for d in diagnostics
    ]
    document = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL_NAME, "rules": rules}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _quote(*lines: str) -> str:
    """A DOT string literal; several *lines* are joined with DOT's ``\\n``."""
    escaped = (line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return '"' + "\\n".join(escaped) + '"'


def render_dot(analysis: Analysis, full_graph: bool = False) -> str:
    """The annotated call graph.

    Boxes are functions inferred cooperative, ellipses native ones; a
    function's annotations are printed under its name; red dashed nodes and
    edges are where inference and annotations disagree.  Dotted edges are
    references handed to something that runs the function (a coroutine, a
    thread).  Functions defined outside the analysed files appear only when
    cooperative or involved in a finding, unless *full_graph*.
    """
    program = analysis.program
    functions = program.functions
    bad_nodes = {
        d.function
        for d in analysis.diagnostics
        if d.code in ("SC101", "SC102", "SC104", "SC105")
    }
    edges: set[tuple[str, str, str]] = set()
    for fid in sorted(functions):
        function = functions[fid]
        if function.pseudo and not full_graph and not function.outside:
            continue
        for call in function.calls:
            for callee in call.targets:
                edges.add((fid, analysis.key(callee), ""))
    for ref in program.refs:
        if ref.role in ("entry", "outside") and ref.owner in functions:
            edges.add((ref.owner, ref.target, ref.via))

    bad_targets = {target for _, target in analysis.bad_edges}

    def wanted(key: str) -> bool:
        if key.startswith("ext:"):
            return (
                full_graph
                or key in analysis.cooperative
                or key in bad_targets
            )
        function = functions[key]
        if function.pseudo:
            return full_graph or bool(function.outside)
        return True

    nodes = sorted({key for edge in edges for key in edge[:2] if wanted(key)} | {
        fid for fid in functions if not functions[fid].pseudo
    })
    lines = [
        "digraph stackful {",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for key in nodes:
        attrs = ["shape=box" if key in analysis.cooperative else "shape=ellipse"]
        label = [analysis.display(key)]
        if key.startswith("ext:"):
            kind = _EXTERNAL_LABELS.get(analysis.ext_annotation.get(key, ""))
            if kind:
                label.append(kind)
        elif functions[key].decorators:
            label.append(" ".join(functions[key].decorators))
        attrs.insert(0, f"label={_quote(*label)}")
        if key in bad_nodes:
            attrs.append('color=red, style=dashed')
        lines.append(f"  {_quote(key)} [{', '.join(attrs)}];")
    shown = set(nodes)
    for source, target, via in sorted(edges):
        if source not in shown or target not in shown:
            continue
        attrs = []
        if via:
            attrs.append(f"style=dotted, label={_quote(via)}")
        if (source, target) in analysis.bad_edges:
            attrs = [a.replace("style=dotted", "style=dashed") for a in attrs] or ["style=dashed"]
            attrs.append("color=red")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {_quote(source)} -> {_quote(target)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"
