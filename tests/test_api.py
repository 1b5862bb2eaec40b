"""The public API: creation, resume/suspend, statuses, errors, throw, close, frames."""

import gc
import re
import sys
import threading
import traceback
import types

import pytest

import stackful
from stackful import Coroutine, CoroutineError, CoroutineExit, ShareStack, suspend


def test_public_namespace_is_exactly_the_documented_api():
    # The tools (stackful.check, stackful.bench) are subpackages imported on demand:
    # they appear as attributes once imported, but are not part of the API namespace.
    # stackful.socket and stackful.ssl are modules imported on demand too (the runtime's
    # cooperative I/O; their names are checked by test_runtime_exports.py), and so is
    # stackful.io, stackful.aio and stackful.compat (test_io_exports.py, test_aio_exports.py,
    # test_compat_greenlet.py).
    tools = {"check", "bench", "socket", "ssl", "io", "aio", "compat"}
    public = {name for name in dir(stackful) if not name.startswith("_")} - tools
    assert public == set(stackful.__all__)
    assert set(stackful.__all__) == {
        "Coroutine", "CoroutineError", "CoroutineExit", "CoroutineStats", "ShareStack",
        "current", "in_coroutine", "suspend", "lowlevel", "coroutine_fn", "blocking_fn",
        "generator", "emit", "Generator",
        # the runtime (stackful.runtime)
        "runtime", "run", "spawn", "Task", "TaskGroup", "Cancelled", "CancelScope",
        "timeout", "move_on_after", "sleep", "clock", "current_task", "wait_readable",
        "wait_writable", "to_thread", "Portal", "Lock", "Event", "Condition", "Semaphore",
        "BoundedSemaphore", "Queue", "QueueClosed", "RWLock", "tasks", "dump_tasks",
    }
    lowlevel_public = {n for n in dir(stackful.lowlevel) if not n.startswith("_")}
    assert lowlevel_public == set(stackful.lowlevel.__all__)
    assert set(stackful.lowlevel.__all__) == {"transfer", "switch_count", "pool_info",
                                              "finish_to", "current_context",
                                              "set_current_context"}


def test_exception_hierarchy():
    assert issubclass(CoroutineError, RuntimeError)
    assert issubclass(CoroutineExit, BaseException)
    assert not issubclass(CoroutineExit, Exception)


def test_resume_returns_suspended_values_then_the_return_value():
    def walk(items):
        received = []
        for item in items:
            received.append(suspend(item))
        return received

    co = Coroutine(walk, [1, 2, 3])
    assert co.status == "suspended"
    assert co.resume() == 1
    assert co.resume("a") == 2
    assert co.resume("b") == 3
    assert co.resume("c") == ["a", "b", "c"]
    assert co.status == "dead"


def test_args_and_kwargs_are_passed_and_stack_context_are_not():
    def f(*args, **kwargs):
        return args, kwargs

    co = Coroutine(f, 1, 2, x=3, stack=None, context=None)
    assert co.resume() == ((1, 2), {"x": 3})


def test_suspend_without_value_gives_none_and_resume_without_value_sends_none():
    def f():
        return suspend()

    co = Coroutine(f)
    assert co.resume() is None
    assert co.resume() is None


def test_suspend_from_deep_helpers():
    def helper(depth):
        if depth == 0:
            return suspend("deep")
        return helper(depth - 1)

    co = Coroutine(helper, 50)
    assert co.resume() == "deep"
    assert co.resume(42) == 42


def test_first_resume_must_pass_none():
    co = Coroutine(lambda: None)
    with pytest.raises(TypeError, match="just-started"):
        co.resume(1)
    assert co.status == "suspended"
    assert co.resume() is None


def test_resume_dead_coroutine():
    co = Coroutine(lambda: 5)
    assert co.resume() == 5
    with pytest.raises(CoroutineError, match="^cannot resume dead coroutine$"):
        co.resume()


def test_resume_running_coroutine():
    def f():
        stackful.current().resume()

    with pytest.raises(CoroutineError, match="^cannot resume non-suspended coroutine$"):
        Coroutine(f).resume()


def test_resume_normal_coroutine():
    outer = None

    def inner():
        assert outer.status == "normal"
        outer.resume()

    def outer_fn():
        Coroutine(inner).resume()

    outer = Coroutine(outer_fn)
    with pytest.raises(CoroutineError, match="^cannot resume non-suspended coroutine$"):
        outer.resume()
    assert outer.status == "dead"


def test_suspend_outside_a_coroutine():
    with pytest.raises(CoroutineError, match="^cannot suspend outside a coroutine$"):
        suspend()
    with pytest.raises(CoroutineError, match="^cannot suspend outside a coroutine$"):
        suspend(1)


def test_resume_from_another_thread():
    co = Coroutine(suspend)
    co.resume()
    errors = []

    def other():
        try:
            co.resume()
        except CoroutineError as e:
            errors.append(str(e))
        try:
            co.throw(ValueError)
        except CoroutineError as e:
            errors.append(str(e))

    th = threading.Thread(target=other)
    th.start()
    th.join()
    assert errors == ["cannot resume a coroutine of another thread",
                      "cannot throw into a coroutine of another thread"]
    assert co.status == "suspended"
    co.close()


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (lambda: Coroutine(), TypeError, "missing required argument 'fn'"),
        (lambda: Coroutine(42), TypeError, "must be callable, not int"),
        (lambda: Coroutine(print, stack=42), TypeError, "'stack' must be a ShareStack or None"),
        (lambda: Coroutine(print, context={}), TypeError, "must be a contextvars.Context"),
        (lambda: Coroutine(print).resume(1, 2), TypeError, "at most 1 argument"),
        (lambda: Coroutine(print).throw(42), TypeError, "deriving from BaseException"),
        (lambda: suspend(1, 2), TypeError, "at most 1 argument"),
        (lambda: ShareStack(-1), ValueError, "must be >= 0"),
        (lambda: ShareStack("big"), TypeError, "must be an int"),
        (lambda: ShareStack(2**70), ValueError, "too large"),
        (lambda: ShareStack(2**48), MemoryError, "cannot map a stack"),
    ],
)
def test_bad_arguments(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


def test_exception_escaping_propagates_and_kills():
    def f():
        suspend()
        raise KeyError("boom")

    co = Coroutine(f)
    co.resume()
    with pytest.raises(KeyError, match="boom") as info:
        co.resume()
    assert co.status == "dead"
    names = [entry.name for entry in traceback.extract_tb(info.value.__traceback__)]
    assert "f" in names


def test_base_exceptions_propagate_too():
    def f():
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        Coroutine(f).resume()


def test_throw_raises_at_the_suspension_point():
    def f():
        try:
            suspend(1)
        except ValueError as e:
            return ("caught", str(e))

    co = Coroutine(f)
    co.resume()
    assert co.throw(ValueError("x")) == ("caught", "x")
    assert co.status == "dead"


def test_throw_class_is_instantiated_and_can_suspend_again():
    def f():
        while True:
            try:
                suspend("waiting")
            except LookupError as e:
                suspend(type(e).__name__)

    co = Coroutine(f)
    co.resume()
    assert co.throw(KeyError) == "KeyError"
    assert co.resume() == "waiting"
    co.close()


def test_throw_into_unstarted_coroutine_raises_here_and_kills_it():
    ran = []
    co = Coroutine(lambda: ran.append(1))
    with pytest.raises(ValueError):
        co.throw(ValueError)
    assert co.status == "dead" and ran == []


def test_throw_uncaught_propagates():
    co = Coroutine(suspend)
    co.resume()
    with pytest.raises(ZeroDivisionError):
        co.throw(ZeroDivisionError())
    assert co.status == "dead"


def test_throw_into_dead_coroutine():
    co = Coroutine(lambda: None)
    co.resume()
    with pytest.raises(CoroutineError, match="^cannot throw into dead coroutine$"):
        co.throw(ValueError)


def test_close_runs_finally_blocks():
    log = []

    def f():
        try:
            suspend()
        finally:
            log.append("finally")

    co = Coroutine(f)
    co.resume()
    assert co.close() is None
    assert log == ["finally"] and co.status == "dead"
    assert co.close() is None  # closing twice is harmless


def test_close_sees_coroutine_exit():
    seen = []

    def f():
        try:
            suspend()
        except CoroutineExit as e:
            seen.append(type(e))
            raise

    co = Coroutine(f)
    co.resume()
    co.close()
    assert seen == [CoroutineExit]


def test_close_unstarted_just_marks_dead():
    ran = []
    co = Coroutine(lambda: ran.append(1))
    co.close()
    assert co.status == "dead" and ran == []
    with pytest.raises(CoroutineError, match="dead"):
        co.resume()


def test_close_ignored_raises_runtime_error():
    def stubborn():
        while True:
            try:
                suspend()
            except CoroutineExit:
                pass

    co = Coroutine(stubborn)
    co.resume()
    with pytest.raises(RuntimeError, match="ignored CoroutineExit"):
        co.close()
    assert co.status == "suspended"
    with pytest.raises(KeyError):  # it can still be killed another way
        co.throw(KeyError)


def test_close_that_finishes_normally_after_catching():
    def f():
        try:
            suspend()
        except CoroutineExit:
            return "cleaned"

    co = Coroutine(f)
    co.resume()
    assert co.close() is None
    assert co.status == "dead"


def test_close_propagates_other_exceptions():
    def f():
        try:
            suspend()
        finally:
            raise ValueError("in finally")

    co = Coroutine(f)
    co.resume()
    with pytest.raises(ValueError, match="in finally"):
        co.close()


def test_close_running_coroutine_is_an_error():
    def f():
        stackful.current().close()

    with pytest.raises(CoroutineError, match="cannot close non-suspended coroutine"):
        Coroutine(f).resume()


def test_statuses_through_a_nested_resume():
    seen = {}

    def inner(outer):
        seen["inner"] = stackful.current().status
        seen["outer"] = outer.status
        suspend()

    def outer_fn():
        me = stackful.current()
        inner_co = Coroutine(inner, me)
        inner_co.resume()
        seen["inner_after"] = inner_co.status
        inner_co.close()
        return inner_co.status

    co = Coroutine(outer_fn)
    assert co.resume() == "dead"
    assert seen == {"inner": "running", "outer": "normal", "inner_after": "suspended"}


def test_status_is_a_read_only_interned_str():
    """co.status is a member the interpreter can read without a call (a scheduler
    tests it at every turn); it can't be assigned, and it is always one of the four
    interned strings, so `is` comparisons with a literal hold too."""
    co = Coroutine(suspend)
    with pytest.raises(AttributeError):
        co.status = "dead"
    with pytest.raises(AttributeError):
        del co.status
    seen = [co.status]
    co.resume()
    seen.append(co.status)
    co.resume()
    seen.append(co.status)
    assert seen == ["suspended", "suspended", "dead"]
    assert all(type(s) is str for s in seen)
    assert seen[-1] is sys.intern("dead")


def test_current_and_in_coroutine():
    assert stackful.current() is None
    assert stackful.in_coroutine() is False
    box = []

    def f():
        box.append((stackful.current(), stackful.in_coroutine()))

    co = Coroutine(f)
    co.resume()
    assert box == [(co, True)]


def test_frame_of_suspended_coroutine():
    def level2():
        suspend()

    def level1():
        level2()
        return "end"

    co = Coroutine(level1)
    assert co.frame is None  # unstarted
    co.resume()
    frame = co.frame
    assert isinstance(frame, types.FrameType)
    assert frame.f_code.co_name == "level2"
    assert frame.f_back.f_code.co_name == "level1"
    assert frame.f_back.f_back is None
    names = [entry.name for entry in traceback.extract_stack(co.frame)]
    assert names == ["level1", "level2"]
    assert co.resume() == "end"
    assert co.frame is None  # dead
    # The frame object outlives the coroutine safely.
    assert frame.f_code.co_name == "level2"
    assert frame.f_lineno > 0
    traceback.extract_stack(frame)


def test_frame_is_none_while_running():
    def f():
        return stackful.current().frame

    assert Coroutine(f).resume() is None


def test_frame_locals_of_suspended_coroutine():
    def f(x):
        y = x * 2
        suspend()
        return y

    co = Coroutine(f, 21)
    co.resume()
    assert co.frame.f_locals == {"x": 21, "y": 42}
    assert co.resume() == 42


def test_frame_walk_with_c_code_between_frames():
    def inner(_):
        suspend()
        return 1

    def outer():
        return sorted([3, 1], key=inner)

    co = Coroutine(outer)
    co.resume()
    names = []
    frame = co.frame
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    assert names == ["inner", "outer"]
    while co.status != "dead":
        co.resume()


def test_frame_clear_on_suspended_coroutine_is_refused():
    co = Coroutine(suspend)

    def f():
        suspend()

    co = Coroutine(f)
    co.resume()
    with pytest.raises(RuntimeError):
        co.frame.clear()
    co.close()


def test_attributes_are_read_only():
    co = Coroutine(print)
    for name in ("status", "frame", "stats", "function", "stack"):
        with pytest.raises(AttributeError):
            setattr(co, name, None)
    with pytest.raises(AttributeError):
        co.stats.copies_out = 5
    assert co.function is print
    assert isinstance(co.stack, ShareStack)


def test_repr():
    def named():
        pass

    co = Coroutine(named)
    assert re.match(r"<stackful.Coroutine .*named suspended at 0x[0-9a-f]+>", repr(co))
    co.resume()
    assert "dead" in repr(co)
    assert "ShareStack size=65536" in repr(ShareStack(1))


def test_share_stack_sizes():
    import mmap

    page = mmap.PAGESIZE
    # The default is a thread's stack (at least 8 MiB, the Linux default).
    assert ShareStack().size == stackful._core.DEFAULT_STACK_SIZE >= 8 * 1024 * 1024
    assert ShareStack(0).size == stackful._core.DEFAULT_STACK_SIZE
    minimum = stackful._core.MIN_STACK_SIZE
    assert minimum == 64 * 1024
    assert ShareStack(1).size == minimum
    assert ShareStack(4096).size == minimum
    assert ShareStack(minimum + 1).size == minimum + page
    assert ShareStack(100_000).size % page == 0 and ShareStack(100_000).size >= 100_000
    assert ShareStack(100_000).size - 100_000 < page
    assert ShareStack(guard_page=False).guard_page is False
    assert ShareStack().guard_page is True
    with pytest.raises(TypeError):
        ShareStack(1, True)  # guard_page is keyword-only


def test_default_stacks_are_dealt_round_robin_per_thread():
    n = stackful._core.DEFAULT_STACKS
    cos = [Coroutine(print) for _ in range(2 * n)]
    mine = {co.stack for co in cos}
    assert len(mine) == n == 16
    assert all(cos[i].stack is cos[i + n].stack for i in range(n))
    assert all(s.size == stackful._core.DEFAULT_STACK_SIZE and s.guard_page for s in mine)
    other = []
    th = threading.Thread(target=lambda: other.extend(Coroutine(print).stack for _ in range(n)))
    th.start()
    th.join()
    assert not mine & set(other)


def test_up_to_16_default_coroutines_never_copy():
    def ping():
        while True:
            suspend()

    cos = [Coroutine(ping) for _ in range(stackful._core.DEFAULT_STACKS)]
    for _ in range(3):
        for co in cos:
            co.resume()
    assert all(co.stats.copies_out == co.stats.copies_in == 0 for co in cos)
    for co in cos:
        co.close()


def test_subclass():
    class Task(Coroutine):
        def __init__(self, fn, *args, **kwargs):
            self.name = fn.__name__

    def job():
        suspend(1)
        return 2

    t = Task(job)
    assert t.name == "job"
    assert t.resume() == 1 and t.resume() == 2
    del t
    gc.collect()


def test_weakref_to_coroutine():
    import weakref

    co = Coroutine(print)
    ref = weakref.ref(co)
    assert ref() is co
    del co
    assert ref() is None


def test_stats_count_share_stack_copies():
    stack = ShareStack()

    def task():
        for _ in range(3):
            suspend()

    alone = Coroutine(task, stack=ShareStack())
    for _ in range(4):
        alone.resume()
    assert alone.stats.copies_out == alone.stats.copies_in == 0

    a, b = Coroutine(task, stack=stack), Coroutine(task, stack=stack)
    a.resume()
    b.resume()  # a's bytes go out
    a.resume()  # b's out, a's in
    sa, sb = a.stats, b.stats
    assert sa.copies_out == 1 and sa.copies_in == 1
    assert sb.copies_out == 1 and sb.copies_in == 0
    assert sa.bytes_out > 0 and sa.max_copy >= sa.bytes_out
    assert sb.save_buffer_size >= sb.saved_bytes > 0
    # A first save buffer is exact, to malloc's 16 bytes: it is the memory cost of every
    # coroutine suspended on a share stack.
    assert sb.save_buffer_size % 16 == 0 and sb.save_buffer_size - sb.saved_bytes < 16
    assert stack.owner_changes == 3
    for co in (a, b):
        co.close()
