"""Interpreter shutdown with coroutines suspended everywhere.

Hostile: at exit there are suspended coroutines in globals (default stacks and a shared
ShareStack, one 50 levels deep in sorted(key=...), a stackful generator, one in a
reference cycle, all with finally blocks); a daemon thread that is inside a coroutine,
sleeping, when shutdown starts; an atexit handler that resumes coroutines and leaves a
new one suspended; and cyclic garbage whose __del__, run by the collection during
shutdown (after the interpreter has started finalizing), sleeps (so the daemon thread
wakes up meanwhile), resumes a suspended coroutine and creates and runs a new one.
Correct: the process exits with status 0, after `OK`: no crash, no fatal error, no hang.
(Coroutines still suspended at exit are not closed: documented.)
"""
import atexit
import os
import threading
import time

import stackful

from _probe import ok

shared = stackful.ShareStack()


def body(tag):
    try:
        return stackful.suspend(tag)
    finally:
        tag = "finally"


def deep(n):
    return stackful.suspend("deep") if n == 0 else sorted([n], key=lambda k: deep(n - 1))[0]


suspended = [stackful.Coroutine(body, i, stack=shared if i % 2 else None) for i in range(6)]
for co in suspended:
    co.resume()
deep_one = stackful.Coroutine(deep, 50)
deep_one.resume()
gen = stackful.Generator(lambda: [stackful.emit(i) for i in range(3)])
next(gen)


class Node:
    pass


node = Node()
node.self = node
node.co = stackful.Coroutine(body, "in a cycle")
node.co.resume()


def daemon_main():
    def sleeper():
        while True:
            time.sleep(0.02)        # the GIL is released here, inside the coroutine
            stackful.suspend()
    co = stackful.Coroutine(sleeper, stack=stackful.ShareStack(256 << 10))
    while True:
        co.resume()


threading.Thread(target=daemon_main, daemon=True).start()
time.sleep(0.1)


@atexit.register
def at_exit():
    suspended[0].resume("from atexit")
    made = stackful.Coroutine(body, "made in atexit")
    made.resume()
    suspended.append(made)


class CollectedAtShutdown:
    def __del__(self, sleep=time.sleep, Coroutine=stackful.Coroutine, victim=suspended[2]):
        sleep(0.2)
        victim.resume("from __del__ at shutdown")
        Coroutine(lambda: "made during shutdown").resume()


garbage = CollectedAtShutdown()
garbage.self = garbage
del garbage
ok()
