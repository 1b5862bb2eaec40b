"""What hostile or unlucky code does to the core: it must never crash, corrupt memory,
return a wrong result or leak without bound; what cannot work raises a typed error.

Each test reproduces a failure the core once had (in a subprocess where it crashed).
"""

import os
import re
import signal
import sys
import textwrap

import pytest

import stackful
from stackful import Coroutine, CoroutineError, ShareStack, lowlevel

TESTS = os.path.dirname(os.path.abspath(__file__))
NATIVE = ("import sys; sys.path.insert(0, %r); from nativelib import native\n"
          "native = native()\n" % TESTS)


def run(python_subprocess, code, **kwargs):
    return python_subprocess(NATIVE + textwrap.dedent(code), **kwargs)


def assert_ok(proc, *expected_lines):
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout.splitlines() == list(expected_lines), proc.stdout


# ---------------------------------------------------------------------------------
# Python code that runs between a check and the switch (exception constructors)

def test_transfer_throw_whose_constructor_finishes_the_target(python_subprocess):
    proc = run(python_subprocess, """
        import stackful
        from stackful import Coroutine, CoroutineError, lowlevel

        target = Coroutine(stackful.suspend)
        target.resume()

        class Finisher(Exception):
            def __init__(self):
                super().__init__()
                target.resume()          # runs the target to its end

        def driver():
            try:
                lowlevel.transfer(target, throw=Finisher)
            except CoroutineError as e:
                return str(e)

        print(Coroutine(driver).resume(), target.status)
        """)
    assert_ok(proc, "cannot transfer to dead coroutine dead")


def test_transfer_throw_whose_constructor_suspends_and_the_target_resumes_it(
        python_subprocess):
    proc = run(python_subprocess, """
        import stackful
        from stackful import Coroutine, CoroutineError, lowlevel

        box = {}

        class Sneaky(Exception):
            def __init__(self):
                super().__init__()
                stackful.suspend("driver paused in the constructor")

        def driver():
            try:
                lowlevel.transfer(box["target"], throw=Sneaky)
            except CoroutineError as e:
                return str(e)

        def target_body():
            stackful.suspend()
            return box["driver"].resume()    # the target resumes the paused driver

        box["target"] = Coroutine(target_body)
        box["target"].resume()
        box["driver"] = Coroutine(driver)
        print(box["driver"].resume())
        print(box["target"].resume())
        """)
    assert_ok(proc, "driver paused in the constructor",
              "cannot transfer to non-suspended coroutine")


def test_throw_whose_constructor_finishes_the_target():
    target = Coroutine(stackful.suspend)
    target.resume()

    class Finisher(Exception):
        def __init__(self):
            super().__init__()
            target.resume()

    with pytest.raises(CoroutineError, match="^cannot throw into dead coroutine$"):
        target.throw(Finisher)


def test_generator_throw_whose_constructor_finishes_the_generator():
    @stackful.generator
    def one():
        stackful.emit(1)

    gen = one()
    next(gen)

    class Finisher(Exception):
        def __init__(self, *args):
            super().__init__(*args)
            list(gen)

    with pytest.raises(Finisher):     # as a Python generator: raised at the caller
        gen.throw(Finisher)


# ---------------------------------------------------------------------------------
# A share stack serves one thread

def test_a_share_stack_used_by_another_threads_coroutines_is_refused(python_subprocess):
    proc = run(python_subprocess, """
        import sys, threading
        import stackful
        from stackful import Coroutine, CoroutineError, ShareStack

        sys.setswitchinterval(1e-5)
        shared = ShareStack()
        mine = Coroutine(stackful.suspend, stack=shared)
        mine.resume()                       # its live frames are on `shared`
        errors = []

        def other_thread():
            try:
                Coroutine(stackful.suspend, stack=shared)
            except CoroutineError as e:
                errors.append(str(e))

        t = threading.Thread(target=other_thread)
        t.start(); t.join()
        print(errors[0].split(" (")[0])
        mine.resume()                       # finished: the stack is free again
        del mine

        def reuse():
            co = Coroutine(lambda: sum(range(10)), stack=shared)
            errors.append(co.resume())

        t = threading.Thread(target=reuse)
        t.start(); t.join()
        print(errors[1])
        """)
    assert_ok(proc,
              "cannot create a coroutine on a ShareStack that coroutines of another thread use",
              "45")


def test_threads_hammering_their_own_stacks_while_switching_often(python_subprocess):
    proc = run(python_subprocess, """
        import sys, threading
        import stackful
        from stackful import Coroutine, ShareStack

        sys.setswitchinterval(1e-5)
        def worker(results):
            stack = ShareStack()
            def body(i):
                total = 0
                for k in range(200):
                    total += stackful.suspend(k) or 0
                return total + i
            cos = [Coroutine(body, i, stack=stack) for i in range(8)]
            for co in cos:
                co.resume()
            for _ in range(200):
                for co in cos:
                    co.resume(1)
            results.append(sum(co.status == "dead" for co in cos))
        results = []
        threads = [threading.Thread(target=worker, args=(results,)) for _ in range(4)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(results)
        """)
    assert_ok(proc, "[8, 8, 8, 8]")


# ---------------------------------------------------------------------------------
# Stack sizes: recursion, large frames, no guard, the minimum

RECURSION = """
    import sys, threading
    import stackful
    kind, n, limit = "{kind}", {n}, {limit}
    if limit:
        sys.setrecursionlimit(limit)
    if kind == "sorted":
        def f(n): return sorted([n - 1], key=f)[0] if n else 0
    elif kind == "map":
        def f(n): return sum(map(f, [n - 1])) if n else 0
    else:
        class A:
            def __getattr__(self, name):
                k = int(name[1:])
                return getattr(self, "a%d" % (k - 1)) if k else 0
        def f(n): return getattr(A(), "a%d" % n)

    def outcome(call):
        try:
            return str(call())
        except RecursionError:
            return "RecursionError"

    in_thread = []
    thread = threading.Thread(target=lambda: in_thread.append(outcome(lambda: f(n))))
    thread.start(); thread.join()
    print(in_thread[0])
    print(outcome(lambda: stackful.Coroutine(f, n).resume()))
"""


@pytest.mark.parametrize("kind, n, limit", [
    ("sorted", 450, 0),         # a result, where the old 2 MiB default overflowed
    ("sorted", 5000, 0),        # the default recursion limit stops it
    ("map", 4900, 5000),
    ("map", 6000, 5000),
    ("getattr", 6000, 5000),
])
def test_recursion_in_a_coroutine_on_the_default_stack_behaves_as_in_a_thread(
        python_subprocess, kind, n, limit):
    proc = run(python_subprocess, RECURSION.format(kind=kind, n=n, limit=limit))
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    in_thread, in_coroutine = proc.stdout.splitlines()
    assert in_coroutine == in_thread


def test_a_thread_that_used_coroutines_frees_its_locals_and_stacks(python_subprocess):
    # The thread's state must go with the thread: its thread-locals freed when the
    # thread ends (not at exit), and no mappings left behind by threads that ended.
    proc = run(python_subprocess, """
        import gc, threading
        import stackful

        local = threading.local()
        freed = []

        class Value:
            def __del__(self):
                freed.append(1)

        def mappings():
            with open("/proc/self/maps") as f:
                return len(f.readlines())

        def worker():
            local.value = Value()
            co = stackful.Coroutine(stackful.suspend)
            co.resume()
            co.resume()

        for i in range(200):
            if i == 10:
                gc.collect()
                before = mappings()
            t = threading.Thread(target=worker)
            t.start()
            t.join()
        gc.collect()
        print(len(freed), mappings() - before < 20)
        """)
    assert_ok(proc, "200 True")


@pytest.mark.not_under_asan("ASan's SIGSEGV handler reports the fault")
def test_a_large_frame_near_the_bottom_of_a_stack_hits_the_guard(python_subprocess):
    # The frame lands 64-128 KiB below the stack: past a one-page guard (into whatever
    # is mapped below, another stack here), inside the guard gap.
    proc = run(python_subprocess, """
        import stackful
        from stackful import Coroutine, ShareStack
        victim_first = ShareStack(1 << 20)      # mapped first: usually just below
        stack = ShareStack(1 << 20)
        def jump_the_guard():
            return native.large_frame(stack.size + (128 << 10))
        Coroutine(jump_the_guard, stack=stack).resume()
        print("not reached")
        """)
    assert proc.returncode == -signal.SIGSEGV, proc
    assert "not reached" not in proc.stdout
    assert ("stackful: stack overflow in coroutine jump_the_guard (its ShareStack has "
            "1048576 bytes); use a larger ShareStack") in proc.stderr


@pytest.mark.not_under_asan("ASan's SIGSEGV handler reports the fault")
def test_an_overflow_of_a_stack_without_guard_is_stopped_with_its_name(python_subprocess):
    proc = run(python_subprocess, """
        import stackful
        from stackful import Coroutine, ShareStack
        unguarded = ShareStack(1 << 20, guard_page=False)
        below = ShareStack(1 << 20)             # mapped next: usually just below
        def runaway():
            native.filled_frame(unguarded.size + 4096)   # through the far end
            stackful.suspend()
            print("not reached: suspended after the overflow")
        Coroutine(runaway, stack=unguarded).resume()
        print("not reached")
        """)
    assert "not reached" not in proc.stdout, proc
    assert proc.returncode in (-signal.SIGABRT, -signal.SIGSEGV), proc
    # Caught at the next switch (canary) when the memory below is mapped, or by the
    # fault handler when it is not: either way named, never silent.
    assert ("stackful: fatal: coroutine runaway overflowed its ShareStack, which has no "
            "guard page" in proc.stderr
            or "stackful: stack overflow in coroutine runaway (its ShareStack has 1048576 "
               "bytes and no guard page)" in proc.stderr), proc.stderr


def test_the_smallest_stack_runs_ordinary_python_code(python_subprocess):
    proc = run(python_subprocess, """
        import stackful
        from stackful import Coroutine, ShareStack
        def ordinary():
            import json, re, decimal, fractions     # first imports run here
            print("printing works")
            data = json.loads(json.dumps({"a": [1, 2, {"b": None}]}))
            word = re.sub(r"(\\w+)", lambda m: m.group(1).upper(), "hi there")
            return data["a"][2], word, str(decimal.Decimal(1) / 7)[:5]
        print(Coroutine(ordinary, stack=ShareStack(4096)).resume())
        """)
    assert_ok(proc, "printing works", "({'b': None}, 'HI THERE', '0.142')")


# ---------------------------------------------------------------------------------
# Finishing cannot fail

OOM_AT_FINISH = """
    import resource, stackful
    from stackful import Coroutine, ShareStack

    def vm_size():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    shared = ShareStack()
    LIMIT_BEFORE_SUSPEND = {before}

    def deep_then_suspend():
        # ~2 MiB of C stack (C recursion through sorted's key), then suspend there.
        def f(n):
            if n:
                return sorted([n - 1], key=f)[0]
            if LIMIT_BEFORE_SUSPEND:
                resource.setrlimit(resource.RLIMIT_AS, (vm_size() + (1 << 20), hard))
            try:
                stackful.suspend()
            except MemoryError:
                resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
                print("suspend raised MemoryError")
                raise
            return 0
        f(450)

    deep = Coroutine(deep_then_suspend, stack=shared)

    def finisher():
        try:
            deep.resume()        # takes the stack from its resumer (displaced)
        except MemoryError:
            return "finisher saw it"
        # Memory runs out now: finishing must still get back to the resumer, whose
        # stack the suspended coroutine holds.
        resource.setrlimit(resource.RLIMIT_AS, (vm_size() + (1 << 20), hard))
        return "finished"

    def resumer():
        return Coroutine(finisher).resume()

    result = Coroutine(resumer, stack=shared).resume()
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    print(result, deep.status)
"""


@pytest.mark.not_under_asan("ASan's shadow memory does not fit under RLIMIT_AS")
@pytest.mark.needs_rlimit_as
def test_out_of_memory_when_a_coroutine_finishes_is_not_fatal(python_subprocess):
    proc = run(python_subprocess, OOM_AT_FINISH.format(before=False))
    assert_ok(proc, "finished suspended")


@pytest.mark.not_under_asan("ASan's shadow memory does not fit under RLIMIT_AS")
@pytest.mark.needs_rlimit_as
def test_out_of_memory_is_a_memory_error_at_the_suspend_that_reserves(python_subprocess):
    proc = run(python_subprocess, OOM_AT_FINISH.format(before=True))
    assert_ok(proc, "suspend raised MemoryError", "finisher saw it dead")


# ---------------------------------------------------------------------------------
# The collector sees everything a coroutine holds

class Node:
    pass


@pytest.mark.parametrize("by_keyword", [False, True])
def test_cycle_through_a_coroutines_arguments_is_collected(by_keyword):
    import gc
    import weakref

    log = []

    def body(node):
        try:
            stackful.suspend()
        finally:
            log.append("finally")

    node = Node()
    co = Coroutine(body, node=node) if by_keyword else Coroutine(body, node)
    node.co = co
    co.resume()
    alive = weakref.ref(node)
    del node, co
    gc.collect()
    assert log == ["finally"] and alive() is None


def test_cycles_through_arguments_do_not_accumulate():
    import gc

    gc.collect()
    before = len(gc.get_objects())
    for _ in range(2000):
        node = Node()
        node.co = Coroutine(lambda n, *, k: stackful.suspend(), node, k=node)
        node.co.resume()
    del node
    gc.collect()
    assert len(gc.get_objects()) - before < 100


def test_an_unstarted_coroutine_cleared_by_the_collector_is_dead():
    # What the collector does to a cycle: tp_clear, called here directly.
    import ctypes

    co = Coroutine(print, "x")
    tp_clear_offset = 24 * ctypes.sizeof(ctypes.c_void_p)   # PyTypeObject.tp_clear
    tp_clear = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object)(   # holds the GIL
        ctypes.c_void_p.from_address(id(Coroutine) + tp_clear_offset).value)
    assert tp_clear(co) == 0
    assert co.status == "dead"
    with pytest.raises(CoroutineError, match="^cannot resume dead coroutine$"):
        co.resume()


# ---------------------------------------------------------------------------------
# The thread's state and the fault handler

@pytest.mark.not_under_asan("ASan's shadow memory does not fit under RLIMIT_AS")
@pytest.mark.needs_rlimit_as
def test_failing_to_set_up_a_thread_leaks_nothing(python_subprocess):
    proc = run(python_subprocess, """
        import resource, tracemalloc
        import stackful

        def vm_size():
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmSize:"):
                        return int(line.split()[1]) * 1024

        tracemalloc.start()
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        failures = 0
        for i in range(300):
            if i == 10:
                before = tracemalloc.get_traced_memory()[0]
            # Room for small allocations, not for the thread's helper stack.
            resource.setrlimit(resource.RLIMIT_AS, (vm_size() + (32 << 10), hard))
            try:
                stackful.Coroutine(print)     # the thread's first: its setup fails
            except MemoryError:
                failures += 1
            finally:
                resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        grown = tracemalloc.get_traced_memory()[0] - before
        print(failures, grown < 20_000)
        print(stackful.Coroutine(sum, [1, 2]).resume())
        """)
    assert_ok(proc, "300 True", "3")


@pytest.mark.not_under_asan("ASan's SIGSEGV handler reports the fault")
def test_the_fault_handler_passes_other_faults_on_and_stays_installed(python_subprocess):
    proc = run(python_subprocess, """
        page = native.install_repairing_handler()   # someone else's, installed first
        import stackful
        from stackful import Coroutine, ShareStack
        for _ in range(3):                          # faults that are not ours
            native.write_byte(page)
            native.protect_again(page)
        print("repaired three faults")
        def runaway():
            return native.native_recursion(10**9)
        Coroutine(runaway, stack=ShareStack(1 << 20)).resume()
        """)
    assert proc.stdout == "repaired three faults\n", proc
    assert proc.returncode == -signal.SIGSEGV, proc
    assert "stackful: stack overflow in coroutine runaway" in proc.stderr, proc.stderr


# ---------------------------------------------------------------------------------
# Per-thread interpreter state that code relies on while suspended

def test_suspending_inside_a_collector_finalizer_is_refused_and_collection_goes_on():
    import gc

    refused = []

    class SuspendsInDel:
        def __del__(self):
            try:
                stackful.suspend("from __del__")
            except CoroutineError as e:
                refused.append(str(e))

    def body():
        obj = SuspendsInDel()
        obj.cycle = obj
        del obj
        return gc.collect()

    co = Coroutine(body)
    assert co.resume() >= 1 and co.status == "dead"
    assert refused == ["cannot suspend inside a garbage collection (in a __del__ or weakref "
                       "callback that the collector called): the collector would stop "
                       "until the coroutine is resumed; do the work outside the finalizer"]
    cycle = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1          # the collector still runs


def test_a_coroutine_resumed_by_a_collector_finalizer_may_suspend_back():
    import gc

    seen = []
    inner = Coroutine(lambda: seen.append(stackful.suspend("inner suspended")))

    class ResumesInDel:
        def __del__(self):
            seen.append(inner.resume())      # inner suspends back to us: allowed

    obj = ResumesInDel()
    obj.cycle = obj
    del obj
    gc.collect()
    assert seen == ["inner suspended"] and inner.status == "suspended"
    inner.resume("done")
    assert seen == ["inner suspended", "done"]


def test_a_gc_callback_that_suspends_is_refused():
    import gc

    refused = []

    def callback(phase, info):
        if stackful.in_coroutine():
            try:
                stackful.suspend()
            except CoroutineError:
                refused.append(phase)

    gc.callbacks.append(callback)
    try:
        Coroutine(gc.collect).resume()
    finally:
        gc.callbacks.remove(callback)
    assert refused == ["start", "stop"]


@pytest.mark.parametrize("install", [sys.settrace, sys.setprofile],
                         ids=["settrace", "setprofile"])
def test_suspending_in_a_trace_or_profile_function_does_not_silence_the_thread(install):
    seen = []

    def callback(frame, event, arg):
        if event == "call":
            if frame.f_code.co_name == "watched_in_coroutine":
                stackful.suspend("suspended in the callback")
            seen.append(frame.f_code.co_name)
        return None

    def watched_in_coroutine():
        return 1

    def watched_in_main():
        return 2

    def body():
        install(callback)
        try:
            watched_in_coroutine()
        finally:
            install(None)

    co = Coroutine(body)
    try:
        assert co.resume() == "suspended in the callback"
        install(callback)
        watched_in_main()
        install(None)
        assert "watched_in_main" in seen
        co.resume()                     # back inside the callback, which returns
        assert co.status == "dead"
    finally:
        install(None)


def test_a_coroutine_resumed_from_inside_a_tracer_is_not_traced_like_a_generator():
    seen = []

    def quiet():
        stackful.suspend()

    inner = Coroutine(quiet)

    def tracer(frame, event, arg):
        seen.append(frame.f_code.co_name)
        if frame.f_code.co_name == "trigger":
            inner.resume()                  # runs inside the tracer
        return None

    def trigger():
        pass

    sys.settrace(tracer)
    try:
        trigger()
    finally:
        sys.settrace(None)
    assert "quiet" not in seen and "trigger" in seen
    inner.resume()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12+")
def test_suspending_in_a_monitoring_callback_does_not_silence_the_thread():
    mon = sys.monitoring
    tool = mon.PROFILER_ID
    seen = []

    def on_start(code, offset):
        if code.co_name == "monitored_in_coroutine":
            stackful.suspend("suspended in the callback")
        seen.append(code.co_name)

    def monitored_in_coroutine():
        pass

    def monitored_in_main():
        pass

    mon.use_tool_id(tool, "stackful-test")
    try:
        mon.register_callback(tool, mon.events.PY_START, on_start)
        mon.set_events(tool, mon.events.PY_START)
        co = Coroutine(monitored_in_coroutine)
        assert co.resume() == "suspended in the callback"
        monitored_in_main()
        assert "monitored_in_main" in seen
        co.resume()
        assert co.status == "dead"
    finally:
        mon.set_events(tool, 0)
        mon.register_callback(tool, mon.events.PY_START, None)
        mon.free_tool_id(tool)


def test_repr_recursion_state_is_per_coroutine():
    class PausesOnce:
        paused = False

        def __repr__(self):
            if not PausesOnce.paused:
                PausesOnce.paused = True
                return "P(%s)" % stackful.suspend("paused inside repr")
            return "P"

    items = [1, PausesOnce()]
    first = Coroutine(repr, items)
    assert first.resume() == "paused inside repr"
    # The first coroutine is suspended inside repr(items): nobody else's repr is.
    assert Coroutine(lambda: repr([0, items])).resume() == "[0, [1, P]]"
    assert repr([0, items]) == "[0, [1, P]]"
    assert first.resume("x") == "[1, P(x)]"
    # Real recursion is still caught, in a coroutine as in the main context.
    items.append(items)
    assert Coroutine(repr, items).resume() == "[1, P, [...]]"
    assert repr(items) == "[1, P, [...]]"


def test_many_coroutines_suspended_inside_repr_each_finish_their_own():
    class Pauses:
        def __repr__(self):
            return stackful.suspend()

    lists = [[Pauses()] for _ in range(50)]
    cos = [Coroutine(repr, lst) for lst in lists]
    for co in cos:
        co.resume()
    for i, co in enumerate(reversed(cos)):
        assert co.resume(str(i)) == "[%d]" % i


# ---------------------------------------------------------------------------------
# Subinterpreters, exception types, C code that swallows exceptions

@pytest.mark.parametrize("main_imports_first", [False, True])
def test_subinterpreters_are_refused_at_import(python_subprocess, main_imports_first):
    pytest.importorskip("_testcapi")
    proc = run(python_subprocess, """
        import _testcapi
        if %r:
            import stackful
        _testcapi.run_in_subinterp('''
        try:
            import stackful
            print("imported")
        except ImportError as e:
            print("refused:", e)
        ''')
        import stackful
        print(stackful.Coroutine(sum, [1, 2]).resume())
        """ % main_imports_first)
    assert_ok(proc, "refused: stackful does not support subinterpreters: import it in the "
                    "main interpreter only", "3")


class NotAnException(Exception):
    def __new__(cls, *args):
        return 42


def test_throwing_a_class_whose_new_returns_a_non_exception_is_a_type_error():
    co = Coroutine(stackful.suspend)
    co.resume()
    message = "should have returned an instance of BaseException, not int"
    with pytest.raises(TypeError, match=message):
        co.throw(NotAnException)
    with pytest.raises(TypeError, match=message):
        lowlevel.transfer(co, throw=NotAnException)
    assert co.status == "suspended"          # nothing was delivered
    co.resume()


def test_generator_throw_with_a_raising_instancecheck_raises_that():
    class Meta(type):
        def __instancecheck__(cls, instance):
            raise KeyError("from __instancecheck__")

    class Odd(Exception, metaclass=Meta):
        pass

    @stackful.generator
    def one():
        stackful.emit(1)

    gen = one()
    next(gen)
    with pytest.raises(KeyError, match="from __instancecheck__"):
        gen.throw(Odd, "value")
    with pytest.raises(TypeError, match="not int"):
        gen.throw(NotAnException, "value")
    assert list(gen) == []


@pytest.mark.parametrize("builtin", [globals, locals, vars, dir])
def test_builtins_that_need_a_calling_frame_say_so(builtin):
    # Called with no Python frame at all, these fail with an internal SystemError on
    # 3.11-3.13 (3.14 falls back to __main__'s namespace): stackful says why instead.
    for run_it in (lambda: Coroutine(builtin).resume(),
                   lambda: list(stackful.Generator(builtin))):
        try:
            run_it()
        except CoroutineError as e:
            assert "found no calling Python frame" in str(e)
            assert isinstance(e.__cause__, SystemError)
        else:
            assert sys.version_info >= (3, 14)
    # Called from a Python function, they see that function's frame, as anywhere.
    assert Coroutine(lambda: builtin()).resume() is not None


def test_a_c_function_raising_system_error_itself_is_left_alone():
    def raises():
        raise SystemError("its own")

    with pytest.raises(SystemError, match="its own"):
        Coroutine(map(lambda f: f(), [raises]).__next__).resume()


def test_close_unwinds_code_whose_c_caller_swallows_the_exit(python_subprocess):
    # ctypes prints an exception raised in a callback and carries on calling.
    proc = run(python_subprocess, """
        import ctypes, stackful
        from stackful import Coroutine
        libc = ctypes.CDLL(None)
        COMPARE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                                   ctypes.POINTER(ctypes.c_int))
        log = []
        def compare(a, b):
            stackful.suspend("comparing")
            return a[0] - b[0]
        def sort_with_a_suspending_key():
            values = (ctypes.c_int * 8)(5, 3, 8, 1, 9, 2, 7, 4)
            try:
                libc.qsort(values, 8, ctypes.sizeof(ctypes.c_int), COMPARE(compare))
                log.append("qsort returned")
                stackful.suspend("after qsort")      # a plain suspension: the exit again
            finally:
                log.append("finally ran")
        co = Coroutine(sort_with_a_suspending_key)
        print(co.resume())
        co.close()
        print(co.status, log)
        """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["comparing",
                                        "dead ['qsort returned', 'finally ran']"]
    assert re.search(r"Exception ignored (on|while) calling ctypes callback function",
                     proc.stderr), proc.stderr


def test_close_unwinds_code_whose_c_caller_converts_the_exit():
    # sqlite3 turns a callback's exception into OperationalError.
    import sqlite3

    log = []

    def suspending_function(x):
        stackful.suspend("inside the SQL function")
        return x

    def query():
        db = sqlite3.connect(":memory:")
        db.create_function("pause", 1, suspending_function)
        try:
            return db.execute("select pause(1)").fetchall()
        finally:
            log.append("finally ran")
            db.close()

    co = Coroutine(query)
    assert co.resume() == "inside the SQL function"
    with pytest.raises(sqlite3.OperationalError):
        co.close()
    assert co.status == "dead" and log == ["finally ran"]


def test_a_coroutine_that_keeps_refusing_to_close_is_reported_after_a_bound():
    refusals = []

    def stubborn():
        while True:
            try:
                stackful.suspend()
            except stackful.CoroutineExit:
                refusals.append(1)

    co = Coroutine(stubborn)
    co.resume()
    with pytest.raises(RuntimeError, match="ignored CoroutineExit"):
        co.close()
    assert co.status == "suspended" and 1 < len(refusals) <= 1001
    with pytest.raises(ValueError):          # what it does not catch ends it
        co.throw(ValueError)
    assert co.status == "dead"


def test_a_switch_that_would_copy_the_collectors_frames_off_their_stack_is_refused():
    import gc

    stack = ShareStack()
    outcome = []
    sharer = Coroutine(stackful.suspend, stack=stack)

    class ResumesInDel:
        def __del__(self):
            try:
                sharer.resume()
            except CoroutineError as e:
                outcome.append(str(e))

    def collects():
        sharer.resume()                   # suspended, its bytes taken off by us below
        obj = ResumesInDel()
        obj.cycle = obj
        del obj
        gc.collect()

    Coroutine(collects, stack=stack).resume()
    assert outcome and outcome[0].startswith(
        "cannot switch to a coroutine that shares its ShareStack with the code running "
        "the garbage collector")
    sharer.resume()                       # afterwards it can
    assert sharer.status == "dead"
