"""The core's files show its design: one choke point, no test code in the product."""

import pathlib
import re

from stackful import _core

CORE = pathlib.Path(__file__).parents[1] / "src" / "stackful" / "_core"
# The machine switch is defined in switch_<abi>.h and declared in switch.h.
SWITCH_FILES = {"switch.h", "switch_x86_64.h", "switch_aarch64.h"}


def c_sources():
    return sorted(p for p in CORE.iterdir() if p.suffix in (".c", ".h"))


def code_without_comments(path):
    text = path.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def test_only_context_c_calls_the_switch():
    callers = {p.name for p in c_sources() if p.name not in SWITCH_FILES
               and re.search(r"\bstackful_switch\s*\(", code_without_comments(p))}
    assert callers == {"context.c"}


def test_the_check_can_see_a_call_of_the_switch():
    # The pattern above finds what it must (so the test above can fail).
    assert re.search(r"\bstackful_switch\s*\(", code_without_comments(CORE / "context.c"))


def test_every_core_file_opens_with_its_principles():
    for path in c_sources():
        head = path.read_text().lstrip()
        assert head.startswith("/* " + path.name + " --"), path.name


def test_the_extension_carries_no_test_hooks():
    private = sorted(n for n in dir(_core) if n.startswith("_") and not n.startswith("__"))
    assert private == [], private
    for path in c_sources():
        assert "test" not in path.name, path.name
        assert not re.search(r"\bselftest|_test\b|\btest_", code_without_comments(path)), path.name


def test_module_c_is_init_only():
    code = code_without_comments(CORE / "module.c")
    # Definitions put the name at the start of a line: "PyMODINIT_FUNC\nPyInit__core(void)\n{".
    functions = re.findall(r"^(\w+)\s*\([^;{]*\)\s*\{", code, flags=re.M)
    assert functions == ["module_exec", "PyInit__core"], functions


def test_the_function_pattern_finds_definitions():
    code = code_without_comments(CORE / "context.c")
    assert "ctx_resume" in re.findall(r"^(\w+)\s*\([^;{]*\)\s*\{", code, flags=re.M)
