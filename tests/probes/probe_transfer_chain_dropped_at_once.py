"""20,000 coroutines, each suspended in transfer() to the next one it created, dropped.

Hostile: coroutine n creates coroutine n-1 and transfers to it, 20,000 times; the last
one suspends to the main context. Each is referenced only by the transfer() call of the
one before it. Then the main context drops the first: closing it releases the next one
while it unwinds, whose finalizer closes it from inside the first, and so on, 20,000
closes nested inside each other (each on the chain of waiting contexts).
Correct: every finally block runs, innermost first (0, 1, ..., 20000), in bounded time;
no crash; a new coroutine works afterwards.
"""
import gc

import stackful
from stackful import lowlevel

from _probe import check, ok

N = 20000
done = []


def step(n):
    try:
        if n:
            lowlevel.transfer(stackful.Coroutine(step, n - 1))
        else:
            stackful.suspend("end of the chain")
    finally:
        done.append(n)


head = stackful.Coroutine(step, N)
check(head.resume() == "end of the chain", "the chain ran")
del head
gc.collect()
check(done == list(range(N + 1)), "finally blocks: %d, first %r, last %r" % (
    len(done), done[:3], done[-3:]))
check(stackful.Coroutine(lambda: "works").resume() == "works", "afterwards")
ok()
