"""A server-like loop in a coroutine leaves many handler coroutines in reference cycles.

Hostile: a coroutine spawns 5000 handler coroutines (on the default share stacks), each
suspended in a cycle with its session object (session.task is the coroutine, the
coroutine's frame holds the session) and holding a connection object that its finally
block drops. Nothing is done by hand: the automatic collections that the allocations
trigger, inside the spawning coroutine, find the cycles and close the handlers (one in
16 of them shares the spawning coroutine's default stack).
Correct: the loop completes; every handler that was collected ran its finally block; at
the end a full collection closes the rest: all 5000 finally blocks ran. No crash.
"""
import gc

import stackful

from _probe import check, ok

N = 5000
finished = []


class Session:
    pass


def spawn():
    session = Session()

    def handler():
        me = session
        connection = Session()
        try:
            stackful.suspend()
        finally:
            connection = None
            finished.append(True)

    session.task = stackful.Coroutine(handler)
    session.task.resume()


def server():
    for _ in range(N):
        spawn()
    return "served"


check(stackful.Coroutine(server).resume() == "served", "the server loop")
gc.collect()
check(len(finished) == N, "finally blocks run: %d of %d" % (len(finished), N))
ok()
