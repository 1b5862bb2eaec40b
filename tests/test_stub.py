"""The type stub of the C core (src/stackful/_core.pyi) says what the runtime has.

The stub is for type checkers (the package is marked py.typed); a name it lacks is an
error in every user's type check, and a name it has that the module lacks is a lie.
So: the same public names at module level and in every class, both ways; the keyword
names it declares are the ones the runtime accepts; the status literal is exactly the
four states; and, where mypy is installed (the test extra has it), mypy's stubtest
compares every signature with the runtime's and mypy --strict accepts typed use of the
API and flags misuse."""

import ast
import contextvars
import inspect
import pathlib
import subprocess
import sys

import pytest

import stackful
from stackful import _core

STUB = pathlib.Path(_core.__file__).with_name("_core.pyi")
if not STUB.exists():                      # an editable install: the stub is in src/
    STUB = pathlib.Path(__file__).parents[1] / "src" / "stackful" / "_core.pyi"


def public(names):
    return {n for n in names if not n.startswith("_")}


def stub_tree():
    return ast.parse(STUB.read_text(), filename=str(STUB))


def stub_module_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def stub_class_members(cls_node):
    names = set()
    for node in cls_node.body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return public(names)


def test_module_level_names_match():
    assert public(stub_module_names(stub_tree())) == public(dir(_core))


@pytest.mark.parametrize("cls_name", ["Coroutine", "Generator", "ShareStack",
                                      "CoroutineStats"])
def test_class_members_match(cls_name):
    node = next(n for n in stub_tree().body
                if isinstance(n, ast.ClassDef) and n.name == cls_name)
    runtime = public(vars(getattr(_core, cls_name)))
    assert stub_class_members(node) == runtime


def test_status_literal_is_the_four_states():
    status = _stub_status()
    assert set(status) == {"suspended", "running", "normal", "dead"}
    seen = set()

    def body():
        seen.add(co.status)
        stackful.suspend()

    co = stackful.Coroutine(body)
    seen.add(co.status)
    co.resume()
    seen.add(co.status)
    co.resume()
    seen.add(co.status)
    assert seen <= set(status)


def _stub_status():
    for node in stub_tree().body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "_Status":
            return [elt.value for elt in node.value.slice.elts]
    raise AssertionError("no _Status alias in the stub")


def test_declared_keywords_are_accepted():
    """Keyword parameters in the stub are the runtime's names."""
    stack = _core.ShareStack(size=0, guard_page=False)
    assert stack.guard_page is False
    co = _core.Coroutine(lambda: _core.suspend("x"), stack=stack,
                         context=contextvars.copy_context())
    assert co.resume() == "x"
    assert _core.transfer(target=co, value=None) is None
    assert co.status == "dead"
    co = _core.Coroutine(_core.suspend)
    co.resume()
    with pytest.raises(KeyError):
        _core.transfer(co, throw=KeyError)


def test_methods_have_true_signatures():
    """inspect.signature() of the C methods includes self (a bound method drops it),
    as stubtest and IDEs read it."""
    assert str(inspect.signature(stackful.Coroutine.resume)) == "(self, value=None, /)"
    assert str(inspect.signature(stackful.Coroutine(print).resume)) == "(value=None, /)"
    assert str(inspect.signature(stackful.Generator.throw)) == \
        "(self, typ, val=None, tb=None, /)"
    assert str(inspect.signature(stackful.ShareStack)) == "(size=0, *, guard_page=True)"


def test_stubtest_finds_the_stub_and_the_runtime_consistent():
    pytest.importorskip("mypy")
    proc = subprocess.run([sys.executable, "-m", "mypy.stubtest", "stackful._core"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


TYPED_USE = """
import contextvars
import stackful
from stackful.lowlevel import pool_info, switch_count, transfer


def work(n: int) -> str:
    stackful.suspend(n)
    return "done"


co = stackful.Coroutine(work, 3, stack=stackful.ShareStack(1 << 16),
                        context=contextvars.copy_context())
first = co.resume()
status: str = co.status
copied: int = co.stats.bytes_out + co.stats.copies_in
size: int = co.stack.size
current: stackful.Coroutine | None = stackful.current()
inside: bool = stackful.in_coroutine()


@stackful.generator
def gen(n: int) -> None:
    for i in range(n):
        stackful.emit(i)


total = sum(gen(3))
sent = gen(2).send(None)                 # the decorator returns a Generator factory
running: bool = stackful.Generator(work, 2).gi_running
n: int = switch_count()
info: dict[str, int] = pool_info()
transfer(co, throw=ValueError)
"""

MISUSE = """
import stackful
co = stackful.Coroutine(print)
co.status = "dead"
stackful.ShareStack(size="big")
x: int = co.stack
stackful.lowlevel.transfer(co, throw=3)


@stackful.generator
def gen(n: int) -> None:
    stackful.emit(n)


gen("three")
"""


def test_mypy_strict_accepts_typed_use_and_flags_misuse(tmp_path):
    api = pytest.importorskip("mypy.api")
    (tmp_path / "typed_use.py").write_text(TYPED_USE)
    (tmp_path / "misuse.py").write_text(MISUSE)
    flags = ["--no-incremental", "--cache-dir", str(tmp_path / "cache")]
    out, err, status = api.run([*flags, "--strict", str(tmp_path / "typed_use.py")])
    assert status == 0, out + err
    out, err, status = api.run([*flags, str(tmp_path / "misuse.py")])
    assert status == 1
    assert 'Property "status" defined in "Coroutine" is read-only' in out
    assert 'Argument "size" to "ShareStack" has incompatible type "str"' in out
    assert 'variable has type "int"' in out
    assert 'Argument "throw" to "transfer" has incompatible type "int"' in out
    assert 'Argument 1 to "gen" has incompatible type "str"; expected "int"' in out


def test_the_package_itself_passes_mypy_strict(tmp_path):
    """The package (the benchmarks included) is typed strictly, so that the types users
    see through py.typed are the ones its code keeps. pyproject.toml's [tool.mypy] lets
    the optional, untyped or absent, imports of the benchmarks in."""
    api = pytest.importorskip("mypy.api")
    config = pathlib.Path(__file__).parents[1] / "pyproject.toml"
    out, err, status = api.run(["--strict", "--no-incremental", "--cache-dir",
                                str(tmp_path / "cache"), "--config-file", str(config),
                                "-p", "stackful"])
    assert status == 0, out + err
