"""A coroutine suspends inside its sys.setprofile callback.

Hostile: the thread's profile function calls suspend() on the 'call' event of a function
run in a coroutine; while the coroutine waits inside the profile function, the main
context calls another function.
Correct: the profile function sees that call too (profiling is per thread and keeps
working in every context); the coroutine then finishes normally. See _tracepause.run.
"""
import sys

import _tracepause
from _probe import ok


def profiler(frame, event, arg):
    if event == "call":
        _tracepause.called(frame.f_code.co_name)


_tracepause.run(lambda: sys.setprofile(profiler), lambda: sys.setprofile(None))
ok()
