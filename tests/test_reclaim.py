"""A suspended coroutine freed without being closed (its thread has exited, it belongs to
another thread, or it refused to finish): its frames are freed without running them, as
CPython frees a frame, and nothing that still points at them breaks (pystate_reclaim.h).

Each case runs in a fresh interpreter: getting this wrong is a use-after-free. The child
prints what it saw; each "freed" check is a weakref to an object that only the
coroutine's frames held, in a local, on the evaluation stack of its top frame (the
suspending call's arguments), or on a calling frame's stack."""

import json

import pytest

from conftest import run_python

PRELUDE = """
import gc, json, sys, threading, warnings, weakref
import stackful
from stackful import Coroutine, suspend
from stackful.lowlevel import transfer

class Token:
    pass

refs = {}
def token(name):
    t = Token()
    refs[name] = weakref.ref(t)
    return t

def in_a_thread_that_exits(make):
    box = []
    th = threading.Thread(target=lambda: box.append(make()))
    th.start()
    th.join()
    return box

# A coroutine of fn(*args), resumed once by a thread that has then exited.
def left_suspended(fn, *args):
    def make():
        co = Coroutine(fn, *args)
        co.resume()
        return co
    return in_a_thread_that_exits(make)

def report(**extra):
    gc.collect()
    out = {name: r() is None for name, r in refs.items()}
    out.update(extra)
    print(json.dumps(out))
"""


def run_case(body):
    proc = run_python(PRELUDE + body)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def test_a_dead_threads_coroutine_has_its_locals_and_stacks_freed():
    seen, _ = run_case("""
def helper(arg):
    inner = token("callee local")
    suspend(token("suspend argument"))

def body():
    local = token("local")
    values = [token("caller stack"), helper(token("callee argument"))]

box = left_suspended(body)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    box.clear()
    gc.collect()
report(warned=[str(w.message) for w in caught if w.category is ResourceWarning])
""")
    warned = seen.pop("warned")
    assert all(seen.values()), seen
    assert len(warned) == 1 and "without running their finally blocks" in warned[0]


@pytest.mark.parametrize("call", [
    "suspend(token('argument'))",
    "stackful.lowlevel.transfer(other, token('argument'))",
    "transfer(target=other, value=token('argument'))",
])
def test_every_suspending_call_leaves_no_reference_behind(call):
    seen, _ = run_case(f"""
def body(other):
    local = token("local")
    {call}

def make():
    other = Coroutine(lambda: suspend() and None)
    other.resume()
    co = Coroutine(body, other)
    co.resume()
    return co

box = in_a_thread_that_exits(make)
box.clear()
report()
""")
    assert all(seen.values()), seen


def test_a_frame_object_that_outlives_the_coroutine_keeps_working():
    seen, _ = run_case("""
kept = []
def body():
    local = token("local")
    kept.append(sys._getframe())
    try:
        raise ValueError("boom")
    except ValueError as e:
        kept.append(e.__traceback__)
    suspend(token("argument"))

box = left_suspended(body)
box.clear()
gc.collect()
frame, tb = kept
out = dict(
    name=frame.f_code.co_name,
    lineno=frame.f_lineno,
    back=frame.f_back is None,
    has_local=isinstance(frame.f_locals.get("local"), Token),
    tb_frame=tb.tb_frame is frame,
    local_alive=refs["local"]() is not None,
)
frame.clear()
del frame, tb, kept[:]
gc.collect()
report(**out)
""")
    assert seen.pop("name") == "body" and seen.pop("lineno") > 0
    assert seen.pop("back") and seen.pop("has_local") and seen.pop("tb_frame")
    assert seen.pop("local_alive")
    assert all(seen.values()), seen


def test_frames_deeper_than_the_root_chunk_are_freed_with_their_chunks():
    seen, _ = run_case("""
def deep(n):
    here = token("depth %d" % n) if n % 50 == 0 else None
    if n == 0:
        suspend(token("argument"))
    else:
        deep(n - 1)

for _ in range(3):
    left_suspended(deep, 300).clear()
report()
""")
    assert len(seen) == 8 and all(seen.values()), seen


def test_a_frame_that_called_into_c_that_called_python_again():
    seen, _ = run_case("""
def key(x):
    suspend(token("argument"))
    return x

def body():
    local = token("local")
    return sorted([token("sorted item")], key=key)

box = left_suspended(body)
box.clear()
report()
""")
    # The frame that called sorted() gets its locals freed; what its evaluation stack
    # held (the list being sorted) is leaked, as its depth was not recorded.
    assert seen["local"] and seen["argument"], seen


def test_suspended_inside_a_generator_is_leaked_with_a_warning():
    seen, _ = run_case("""
def gen():
    suspend(token("argument"))
    yield 1

def body():
    local = token("local")
    for _ in gen():
        pass

box = left_suspended(body)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    box.clear()
    gc.collect()
report(warned=[str(w.message) for w in caught if w.category is ResourceWarning])
""")
    warned = seen.pop("warned")
    assert len(warned) == 1 and "leaked" in warned[0], warned
    assert not seen["local"]


def test_another_live_threads_coroutine_freed_here():
    seen, _ = run_case("""
ready, done = threading.Event(), threading.Event()
box = []
def body():
    local = token("local")
    suspend(token("argument"))

def owner():
    co = Coroutine(body)
    co.resume()
    box.append(co)
    ready.set()
    done.wait()

th = threading.Thread(target=owner)
th.start()
ready.wait()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ResourceWarning)
    box.clear()
    gc.collect()
done.set()
th.join()
report()
""")
    assert all(seen.values()), seen


def test_a_coroutine_that_refuses_to_close_has_its_frames_freed():
    seen, _ = run_case("""
def stubborn():
    local = token("local")
    while True:
        try:
            suspend(token("argument"))
        except stackful.CoroutineExit:
            pass

co = Coroutine(stubborn)
co.resume()
sys.unraisablehook = lambda u: None
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ResourceWarning)
    del co
    gc.collect()
report()
""")
    assert seen["local"], seen


def test_finalizers_run_by_the_release_can_use_coroutines_and_collect():
    seen, _ = run_case("""
class Nasty:
    def __del__(self):
        # Runs while the freed coroutine's references are released: new coroutines on
        # the same share stacks, a collection, frames of this thread.
        c = Coroutine(lambda: suspend(1) or 2)
        assert c.resume() == 1 and c.resume() == 2
        gc.collect()
        sys._getframe().f_back

def body():
    here = Nasty()
    local = token("local")
    suspend(Nasty())

def make():
    cos = []
    for _ in range(40):
        co = Coroutine(body)
        co.resume()
        cos.append(co)
    return cos

box = in_a_thread_that_exits(make)
box.clear()
report()
""")
    assert all(seen.values()), seen


@pytest.mark.not_under_asan("ASan's quarantine keeps freed memory resident (256 MB by default)")
def test_memory_stays_flat_over_threads_that_leave_coroutines_suspended():
    seen, _ = run_case("""
import resource

def body(payload):
    suspend()

def leave_some():
    cos = []
    for _ in range(2000):
        co = Coroutine(body, bytearray(256))
        co.resume()
        cos.append(co)
    return cos

def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

warnings.simplefilter("ignore", ResourceWarning)
for _ in range(5):
    in_a_thread_that_exits(leave_some).clear()
gc.collect()
before = rss_kib()
for _ in range(20):
    in_a_thread_that_exits(leave_some).clear()
gc.collect()
report(growth_kib=rss_kib() - before)
""")
    # 40,000 coroutines of ~2.5 KB each would be ~100 MB if they were leaked.
    assert seen["growth_kib"] < 8 * 1024, seen
