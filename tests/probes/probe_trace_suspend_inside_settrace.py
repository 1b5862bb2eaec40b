"""A coroutine suspends inside its sys.settrace callback.

Hostile: the thread's trace function calls suspend() when it sees a 'call' event of the
function marked_in_coroutine (run in a coroutine); while that coroutine is suspended
inside the trace function, the main context calls marked_in_main.
Correct: tracing is per thread and keeps working in every context: the trace function
sees the 'call' of marked_in_main (the main context gets its events while the coroutine
waits inside the callback); after the coroutine is resumed it finishes normally.
"""
import sys

import stackful

from _probe import check, ok

seen = []


def tracer(frame, event, arg):
    if event == "call":
        name = frame.f_code.co_name
        seen.append(name)
        if name == "marked_in_coroutine":
            stackful.suspend("inside the trace function")
    return None


def marked_in_coroutine():
    return "coroutine done"


def marked_in_main():
    return "main done"


def body():
    return marked_in_coroutine()


co = stackful.Coroutine(body)
sys.settrace(tracer)
try:
    first = co.resume()
    in_main = marked_in_main()
    last = co.resume()
finally:
    sys.settrace(None)
check(first == "inside the trace function", "suspended in the trace function: %r" % first)
check(in_main == "main done" and last == "coroutine done", "results")
check("marked_in_main" in seen, "the main context got no trace events: saw %r" % seen)
ok()
