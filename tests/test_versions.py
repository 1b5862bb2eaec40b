"""What differs between CPython versions: frame chains with C-stack entry frames (3.12+),
tracing and sys.monitoring (3.12+), C-stack limits (3.14), the trash can, exceptions and
contextvars. Checks that could crash the interpreter run in a fresh one."""

import contextvars
import os
import subprocess
import gc
import sys
import traceback
import weakref

import pytest

import stackful
from stackful import Coroutine, ShareStack, suspend

# Frame walking and collection while coroutines that take turns on one share stack are
# suspended: their C stacks (holding the eval loop's entry frames on 3.12+) are copied
# out and overwritten by the others. Run in a subprocess: a bug here is a crash.
WALK = r"""
import gc, sys, traceback, stackful
from stackful import Coroutine, ShareStack, suspend

def names(frame):
    out = []
    while frame is not None:
        code = frame.f_code
        assert isinstance(code.co_name, str) and code.co_filename, code
        out.append(code.co_name)
        frame = frame.f_back
    return out

def leaf(tag):
    held.append(sys._getframe())          # a frame object taken while running
    return suspend(tag)

def key_fn(x):                            # called by sorted(): C between frames
    return leaf(x) if x == 0 else x

def via_sorted(tag):
    return sorted([2, 0, 1], key=key_fn)

def via_map(tag):
    return list(map(lambda _: via_sorted(tag), [0]))[0]

def gen(tag):                             # a generator frame on the chain
    yield via_map(tag)

def body(tag):
    return next(gen(tag))

held = []
expected = ["leaf", "key_fn", "via_sorted", "<lambda>", "via_map", "gen", "body"]
for stack in (None, ShareStack(), ShareStack(256 * 1024)):
    cos = [Coroutine(body, i, stack=stack) for i in range(6)]
    for i, co in enumerate(cos):
        assert co.resume() == 0
    # Every coroutine but the last was copied out by the next one on the same stack.
    for rnd in range(20):
        gc.collect()
        for co in cos:
            assert names(co.frame) == expected, names(co.frame)
            assert [f.name for f in traceback.extract_stack(co.frame)] == expected[::-1]
        for f in held:
            assert names(f) == expected
        # Make the others own the stack in turn while frames are held.
        other = Coroutine(lambda: [suspend() for _ in range(3)], stack=stack)
        other.resume(); other.resume()
        other.close()
    for co in cos:
        assert co.resume(0) == [0, 1, 2]
    for f in held:
        # Finished frames stay walkable, with the same callers (below a finished
        # generator frame some versions keep its last caller, some don't).
        walked = names(f)
        assert walked in (expected, expected[:-1]), walked
    held.clear()
print("ok")
"""


def test_f_back_of_suspended_coroutines_with_c_between_frames(python_subprocess):
    proc = python_subprocess(WALK)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


GC_STRESS = r"""
import gc, stackful
from stackful import Coroutine, ShareStack, suspend

class Node:
    def __init__(self):
        self.me = self                    # a cycle referenced only from frames

def gen(n):
    node = Node()
    while True:
        n = yield list(map(lambda v: suspend(v), [n]))[0]

def body(i):
    g = gen(i)
    next(g)
    node = Node()
    return sorted([g.send(i), 1], key=lambda x: x if isinstance(x, int) else 0)

for stack in (None, ShareStack(128 * 1024)):
    cos = [Coroutine(body, i, stack=stack) for i in range(30)]
    for co in cos:
        co.resume()
    for _ in range(50):
        gc.collect()
        for co in cos[::7]:
            assert co.frame is not None
    for i, co in enumerate(cos):
        co.resume(i)                      # suspends again inside the generator
    gc.collect()
    del cos                               # closed by their finalizers
    for _ in range(5):
        gc.collect()
print("ok")
"""


def test_collector_while_coroutines_are_suspended_in_generators_and_c(python_subprocess):
    proc = python_subprocess(GC_STRESS)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_walking_never_shows_entry_frames_of_a_running_coroutine():
    def inner():
        return [fs.name for fs in traceback.extract_stack()]

    def body():
        out = []
        sorted([1], key=lambda _: out.append(inner()) or 0)
        return out[0]

    names = Coroutine(body).resume()
    # The coroutine's first frame has no f_back: nothing of the resumer's chain, and no
    # nameless entry or shim frames in between.
    assert names == ["body", "<lambda>", "inner"]


# ------------------------------------------------------------------------------------
# Tracing, profiling, sys.monitoring


def test_settrace_events_across_switches_stay_in_order():
    events = []

    def tracer(frame, event, arg):
        if frame.f_code.co_name in ("left", "right"):
            events.append((frame.f_code.co_name, event))
        return tracer

    def left():
        suspend()
        suspend()
        return "l"

    def right():
        suspend()
        return "r"

    a, b = Coroutine(left), Coroutine(right)
    sys.settrace(tracer)
    try:
        a.resume()
        b.resume()
        a.resume()
        assert b.resume() == "r"
        assert a.resume() == "l"
    finally:
        sys.settrace(None)
    calls = [e for e in events if e[1] in ("call", "return")]
    assert calls == [("left", "call"), ("right", "call"), ("right", "return"), ("left", "return")]
    assert ("left", "line") in events and ("right", "line") in events


def test_setprofile_sees_suspend_as_a_c_call_on_both_sides():
    seen = []

    def profiler(frame, event, arg):
        if event in ("c_call", "c_return") and getattr(arg, "__name__", "") == "suspend":
            seen.append((frame.f_code.co_name, event))

    def body():
        suspend()
        return 1

    co = Coroutine(body)
    sys.setprofile(profiler)
    try:
        co.resume()
        co.resume()
    finally:
        sys.setprofile(None)
    assert seen == [("body", "c_call"), ("body", "c_return")]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12+")
def test_sys_monitoring_events_from_inside_coroutines():
    mon = sys.monitoring
    tool = mon.PROFILER_ID
    mon.use_tool_id(tool, "stackful-test")
    events = []

    def on_start(code, offset):
        if code.co_name in ("task", "helper"):
            events.append(("start", code.co_name))

    def on_return(code, offset, value):
        if code.co_name in ("task", "helper"):
            events.append(("return", code.co_name))

    def on_line(code, line):
        if code.co_name == "task":
            events.append(("line", code.co_name))

    def helper(x):
        return suspend(x)

    def task():
        y = helper(1)
        return y + 1

    try:
        mon.register_callback(tool, mon.events.PY_START, on_start)
        mon.register_callback(tool, mon.events.PY_RETURN, on_return)
        mon.register_callback(tool, mon.events.LINE, on_line)
        mon.set_events(tool, mon.events.PY_START | mon.events.PY_RETURN | mon.events.LINE)
        co = Coroutine(task)
        assert co.resume() == 1
        events.append(("main", "between"))
        assert co.resume(5) == 6
    finally:
        mon.set_events(tool, 0)
        mon.register_callback(tool, mon.events.PY_START, None)
        mon.register_callback(tool, mon.events.PY_RETURN, None)
        mon.register_callback(tool, mon.events.LINE, None)
        mon.free_tool_id(tool)
    flow = [e for e in events if e[0] != "line"]
    assert flow == [("start", "task"), ("start", "helper"), ("main", "between"),
                    ("return", "helper"), ("return", "task")]
    assert ("line", "task") in events


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12+")
def test_monitoring_enabled_while_a_coroutine_is_suspended():
    mon = sys.monitoring
    tool = mon.PROFILER_ID
    mon.use_tool_id(tool, "stackful-test")
    started = []

    def later():
        return 2

    def task():
        suspend()
        return later()

    co = Coroutine(task)
    co.resume()
    try:
        mon.register_callback(tool, mon.events.PY_START,
                              lambda code, off: started.append(code.co_name))
        mon.set_events(tool, mon.events.PY_START)
        assert co.resume() == 2
    finally:
        mon.set_events(tool, 0)
        mon.register_callback(tool, mon.events.PY_START, None)
        mon.free_tool_id(tool)
    assert "later" in started


# ------------------------------------------------------------------------------------
# C recursion and the C stack


def _c_deep(n):
    # Each level goes through C (map) and back into the interpreter: C stack per level.
    return list(map(_c_deep, [n + 1]))[0]


@pytest.mark.skipif(sys.version_info < (3, 14), reason="3.14 checks the real C stack")
@pytest.mark.parametrize("size", [None, 256 * 1024, 64 * 1024])
def test_deep_c_recursion_in_coroutine_raises_recursion_error(size):
    # The coroutine runs with C-stack limits computed from its own stack: it gets a
    # RecursionError near the end of that stack, never a fatal overflow (and the
    # guard page is never reached).
    stack = None if size is None else ShareStack(size)
    co = Coroutine(_c_deep, 0, stack=stack)
    with pytest.raises(RecursionError):
        co.resume()
    assert co.status == "dead"
    # The main context got its own limits back: it still recurses deeper than the
    # coroutine's stack allowed (~1700 levels on the 2 MiB default stack).
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)
    try:
        assert _count_c_levels(2500) == 2500
    finally:
        sys.setrecursionlimit(old)


@pytest.mark.skipif(sys.version_info < (3, 14), reason="3.14 checks the real C stack")
def test_recursion_error_in_coroutine_is_recoverable_and_suspends_after():
    def body():
        try:
            _c_deep(0)
        except RecursionError:
            pass
        x = suspend("recovered")
        return sorted([3, 1, 2], key=lambda v: v * x)

    co = Coroutine(body, stack=ShareStack(256 * 1024))
    assert co.resume() == "recovered"
    assert co.resume(1) == [1, 2, 3]


def test_c_recursion_depth_is_per_coroutine():
    # A coroutine started deep in C recursion of its resumer still has its whole
    # budget (3.12/3.13: the counter; 3.14: the limits of its own stack).
    def body():
        return _count_c_levels(200)

    def deep_main(n):
        if n == 0:
            return Coroutine(body).resume()
        return list(map(deep_main, [n - 1]))[0]

    assert deep_main(150) == 200


def _count_c_levels(n):
    if n == 0:
        return 0
    return list(map(_count_c_levels, [n - 1]))[0] + 1


# ------------------------------------------------------------------------------------
# The trash can


class Counted:
    alive = 0

    def __init__(self, child):
        self.child = child
        Counted.alive += 1

    def __del__(self):
        Counted.alive -= 1


class SwitchInDel:
    def __init__(self, child):
        self.child = child

    def __del__(self):
        if stackful.in_coroutine():
            suspend("del")


def test_trash_can_deep_chain_with_switches_in_del():
    def body(depth):
        node = None
        for i in range(depth):
            node = (SwitchInDel if i % 5000 == 0 else Counted)(node)
        node = [node]
        for _ in range(50_000):           # nested lists: deallocated via the trash can
            node = [node]
        del node
        return "freed"

    Counted.alive = 0
    cos = [Coroutine(body, 20_000), Coroutine(body, 20_000, stack=ShareStack())]
    results = [co.resume() for co in cos]
    rounds = 0
    while any(co.status != "dead" for co in cos):
        results = [co.resume() if co.status != "dead" else r for co, r in zip(cos, results)]
        rounds += 1
        assert rounds < 100
    assert results == ["freed", "freed"]
    gc.collect()
    assert Counted.alive == 0


def test_deallocation_in_main_while_coroutine_suspended_mid_deallocation():
    def body():
        node = SwitchInDel(None)
        for _ in range(100_000):
            node = [node]
        del node
        return "done"

    co = Coroutine(body)
    assert co.resume() == "del"
    deep = None
    for _ in range(100_000):
        deep = [deep]
    del deep                              # the main context uses the trash can too
    assert co.resume() == "done"


# ------------------------------------------------------------------------------------
# Exceptions and contextvars

cv = contextvars.ContextVar("cv", default="default")


def test_exception_context_and_traceback_across_switches():
    def body():
        try:
            raise KeyError("inner")
        except KeyError:
            suspend()
            raise ValueError("outer")

    co = Coroutine(body)
    co.resume()
    try:
        raise IndexError("main")
    except IndexError:
        with pytest.raises(ValueError) as info:
            co.resume()
    exc = info.value
    # __context__ is the coroutine's own handled exception, not the resumer's.
    assert isinstance(exc.__context__, KeyError)
    names = [fs.name for fs in traceback.extract_tb(exc.__traceback__)]
    assert names[-1] == "body"


def test_throw_traceback_has_only_coroutine_frames_below_resume():
    def helper():
        suspend()

    def body():
        sorted([0], key=lambda _: helper())

    co = Coroutine(body)
    co.resume()
    with pytest.raises(ZeroDivisionError) as info:
        co.throw(ZeroDivisionError)
    names = [fs.name for fs in traceback.extract_tb(info.value.__traceback__)]
    assert names[-3:] == ["body", "<lambda>", "helper"]


def test_generator_exception_state_survives_switches():
    def gen():
        try:
            raise ValueError("g")
        except ValueError:
            yield
            yield sys.exc_info()[1]

    def body():
        g = gen()
        next(g)
        suspend()
        return str(next(g)), sys.exc_info()

    co = Coroutine(body)
    co.resume()
    try:
        raise OSError("main")
    except OSError:
        assert co.resume() == ("g", (None, None, None))
        assert isinstance(sys.exc_info()[1], OSError)


def test_contextvars_follow_transfers():
    token = cv.set("main")
    try:
        back = Coroutine(lambda: [suspend(cv.get()) for _ in range(2)])  # a copy: "main"
        assert back.resume() == "main"

        def inner():
            cv.set("inner")
            stackful.lowlevel.transfer(back)     # back's next suspend returns to outer
            return cv.get()

        def outer():
            cv.set("outer")
            co = Coroutine(inner)                # a copy of outer's context
            got = co.resume()
            return got, cv.get(), co.resume()

        assert Coroutine(outer).resume() == ("main", "outer", "inner")
        assert cv.get() == "main"
    finally:
        cv.reset(token)


def test_context_var_cache_refreshes_on_every_switch():
    def body(tag):
        cv.set(tag)
        for _ in range(3):
            assert cv.get() == tag
            suspend()
        return cv.get()

    cos = [Coroutine(body, str(i)) for i in range(5)]
    for _ in range(3):
        for co in cos:
            co.resume()
            assert cv.get() == "default"
    assert [co.resume() for co in cos] == [str(i) for i in range(5)]


def test_weakrefs_to_frames_and_coroutines_are_cleared():
    def body():
        suspend()

    co = Coroutine(body)
    co.resume()
    ref = weakref.ref(co)
    frame = co.frame
    assert frame.f_code.co_name == "body"
    del co
    gc.collect()
    assert ref() is None
    assert frame.f_back is None


def _other_pythons():
    """Interpreters of unsupported versions installed here (pyenv), if any."""
    import glob

    found = []
    for minor in (8, 9, 10):
        found += sorted(glob.glob(os.path.expanduser(
            "~/.pyenv/versions/3.%d.*/bin/python3.%d" % (minor, minor))))[:1]
    return found


@pytest.mark.parametrize("python", _other_pythons() or [None])
def test_unsupported_version_stops_at_build_time_with_a_clear_message(python):
    if python is None:
        pytest.skip("no unsupported CPython installed here")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([python, "setup.py", "--version"], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0
    assert "stackful supports CPython 3.11, 3.12, 3.13, 3.14, 3.15" in proc.stderr
