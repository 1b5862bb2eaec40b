"""The tutorials in examples/ run, and print what examples/expected/ says they print.

Each example asserts the facts it demonstrates, so a non-zero exit status means a
claim of the tutorial no longer holds. Its stdout must match its golden file
examples/expected/<name>.txt exactly. Numbers that depend on the build (bytes of C
stack) are printed to stderr on lines marked "[this build]" and not compared;
anything else on stderr -- a warning, an "Exception ignored in" -- fails the test.
The examples run in development mode (-X dev), so that a ResourceWarning about a
leaked coroutine is shown rather than hidden.

After a deliberate change, regenerate the golden files with

    python tests/test_examples.py --update

and read the diff before committing it: the golden files are the tutorials' output
as the reader sees it.
"""

import ast
import mmap
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import ASAN_BUILD

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXPECTED = EXAMPLES / "expected"
SCRIPTS = sorted(EXAMPLES.glob("[0-9][0-9]_*.py"))
BUILD_NOTE = "[this build]"
# Their output shows ShareStack sizes, which are rounded up to whole pages: the
# golden files assume 4 KiB pages.
PAGE_DEPENDENT = {"02_share_stacks"}


def golden(script):
    return EXPECTED / (script.stem + ".txt")


def run(script):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-X", "dev", str(script)],
        capture_output=True, encoding="utf-8", env=env, cwd=ROOT, timeout=120,
    )


def unexpected_stderr(stderr):
    return [line for line in stderr.splitlines() if BUILD_NOTE not in line]


def test_examples_exist():
    assert [s.stem for s in SCRIPTS] == [
        "01_synopsis", "02_share_stacks", "03_statistics", "04_errors", "05_round_robin",
        "06_echo_server", "07_crawler", "08_pipeline", "09_reuseport", "10_asyncio_bridge",
        "11_greenlet_api", "12_push_to_pull",
    ]
    # Every golden file belongs to an example.
    assert sorted(p.stem for p in EXPECTED.glob("*.txt")) == [s.stem for s in SCRIPTS]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.stem)
def test_example_is_self_contained(script):
    # A docstring first, and nothing imported from outside the standard library.
    tree = ast.parse(script.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{script.name} must open with a docstring"
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported - {"stackful"} <= sys.stdlib_module_names, imported


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.stem)
def test_example_output(script):
    if ASAN_BUILD and script.stem == "04_errors":
        pytest.skip("AddressSanitizer build: its SIGSEGV handler reports 04's overflow")
    proc = run(script)
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stderr}"
    assert unexpected_stderr(proc.stderr) == [], proc.stderr
    if script.stem in PAGE_DEPENDENT and mmap.PAGESIZE != 4096:
        pytest.skip(f"the golden file assumes 4 KiB pages, not {mmap.PAGESIZE}")
    assert proc.stdout == golden(script).read_text(encoding="utf-8")


def update():
    """Rewrite the golden files from the examples' current output."""
    EXPECTED.mkdir(exist_ok=True)
    for script in SCRIPTS:
        proc = run(script)
        if proc.returncode != 0 or unexpected_stderr(proc.stderr):
            sys.exit(f"{script.name} failed, golden file not written:\n{proc.stderr}")
        golden(script).write_text(proc.stdout, encoding="utf-8")
        print("wrote", golden(script).relative_to(ROOT))


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_examples.py --update  (or run it with pytest)")
    update()
