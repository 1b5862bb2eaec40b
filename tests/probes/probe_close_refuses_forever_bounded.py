"""close() of a coroutine that catches CoroutineExit and suspends again, forever.

Hostile: `while True: try: suspend() except CoroutineExit: pass`; then close(), and the
coroutine dropped (its finalizer tries to close it again).
Correct: close() gives up in bounded time with RuntimeError (the coroutine ignored
CoroutineExit) and the coroutine is still suspended (a forceful close, if any, must stop
after a bounded number of tries); dropping it reports an unraisable RuntimeError (and
leaks it) rather than hanging or crashing.
"""
import gc

import stackful

from _probe import check, expect_raises, ok, unraisables

tries = []


def stubborn():
    while True:
        try:
            stackful.suspend()
        except stackful.CoroutineExit:
            tries.append(1)
            check(len(tries) < 10000, "close() keeps going")


co = stackful.Coroutine(stubborn)
co.resume()
err = expect_raises(RuntimeError, co.close)
check("CoroutineExit" in str(err) and co.status == "suspended", "close: %s, %s" % (
    err, co.status))
with unraisables() as seen:
    del co, err   # err.__traceback__ holds co.close
    gc.collect()
check(len(seen) == 1 and seen[0].startswith("RuntimeError"), "unraisable: %r" % seen)
ok()
