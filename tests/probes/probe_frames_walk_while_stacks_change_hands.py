"""Walking the frames of suspended coroutines while their share stack changes hands.

Hostile: twelve coroutines on one ShareStack suspend deep inside C code (map, sorted's
key, re.sub, a Python generator, a nested coroutine that relays) with frame objects taken
while they ran (sys._getframe() at the leaf) and through co.frame. Round after round,
one of them is resumed and suspends again (its bytes go out, another's come back, the
helper stack hands the running one's own stack over), and every frame of every
coroutine is walked: f_back chains, f_code, f_lineno, f_locals, f_globals,
traceback.extract_stack, inspect.getouterframes; frame.clear() is tried on each. At the
end the coroutines finish and the kept frames are walked again.
Correct: every walk gives the same function names as while the coroutine ran; clear()
raises RuntimeError (the frames are executing); after the coroutines finish, the kept
frames are still readable. Never a read of another coroutine's stack bytes.
"""
import inspect
import re
import sys
import traceback

import stackful

from _probe import check, ok

shared = stackful.ShareStack()


def leaf(tag):
    frame = sys._getframe()
    while True:
        tag = stackful.suspend((tag, frame))


def via_map(tag):
    return list(map(leaf, [tag]))[0]


def via_sorted(tag):
    return sorted([tag], key=leaf)[0]


def via_re(tag):
    return re.sub("x", lambda m: leaf(tag), "x")


def via_generator(tag):
    def gen():
        yield leaf(tag)
    return next(gen())


def via_nested(tag):
    inner = stackful.Coroutine(leaf, tag, stack=shared)    # relayed: inner -> this -> main
    got = inner.resume()
    while True:
        got = inner.resume(stackful.suspend(got))


PATHS = [leaf, via_map, via_sorted, via_re, via_generator, via_nested]


def names(frame):
    got = []
    while frame is not None:
        got.append(frame.f_code.co_name)
        frame.f_locals, frame.f_lineno, frame.f_globals
        frame = frame.f_back
    return got


def walk_all(cos, kept, expected):
    for co, frame, (want_kept, want) in zip(cos, kept, expected):
        check(names(frame) == want_kept, "kept frame: %r, expected %r" % (
            names(frame), want_kept))
        check(names(co.frame) == want, "co.frame: %r, expected %r" % (names(co.frame), want))
        check([f.name for f in traceback.extract_stack(co.frame)][::-1] == want,
              "extract_stack")
        check([i.function for i in inspect.getouterframes(co.frame)] == want,
              "getouterframes")
        try:
            co.frame.clear()
            check(False, "clear() of a suspended coroutine's frame succeeded")
        except RuntimeError:
            pass


cos, kept, expected = [], [], []
for n in range(12):
    co = stackful.Coroutine(PATHS[n % len(PATHS)], n, stack=shared)
    tag, frame = co.resume()
    check(tag == n, "first suspend")
    cos.append(co)
    kept.append(frame)
    expected.append((names(frame), names(co.frame)))
check(all(e[0][0] == "leaf" for e in expected), "leaf frames: %r" % expected)
for rounds in range(3):
    for n, co in enumerate(cos):
        tag, frame = co.resume(("round", rounds, n))
        check(tag == ("round", rounds, n) and frame is kept[n], "resumed")
        walk_all(cos, kept, expected)
for co in cos:
    co.close()
check(all(co.status == "dead" for co in cos), "all closed")
for frame in kept:
    check(names(frame)[0] == "leaf", "kept frame after the end: %r" % names(frame))
ok()
