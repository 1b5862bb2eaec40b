"""A coroutine that suspends inside a tracing/profiling/monitoring callback, and the check
that the main context still gets events meanwhile (probe_trace_suspend_inside_*.py)."""
import stackful

from _probe import check

seen = []


def called(name):
    """What each probe's callback does on a function's start event."""
    seen.append(name)
    if name == "marked_in_coroutine":
        stackful.suspend("inside the callback")


def marked_in_coroutine():
    return "coroutine done"


def marked_in_main():
    return "main done"


def run(start, stop):
    """start() installs the callback, stop() removes it. The coroutine runs
    marked_in_coroutine, whose start event suspends it inside the callback; meanwhile
    the main context calls marked_in_main.

    Correct: the callback sees the start of marked_in_main (the events are per thread and
    keep coming in every context); the coroutine then finishes normally."""
    co = stackful.Coroutine(marked_in_coroutine)
    start()
    try:
        first = co.resume()
        in_main = marked_in_main()
        last = co.resume()
    finally:
        stop()
    check(first == "inside the callback", "suspended in the callback: %r" % (first,))
    check(in_main == "main done" and last == "coroutine done", "results")
    check("marked_in_main" in seen, "the main context got no events: saw %r" % seen)
