"""os.fork() with coroutines suspended deep in C code, from inside a coroutine.

Hostile: six coroutines (on default stacks and on one shared ShareStack) suspended 30
levels deep in map(); another thread holds a suspended coroutine of its own; then a
coroutine calls os.fork(). The child goes on inside that coroutine: it resumes the six,
tries the other thread's coroutine, creates and runs a new one, suspends to its main
context and exits normally (interpreter shutdown in the child). The parent resumes the
six as well.
Correct: in the child, the six finish with their right results, the other thread's
coroutine is refused with CoroutineError (its thread does not exist there), new
coroutines work and the child exits 0; the parent's six finish right too.
"""
import os
import threading
import warnings

import stackful

from _probe import check, ok

warnings.simplefilter("ignore", DeprecationWarning)     # 3.12+: fork with threads
shared = stackful.ShareStack()


def deep(n, tag):
    if n == 0:
        return stackful.suspend(tag) + "!"
    return list(map(lambda k: deep(k, tag), [n - 1]))[0]


cos = [stackful.Coroutine(deep, 30, "c%d" % i, stack=shared if i % 2 else None)
       for i in range(6)]
check([c.resume() for c in cos] == ["c%d" % i for i in range(6)], "suspended")
theirs = {}
release = threading.Event()


def other_thread():
    co = stackful.Coroutine(deep, 5, "thread")
    co.resume()
    theirs["co"] = co
    release.wait(10)


th = threading.Thread(target=other_thread)
th.start()
while "co" not in theirs:
    release.wait(0.01)


def forker():
    if os.fork() != 0:
        return "parent"
    got = [c.resume("child") for c in cos]
    try:
        theirs["co"].resume("child")
        got.append("the other thread's coroutine ran")
    except stackful.CoroutineError:
        got.append("refused")
    new = stackful.Coroutine(deep, 10, "new")
    got += [new.resume(), new.resume("z")]
    stackful.suspend(got)


where = stackful.Coroutine(forker).resume()
if where != "parent":
    if where != ["child!"] * 6 + ["refused", "new", "z!"]:
        print("child got %r" % (where,), flush=True)
        os._exit(3)
    raise SystemExit(0)       # a normal interpreter shutdown in the child
_, status = os.wait()
check(os.waitstatus_to_exitcode(status) == 0, "child: %s" % os.waitstatus_to_exitcode(status))
check([c.resume("parent") for c in cos] == ["parent!"] * 6, "parent's coroutines")
release.set()
th.join()
ok()
