"""A coroutine suspends inside its sys.setprofile callback.

Hostile: the thread's profile function calls suspend() on the 'call' event of
marked_in_coroutine (run in a coroutine); while the coroutine waits inside the profile
function, the main context calls marked_in_main.
Correct: the profile function sees the 'call' of marked_in_main (profiling is per thread
and keeps working in every context); the coroutine then finishes normally.
"""
import sys

import stackful

from _probe import check, ok

seen = []


def profiler(frame, event, arg):
    if event == "call":
        name = frame.f_code.co_name
        seen.append(name)
        if name == "marked_in_coroutine":
            stackful.suspend("inside the profile function")


def marked_in_coroutine():
    return "coroutine done"


def marked_in_main():
    return "main done"


co = stackful.Coroutine(marked_in_coroutine)
sys.setprofile(profiler)
try:
    first = co.resume()
    in_main = marked_in_main()
    last = co.resume()
finally:
    sys.setprofile(None)
check(first == "inside the profile function", "suspended in the profiler: %r" % first)
check(in_main == "main done" and last == "coroutine done", "results")
check("marked_in_main" in seen, "the main context got no profile events: saw %r" % seen)
ok()
