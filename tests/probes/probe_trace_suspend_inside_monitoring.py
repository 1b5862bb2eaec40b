"""A coroutine suspends inside a sys.monitoring callback (3.12+).

Hostile: a PY_START callback (sys.monitoring, tool PROFILER_ID) calls suspend() when a
function starts in a coroutine; while the coroutine waits inside the callback, the main
context calls another function.
Correct: the callback sees that function start too (monitoring keeps delivering events
in every context); the coroutine then finishes normally. See _tracepause.run.
"""
import sys

import _tracepause
from _probe import ok, skip

if not hasattr(sys, "monitoring"):
    skip("sys.monitoring is new in 3.12")
mon = sys.monitoring
TOOL = mon.PROFILER_ID


def start():
    mon.use_tool_id(TOOL, "probe")
    mon.register_callback(TOOL, mon.events.PY_START,
                          lambda code, offset: _tracepause.called(code.co_name))
    mon.set_events(TOOL, mon.events.PY_START)


def stop():
    mon.set_events(TOOL, 0)
    mon.free_tool_id(TOOL)


_tracepause.run(start, stop)
ok()
