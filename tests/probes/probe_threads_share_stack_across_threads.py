"""One ShareStack used by coroutines of two threads at once.

Hostile: thread 1 resumes coroutine A on ShareStack S; A blocks (releasing the GIL) while
its frames are live on S. Thread 2 then creates coroutine B on the same S and resumes it.
Correct: either stackful refuses (creating or resuming B raises CoroutineError or
ValueError: a stack belongs to one thread) or both A and B run to their correct results.
Never B's frames written over A's live frames (corruption, SIGSEGV, stack smashing).
"""
import threading

import stackful

from _probe import check, ok

S = stackful.ShareStack()
a_running = threading.Event()
b_done = threading.Event()
results = {}


def deep(n, tag):
    # Live frames on S: locals that must survive the other thread's use of S.
    if n == 0:
        return tag
    here = [tag, n]
    got = deep(n - 1, tag)
    return got if here == [tag, n] else "corrupted"


def a_body():
    a_running.set()
    b_done.wait(10)             # A's frames stay live on S meanwhile
    return deep(50, "A")


def b_body():
    return deep(50, "B")


def thread_1():
    results["A"] = stackful.Coroutine(a_body, stack=S).resume()


def thread_2():
    a_running.wait(10)
    try:
        results["B"] = stackful.Coroutine(b_body, stack=S).resume()
    except (stackful.CoroutineError, ValueError) as e:
        results["B"] = "refused: %s" % type(e).__name__
    b_done.set()


threads = [threading.Thread(target=thread_1), threading.Thread(target=thread_2)]
for th in threads:
    th.start()
for th in threads:
    th.join()
check(results.get("A") == "A", "A's result: %r" % results.get("A"))
check(results.get("B") in ("B", "refused: CoroutineError", "refused: ValueError"),
      "B's result: %r" % results.get("B"))
ok()
