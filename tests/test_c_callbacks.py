"""Suspending while C code is on the coroutine's stack: what generators can't do."""

import functools
import re

import pytest

import stackful
from stackful import Coroutine, suspend


def drive(co, send=lambda x: x):
    """Resume co to the end, answering each suspended value with send(value)."""
    out = []
    value = co.resume()
    while co.status != "dead":
        out.append(value)
        value = co.resume(send(value))
    return out, value


def test_suspend_inside_sorted_key():
    def key(x):
        return suspend(("key", x))

    co = Coroutine(lambda: sorted([3, 1, 2], key=key))
    asked, result = drive(co, send=lambda v: -v[1])
    assert sorted(asked) == [("key", 1), ("key", 2), ("key", 3)]
    assert result == [3, 2, 1]


def test_suspend_inside_map_and_builtin_consumers():
    co = Coroutine(lambda: sum(map(lambda x: suspend(x), range(5))))
    asked, result = drive(co, send=lambda v: v * 10)
    assert asked == [0, 1, 2, 3, 4] and result == 100


def test_suspend_inside_re_sub_callback():
    co = Coroutine(lambda: re.sub(r"\d+", lambda m: suspend(m.group()), "a1b22c333"))
    asked, result = drive(co, send=lambda v: "<%d>" % len(v))
    assert asked == ["1", "22", "333"]
    assert result == "a<1>b<2>c<3>"


def test_suspend_inside_init():
    class Lazy:
        def __init__(self, name):
            self.value = suspend(("init", name))

    co = Coroutine(lambda: Lazy("x").value)
    asked, result = drive(co, send=lambda v: v[1] * 3)
    assert asked == [("init", "x")] and result == "xxx"


def test_suspend_inside_eq_during_dict_lookup():
    class Key:
        def __init__(self, k):
            self.k = k

        def __hash__(self):
            return 1  # force collisions: lookups call __eq__

        def __eq__(self, other):
            return suspend(("eq", self.k, other.k))

    def lookup():
        d = {Key("a"): 1, Key("b"): 2}
        return d[Key("b")]

    co = Coroutine(lookup)
    asked, result = drive(co, send=lambda v: v[1] == v[2])
    assert result == 2
    assert ("eq", "b", "b") in asked


def test_suspend_inside_functools_reduce_and_getattr():
    class Remote:
        def __getattr__(self, name):
            return suspend(("getattr", name))

    def body():
        r = Remote()
        return functools.reduce(lambda a, b: a + b, [r.x, r.y])

    co = Coroutine(body)
    asked, result = drive(co, send=lambda v: v[1] * 2)
    assert asked == [("getattr", "x"), ("getattr", "y")]
    assert result == "xxyy"


def test_many_coroutines_each_inside_c_code_on_one_share_stack():
    stack = stackful.ShareStack()

    def job(i):
        return sorted(range(5), key=lambda x: suspend(x) * (1 if i % 2 else -1))

    cos = [Coroutine(job, i, stack=stack) for i in range(50)]
    values = [co.resume() for co in cos]
    while any(co.status != "dead" for co in cos):
        values = [co.resume(v) if co.status != "dead" else v for co, v in zip(cos, values)]
    for i, result in enumerate(values):
        assert result == (list(range(5)) if i % 2 else list(range(4, -1, -1)))


def _c_recursion(n):
    # Each level goes through C (map) and back into Python: a new C frame of the
    # interpreter per level.
    if n == 0:
        return suspend("bottom")
    return list(map(_c_recursion, [n - 1]))[0] + 1


@pytest.mark.parametrize("stack_factory", [lambda: None, stackful.ShareStack])
def test_deep_c_recursion_then_suspend(stack_factory):
    co = Coroutine(_c_recursion, 200, stack=stack_factory())
    assert co.resume() == "bottom"
    assert co.resume(0) == 200


def test_deep_c_recursion_coroutines_take_turns_on_one_stack():
    stack = stackful.ShareStack()
    a = Coroutine(_c_recursion, 150, stack=stack)
    b = Coroutine(_c_recursion, 100, stack=stack)
    assert a.resume() == "bottom" and b.resume() == "bottom"
    # b owns the stack; a's deep stack was copied out whole.
    assert a.stats.saved_bytes > 10_000 and b.stats.saved_bytes == 0
    assert a.resume(1) == 151
    assert a.stats.max_copy > b.stats.saved_bytes > 5_000  # a is dead, b copied out
    assert b.resume(2) == 102
