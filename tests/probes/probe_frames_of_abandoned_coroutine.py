"""Frame objects of a coroutine that was freed without being closed (its frames freed).

Hostile: coroutines on a shared ShareStack, suspended deep in C code (map, sorted's key)
with a frame object of their innermost frame kept, refuse to be closed (they catch
CoroutineExit and suspend again), and are dropped: stackful frees them and their frames,
the kept frame objects taking copies (pystate_reclaim.h). Then other coroutines run on the same share stack (overwriting the bytes the
dropped ones had there) and the kept frames are walked (f_back to the end, f_code,
f_lineno, f_locals, traceback.extract_stack) before and after.
Correct: the walks never read freed or reused memory (no crash, and under ASan no
report), and they give the same function names both times, starting at the innermost
frame. Dropping reports the refused close as an unraisable RuntimeError, and a
ResourceWarning (documented).
"""
import gc
import sys
import traceback
import warnings

import stackful

from _probe import check, ok, unraisables

shared = stackful.ShareStack()
warnings.simplefilter("ignore", ResourceWarning)


def stubborn(tag):
    frame = sys._getframe()
    while True:
        try:
            stackful.suspend((tag, frame))
        except stackful.CoroutineExit:
            pass


def via_map(tag):
    return list(map(stubborn, [tag]))[0]


def via_sorted(tag):
    return sorted([tag], key=stubborn)[0]


def names(frame):
    got = []
    while frame is not None:
        got.append(frame.f_code.co_name)
        frame.f_lineno, frame.f_locals
        frame = frame.f_back
    return got


kept, expected = [], []
with unraisables() as seen:
    for n in range(6):
        co = stackful.Coroutine((stubborn, via_map, via_sorted)[n % 3], n, stack=shared)
        tag, frame = co.resume()
        kept.append(frame)
        expected.append(names(frame))
        del co                       # close refused: freed, its frames too
    gc.collect()
check(len(seen) == 6 and all(s.startswith("RuntimeError") for s in seen),
      "unraisables: %r" % seen)
check([names(f) for f in kept] == expected, "after the drop: %r, expected %r" % (
    [names(f) for f in kept], expected))


def deep(n):
    return stackful.suspend(n) if n == 0 else list(map(deep, [n - 1]))[0]


others = [stackful.Coroutine(deep, 50, stack=shared) for _ in range(4)]
for co in others:
    co.resume()
for co in others:
    co.resume(None)
check([names(f) for f in kept] == expected, "after the share stack was reused: %r" % (
    [names(f) for f in kept],))
for frame in kept:
    traceback.extract_stack(frame)
check(all(e[0] == "stubborn" for e in expected), "innermost frames: %r" % expected)
ok()
