"""Which files the checker reads, and the module each one is.

Design principles:

* A file named on the command line is always read; exclusions (from the
  configuration) apply only to what a directory walk finds, and hidden
  directories are never walked.
* The order is deterministic (sorted walks, first occurrence wins), so that
  two runs over the same tree report the same diagnostics in the same order.
* A module's name comes from the files on disk (the chain of ``__init__.py``
  above it), never from ``sys.path``: the checker imports nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ._config import Config

__all__ = ["discover", "display_path", "module_name"]


def discover(paths: list[Path], config: Config) -> Iterator[Path]:
    """The Python files under *paths*, sorted, without excluded ones.

    A file named explicitly is always included; exclusions apply to what a
    directory walk finds.
    """
    seen: set[Path] = set()
    for path in paths:
        if path.is_file():
            found: list[Path] = [path]
        else:
            found = sorted(_walk(path, config))
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield file


def _walk(directory: Path, config: Config) -> Iterator[Path]:
    for root, dirs, files in os.walk(directory):
        here = Path(root)
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and not config.is_excluded(here / d)
        )
        for name in files:
            if name.endswith(".py") and not config.is_excluded(here / name):
                yield here / name


def module_name(path: Path) -> tuple[str, bool]:
    """The dotted module name of *path* and whether it is a package.

    The name is found by walking up the directories holding ``__init__.py``.
    """
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts: list[str] = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        if directory.parent == directory:
            break
        directory = directory.parent
    return ".".join(parts) or path.stem, is_package


def display_path(path: Path) -> str:
    """*path* relative to the current directory when below it, POSIX style."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
        return rel.as_posix()
    except ValueError:
        return path.as_posix()
