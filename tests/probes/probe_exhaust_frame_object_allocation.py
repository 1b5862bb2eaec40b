"""co.frame and gi_frame when the frame object cannot be allocated.

Hostile: _testcapi.set_nomemory(0, 0) makes every memory allocation fail while co.frame
(of a suspended coroutine) and gen.gi_frame (of a suspended stackful generator) make the
frame object of the top frame.
Correct: MemoryError, as a Python generator's gi_frame raises then (or the frame, if no
allocation was needed); never None, which means "not suspended" (both are suspended).
"""
import stackful

from _probe import check, ok, skip

try:
    import _testcapi
except ImportError:
    skip("this CPython has no _testcapi (set_nomemory)")


def waits():
    stackful.suspend()


def without_memory(get):
    _testcapi.set_nomemory(0, 0)
    try:
        frame = get()
        return "None" if frame is None else frame.f_code.co_name
    except MemoryError:
        return "MemoryError"
    finally:
        _testcapi.remove_mem_hooks()


co = stackful.Coroutine(waits)
co.resume()
gen = stackful.Generator(lambda: stackful.emit())
next(gen)
got = without_memory(lambda: co.frame), without_memory(lambda: gen.gi_frame)
check(got[0] in ("MemoryError", "waits") and got[1] in ("MemoryError", "<lambda>"),
      "co.frame, gen.gi_frame without memory: %s, %s" % got)
ok()
