"""The ``stackful-check`` / ``python -m stackful.check`` command line.

Design principles:

* ``main(argv) -> int`` never calls ``sys.exit``: it returns the exit status
  (0 clean, 1 findings, 2 usage, configuration or parse error), so that it
  can be called in-process, by tests or by other tools.
* The report goes to stdout (or ``--output``); everything meant for the
  person at the terminal (summary, warnings, errors) goes to stderr, so the
  report can be piped into other tools untouched.
* This module only orchestrates: discovery and collection (``_collect``),
  inference (``_infer``), writers (``_output``) and fixes (``_fix``) do the
  work.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import subprocess
import sys
from pathlib import Path

from ._collect import collect
from ._discover import discover
from ._config import Config, ConfigError, find_pyproject, load_config
from ._fix import apply_fixes
from ._infer import Analysis, analyse
from ._model import RULES, Diagnostic
from ._output import render_dot, render_json, render_sarif, render_text

__all__ = ["build_parser", "main"]

PROG = "stackful-check"
_RENDERABLE = (".png", ".svg", ".pdf")


def build_parser() -> argparse.ArgumentParser:
    codes = ", ".join(f"{code} {rule.name}" for code, rule in sorted(RULES.items()))
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check @coroutine_fn / @blocking_fn annotations of stackful code "
        "by inferring which functions may suspend.",
        epilog=f"Diagnostics: {codes}. Exit status: 0 clean, 1 findings, "
        "2 usage, configuration or parse error.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to check")
    parser.add_argument(
        "--format", choices=("text", "json", "sarif"), default="text", help="report format (default: text)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument(
        "--dot",
        metavar="FILE",
        help="write the annotated call graph as Graphviz DOT to FILE "
        "(rendered when FILE ends in .png/.svg/.pdf and a 'dot' binary is on PATH)",
    )
    parser.add_argument(
        "--full-graph", action="store_true", help="with --dot, include native functions defined elsewhere"
    )
    parser.add_argument("--fix", action="store_true", help="add the missing @coroutine_fn decorators")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--config", metavar="PYPROJECT", help="read [tool.stackful.check] from this file")
    group.add_argument("--no-config", action="store_true", help="ignore pyproject.toml files")
    parser.add_argument("--exclude", action="append", default=[], metavar="PATTERN", help="exclude paths (glob)")
    parser.add_argument("--ignore", action="append", default=[], metavar="CODES", help="comma-separated codes to silence")
    parser.add_argument("--root", action="append", default=[], metavar="NAME", help="extra cooperative primitive")
    parser.add_argument("--blocking", action="append", default=[], metavar="NAME", help="extra known blocking call")
    parser.add_argument(
        "--no-external",
        action="store_true",
        help="do not read the sources of imported modules for their annotations",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    return parser


def _error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _configure(args: argparse.Namespace, paths: list[Path]) -> Config:
    if args.no_config:
        config = Config()
    elif args.config:
        pyproject = Path(args.config)
        if not pyproject.is_file():
            raise ConfigError(f"no such configuration file: {args.config}")
        config = load_config(pyproject)
    else:
        config = load_config(find_pyproject(paths[0]))
    ignore = tuple(code.strip().upper() for item in args.ignore for code in item.split(",") if code.strip())
    unknown = [code for code in ignore + config.ignore if code not in RULES]
    if unknown:
        raise ConfigError(f"unknown diagnostic code(s): {', '.join(sorted(set(unknown)))}")
    return config.extended(
        exclude=args.exclude,
        ignore=ignore,
        roots=args.root,
        blocking=args.blocking,
        external=False if args.no_external else None,
    )


def _run(files: list[Path], config: Config) -> tuple[Analysis, list[Diagnostic]]:
    program = collect(files, config)
    analysis = analyse(program, config)
    ignored = set(config.ignore)
    findings = [d for d in analysis.diagnostics if d.code not in ignored]
    return analysis, sorted(program.parse_errors + findings)


def _write_dot(text: str, target: Path) -> None:
    suffix = target.suffix.lower()
    if suffix not in _RENDERABLE:
        target.write_text(text, encoding="utf-8")
        return
    executable = shutil.which("dot")
    if executable is None:
        fallback = target.with_suffix(".dot")
        fallback.write_text(text, encoding="utf-8")
        print(
            f"{PROG}: no 'dot' binary on PATH, cannot render {target}; "
            f"wrote the DOT text to {fallback} instead",
            file=sys.stderr,
        )
        return
    subprocess.run(
        [executable, f"-T{suffix[1:]}", "-o", str(target)], input=text.encode("utf-8"), check=True
    )


def main(argv: list[str] | None = None) -> int:
    # Everything the checker allocates lives until the end of the run: the
    # cyclic garbage collector would only rescan it (seconds on big trees).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        if enabled:
            gc.enable()


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports usage errors this way
        return exc.code if isinstance(exc.code, int) else 2
    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        return _error(f"no such file or directory: {', '.join(missing)}")
    try:
        config = _configure(args, paths)
    except ConfigError as exc:
        return _error(str(exc))
    files = list(discover(paths, config))
    if not files:
        print(f"{PROG}: warning: no Python files to check", file=sys.stderr)
        return 0

    analysis, diagnostics = _run(files, config)
    if args.fix:
        result = apply_fixes(diagnostics, analysis.program.functions, config.coroutine_annotations[0])
        if result.fixed:
            print(
                f"{PROG}: added {result.fixed} @coroutine_fn decorator(s) in {result.files} file(s)",
                file=sys.stderr,
            )
            analysis, diagnostics = _run(files, config)

    if args.dot:
        try:
            _write_dot(render_dot(analysis, args.full_graph), Path(args.dot))
        except (OSError, subprocess.CalledProcessError) as exc:
            return _error(f"cannot write the graph to {args.dot}: {exc}")

    if args.format == "json":
        report = render_json(diagnostics, len(analysis.program.files))
    elif args.format == "sarif":
        report = render_sarif(diagnostics)
    else:
        report = render_text(diagnostics)
    if args.output:
        try:
            Path(args.output).write_text(report, encoding="utf-8")
        except OSError as exc:
            return _error(f"cannot write {args.output}: {exc}")
    else:
        sys.stdout.write(report)

    parse_errors = sum(1 for d in diagnostics if d.code == "SC001")
    if not args.quiet:
        count = len(diagnostics) - parse_errors
        summary = f"{PROG}: {count} finding(s) in {len(analysis.program.files)} file(s)"
        if parse_errors:
            summary += f", {parse_errors} file(s) could not be parsed"
        print(summary, file=sys.stderr)
    if parse_errors:
        return 2
    return 1 if diagnostics else 0
