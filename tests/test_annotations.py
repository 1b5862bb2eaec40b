"""The runtime annotations ``@coroutine_fn`` and ``@blocking_fn``.

Enforcement (``STACKFUL_CHECK=1``) is decided when ``stackful`` is imported,
so it is tested in subprocesses that run real coroutines.
"""

from __future__ import annotations

import functools
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import stackful
from stackful import _annotations
from stackful._annotations import blocking_fn, coroutine_fn

SRC = str(Path(_annotations.__file__).resolve().parents[1])


def run_python(code: str, check_env: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("STACKFUL_CHECK", None)
    if check_env is not None:
        env["STACKFUL_CHECK"] = check_env
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=60
    )


# ------------------------------------------------------------------ zero cost


def test_public_reexports():
    assert stackful.coroutine_fn is coroutine_fn
    assert stackful.blocking_fn is blocking_fn


@pytest.mark.skipif(_annotations.ENFORCED, reason="STACKFUL_CHECK is set for this run")
def test_returns_the_function_itself_marked():
    def f(x):
        """Doc."""
        return x

    assert coroutine_fn(f) is f
    assert f.__stackful_coroutine_fn__ is True
    assert f.__name__ == "f" and f.__doc__ == "Doc."

    def g():
        return 1

    assert blocking_fn(g) is g
    assert g.__stackful_blocking_fn__ is True
    assert not hasattr(g, "__stackful_coroutine_fn__")


@pytest.mark.skipif(_annotations.ENFORCED, reason="STACKFUL_CHECK is set for this run")
def test_not_enforced_by_default():
    @coroutine_fn
    def f():
        return "ran"

    # Outside a coroutine, the unenforced annotation does not interfere.
    assert f() == "ran"


def test_methods_static_and_class_methods():
    class C:
        @coroutine_fn
        def m(self):
            return "m"

        @staticmethod
        @coroutine_fn
        def s():
            return "s"

        @classmethod
        @blocking_fn
        def c(cls):
            return cls.__name__

    assert C.m.__stackful_coroutine_fn__ and C.s.__stackful_coroutine_fn__
    assert C.c() == "C"
    assert C.__dict__["c"].__func__.__stackful_blocking_fn__


def test_callable_without_attributes_is_wrapped():
    marked = blocking_fn(math.sqrt)
    assert marked.__stackful_blocking_fn__ is True
    assert marked(9.0) == 3.0
    assert marked.__wrapped__ is math.sqrt


def test_partial_and_callable_objects():
    class Callable:
        def __call__(self):
            return 7

    obj = Callable()
    assert coroutine_fn(obj) is obj
    part = functools.partial(int, "7")
    assert blocking_fn(part) is part


@pytest.mark.parametrize("decorator", [coroutine_fn, blocking_fn])
def test_non_callable_is_a_type_error(decorator):
    with pytest.raises(TypeError, match=r"expects a function, got 'int' object 42"):
        decorator(42)


@pytest.mark.parametrize("decorator", [coroutine_fn, blocking_fn])
def test_class_is_a_type_error(decorator):
    class K:
        pass

    with pytest.raises(TypeError, match="not to the class"):
        decorator(K)


def test_conflicting_annotations_are_a_type_error():
    def f():
        pass

    with pytest.raises(TypeError, match="cannot be both @coroutine_fn and @blocking_fn"):
        coroutine_fn(blocking_fn(f))

    def g():
        pass

    with pytest.raises(TypeError, match="cannot be both @blocking_fn and @coroutine_fn"):
        blocking_fn(coroutine_fn(g))


# ------------------------------------------------------------------ enforcement


ENFORCEMENT_SCRIPT = """
    import stackful
    from stackful._annotations import ENFORCED, blocking_fn, coroutine_fn

    print("enforced", ENFORCED)

    @coroutine_fn
    def step(x):
        '''Suspends once.'''
        got = stackful.suspend(x)
        return got

    @blocking_fn
    def slow():
        return "slow ran"

    class Service:
        @staticmethod
        @coroutine_fn
        def static_step():
            return stackful.suspend("static")

        @classmethod
        @blocking_fn
        def load(cls):
            return cls.__name__

    def report(fn, *args):
        try:
            print("ok", fn(*args))
        except stackful.CoroutineError as exc:
            print("CoroutineError", exc, isinstance(exc, RuntimeError))

    # Outside any coroutine.
    report(step, 1)
    report(slow)
    report(Service.load)
    report(Service.static_step)

    # Inside a coroutine.
    co = stackful.Coroutine(step, "in")
    print("resume", co.resume(), co.resume("back"))
    co = stackful.Coroutine(lambda: report(slow))
    co.resume()
    co = stackful.Coroutine(lambda: report(Service.load))
    co.resume()
    co = stackful.Coroutine(Service.static_step)
    print("resume", co.resume())

    print("meta", step.__name__, step.__doc__, step.__wrapped__.__name__, step.__stackful_coroutine_fn__)
"""


def test_enforcement_on():
    result = run_python(ENFORCEMENT_SCRIPT, "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "enforced True",
        "CoroutineError coroutine_fn '__main__.step' called outside a coroutine True",
        "ok slow ran",
        "ok Service",
        "CoroutineError coroutine_fn '__main__.Service.static_step' called outside a coroutine True",
        "resume in back",
        "CoroutineError blocking_fn '__main__.slow' called inside a coroutine True",
        "CoroutineError blocking_fn '__main__.Service.load' called inside a coroutine True",
        "resume static",
        "meta step Suspends once. step True",
    ]


@pytest.mark.parametrize("value", [None, "0", ""])
def test_enforcement_off(value):
    result = run_python(ENFORCEMENT_SCRIPT.replace("step.__wrapped__.__name__", "step.__name__"), value)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "enforced False"
    # No wrapper: the core's own error for suspending outside a coroutine,
    # and blocking functions run anywhere.
    assert lines[1].startswith("CoroutineError") and "coroutine_fn" not in lines[1]
    assert "ok slow ran" in lines
    assert "CoroutineError blocking_fn" not in result.stdout


def test_enforcement_is_read_once_at_import():
    code = """
        import os
        os.environ["STACKFUL_CHECK"] = "1"
        import stackful._annotations as a
        os.environ["STACKFUL_CHECK"] = "0"

        @a.coroutine_fn
        def f():
            pass

        print(a.ENFORCED, hasattr(f, "__wrapped__"))
    """
    result = run_python(code, None)
    assert result.stdout.split() == ["True", "True"], result.stderr
