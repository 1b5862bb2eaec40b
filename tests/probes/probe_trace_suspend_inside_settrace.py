"""A coroutine suspends inside its sys.settrace callback.

Hostile: the thread's trace function calls suspend() on the 'call' event of a function
run in a coroutine; while the coroutine waits inside the trace function, the main
context calls another function.
Correct: the trace function sees that call too (tracing is per thread and keeps working
in every context); the coroutine then finishes normally. See _tracepause.run.
"""
import sys

import _tracepause
from _probe import ok


def tracer(frame, event, arg):
    if event == "call":
        _tracepause.called(frame.f_code.co_name)


_tracepause.run(lambda: sys.settrace(tracer), lambda: sys.settrace(None))
ok()
