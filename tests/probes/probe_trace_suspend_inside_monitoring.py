"""A coroutine suspends inside a sys.monitoring callback (3.12+).

Hostile: a PY_START callback (sys.monitoring, tool id PROFILER_ID) calls suspend() when
marked_in_coroutine starts in a coroutine; while it waits inside the callback, the main
context calls marked_in_main.
Correct: the callback sees the start of marked_in_main (monitoring keeps delivering events
in every context); the coroutine then finishes normally.
"""
import sys

import stackful

from _probe import check, ok, skip

if not hasattr(sys, "monitoring"):
    skip("sys.monitoring is new in 3.12")
mon = sys.monitoring
TOOL = mon.PROFILER_ID
seen = []


def on_start(code, offset):
    seen.append(code.co_name)
    if code.co_name == "marked_in_coroutine":
        stackful.suspend("inside the monitoring callback")


def marked_in_coroutine():
    return "coroutine done"


def marked_in_main():
    return "main done"


co = stackful.Coroutine(marked_in_coroutine)
mon.use_tool_id(TOOL, "probe")
mon.register_callback(TOOL, mon.events.PY_START, on_start)
mon.set_events(TOOL, mon.events.PY_START)
try:
    first = co.resume()
    in_main = marked_in_main()
    last = co.resume()
finally:
    mon.set_events(TOOL, 0)
    mon.free_tool_id(TOOL)
check(first == "inside the monitoring callback", "suspended in the callback: %r" % first)
check(in_main == "main done" and last == "coroutine done", "results")
check("marked_in_main" in seen, "the main context got no monitoring events: saw %r" % seen)
ok()
