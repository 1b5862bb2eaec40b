"""CPython per-coroutine state: exceptions, contextvars, recursion, tracing."""

import contextvars
import sys

import pytest

import stackful
from stackful import Coroutine, suspend

var = contextvars.ContextVar("var", default="unset")


def test_exc_info_is_per_coroutine():
    seen = []

    def handler(name):
        try:
            raise ValueError(name)
        except ValueError:
            suspend()
            seen.append((name, str(sys.exc_info()[1])))
        seen.append((name, sys.exc_info()))

    a, b = Coroutine(handler, "a"), Coroutine(handler, "b")
    a.resume()
    assert sys.exc_info() == (None, None, None)
    b.resume()
    try:
        raise KeyError("main")
    except KeyError:
        a.resume()
        assert str(sys.exc_info()[1]) == "'main'"
    b.resume()
    assert seen == [("a", "a"), ("a", (None, None, None)), ("b", "b"), ("b", (None, None, None))]


def test_new_coroutine_starts_without_exception_being_handled():
    def f():
        return sys.exc_info()

    try:
        raise RuntimeError
    except RuntimeError:
        assert Coroutine(f).resume() == (None, None, None)


def test_bare_raise_reraises_the_coroutines_own_exception():
    def f():
        try:
            raise ValueError("own")
        except ValueError:
            suspend()
            raise

    co = Coroutine(f)
    co.resume()
    try:
        raise KeyError("other")
    except KeyError:
        with pytest.raises(ValueError, match="own"):
            co.resume()


def test_generator_inside_coroutine_keeps_exception_chain():
    def gen():
        try:
            raise ValueError("gen")
        except ValueError:
            yield sys.exc_info()[1]
            yield sys.exc_info()[1]

    def f():
        g = gen()
        first = next(g)
        suspend()
        return str(first), str(next(g))

    co = Coroutine(f)
    co.resume()
    assert co.resume() == ("gen", "gen")


def test_contextvars_default_to_a_copy_of_the_creators_context():
    var.set("creator")

    def f():
        before = var.get()
        var.set("inside")
        suspend(before)
        return var.get()

    co = Coroutine(f)
    var.set("changed after creation")
    assert co.resume() == "creator"
    assert var.get() == "changed after creation"
    assert co.resume() == "inside"


def test_contextvars_isolated_between_coroutines():
    def f(name):
        var.set(name)
        suspend()
        return var.get()

    cos = [Coroutine(f, str(i)) for i in range(20)]
    for co in cos:
        co.resume()
    assert [co.resume() for co in cos] == [str(i) for i in range(20)]


def test_explicit_context():
    ctx = contextvars.Context()
    ctx.run(var.set, "in ctx")
    co = Coroutine(var.get, context=ctx)
    assert co.resume() == "in ctx"

    def setter():
        var.set("written")

    Coroutine(setter, context=ctx).resume()
    assert ctx[var] == "written"


def test_context_run_inside_coroutine_across_suspend():
    other = contextvars.copy_context()

    def f():
        def inner():
            var.set("other")
            suspend()
            return var.get()

        result = other.run(inner)
        return result, var.get()

    var.set("outer")
    co = Coroutine(f)
    co.resume()
    assert var.get() == "outer"
    assert co.resume() == ("other", "outer")


def test_recursion_limit_applies_inside_coroutines():
    def recurse(n):
        return recurse(n + 1)

    with pytest.raises(RecursionError):
        Coroutine(recurse, 0).resume()


def test_recursion_depth_is_per_coroutine():
    def depth():
        frame, n = sys._getframe(), 0
        while frame is not None:
            frame, n = frame.f_back, n + 1
        return n

    def nested(n):
        if n:
            return nested(n - 1)
        suspend(depth())
        return depth()

    co = Coroutine(nested, 100)
    # 101 frames of nested() plus depth() itself: none of the resumer's frames.
    assert co.resume() == 102
    assert co.resume() == 102


def test_coroutine_has_its_own_recursion_budget():
    def recurse(n):
        return recurse(n - 1) if n else "ok"

    def main_side(n):
        if n:
            return main_side(n - 1)
        # Here the main context is ~150 frames deep; the coroutine starts at 0.
        return Coroutine(recurse, 250).resume()

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(300)
    try:
        assert main_side(150) == "ok"
        with pytest.raises(RecursionError):
            Coroutine(recurse, 400).resume()
    finally:
        sys.setrecursionlimit(old)


def test_deep_recursion_then_suspend_500():
    def recurse(n):
        if n == 0:
            return suspend("bottom")
        return recurse(n - 1) + 1

    co = Coroutine(recurse, 500)
    assert co.resume() == "bottom"
    assert len(list(__import__("traceback").walk_stack(co.frame))) == 501
    assert co.resume(0) == 500


def test_settrace_sees_frames_inside_coroutines():
    events = []

    def tracer(frame, event, arg):
        if frame.f_code.co_name in ("body", "helper"):
            events.append((frame.f_code.co_name, event))
        return tracer

    def helper():
        return suspend()

    def body():
        helper()
        return 1

    co = Coroutine(body)
    sys.settrace(tracer)
    try:
        co.resume()
        co.resume()
    finally:
        sys.settrace(None)
    assert ("body", "call") in events
    assert ("helper", "call") in events
    assert ("helper", "return") in events and ("body", "return") in events
    assert [e for e in events if e[1] == "line"]


def test_settrace_enabled_while_coroutine_suspended():
    # As in a thread, frames already running are not traced line by line, but the
    # coroutine must notice the thread's tracing when it resumes: its calls are traced.
    events = []

    def tracer(frame, event, arg):
        if frame.f_code.co_name == "called_after":
            events.append(event)
        return tracer

    def called_after():
        return 1

    def body():
        suspend()
        return called_after()

    co = Coroutine(body)
    co.resume()
    sys.settrace(tracer)
    try:
        co.resume()
    finally:
        sys.settrace(None)
    assert events == ["call", "line", "return"]


def test_settrace_disabled_inside_coroutine_stops_tracing_in_main():
    events = []

    def tracer(frame, event, arg):
        events.append(frame.f_code.co_name)
        return tracer

    def body():
        sys.settrace(None)
        suspend()

    def after():
        return 1

    sys.settrace(tracer)
    co = Coroutine(body)
    co.resume()
    events.clear()
    after()
    sys.settrace(None)
    assert "after" not in events
    co.close()


def test_setprofile_sees_coroutine_calls():
    calls = []

    def profiler(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_name)

    def inner():
        suspend()

    def body():
        inner()

    co = Coroutine(body)
    sys.setprofile(profiler)
    try:
        co.resume()
        co.resume()
    finally:
        sys.setprofile(None)
    assert "body" in calls and "inner" in calls


def test_coverage_sees_lines_inside_coroutines(tmp_path):
    coverage = pytest.importorskip("coverage")
    module = tmp_path / "covered_mod.py"
    module.write_text(
        "import stackful\n"
        "def helper():\n"
        "    x = stackful.suspend(1)\n"
        "    return x + 1\n"
        "def body():\n"
        "    y = helper()\n"
        "    return y\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        cov = coverage.Coverage(data_file=None, include=[str(module)])
        cov.start()
        try:
            import covered_mod

            co = Coroutine(covered_mod.body)
            co.resume()
            assert co.resume(5) == 6
        finally:
            cov.stop()
        _, statements, _, missing, _ = cov.analysis2(str(module))
        assert missing == []
        assert set(statements) == {1, 2, 3, 4, 5, 6, 7}
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("covered_mod", None)


def test_trashcan_deallocating_deep_structure_inside_coroutine():
    def body():
        nested = []
        for _ in range(200_000):
            nested = [nested]
        suspend("built")
        del nested        # deep deallocation goes through the trash can
        suspend("freed")
        return "done"

    cos = [Coroutine(body) for _ in range(3)]
    assert [c.resume() for c in cos] == ["built"] * 3
    assert [c.resume() for c in cos] == ["freed"] * 3
    assert [c.resume() for c in cos] == ["done"] * 3


class SwitchingDel:
    """Suspends from __del__: a switch in the middle of a deallocation."""

    log = []

    def __del__(self):
        if stackful.in_coroutine():
            SwitchingDel.log.append(suspend("in __del__"))


def test_switch_during_deallocation():
    def body():
        items = [SwitchingDel() for _ in range(3)]
        del items
        return "after"

    co = Coroutine(body)
    assert co.resume() == "in __del__"
    assert co.resume(1) == "in __del__"
    assert co.resume(2) == "in __del__"
    assert co.resume(3) == "after"
    assert SwitchingDel.log == [1, 2, 3]
