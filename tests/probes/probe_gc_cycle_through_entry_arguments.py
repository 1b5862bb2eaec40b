"""Reference cycles through the arguments of Coroutine(fn, obj) and Coroutine(fn, kw=obj).

Hostile: 5000 started, suspended coroutines, each in a cycle with the object passed to it
(obj.co = the coroutine), positionally and by keyword, then dropped.
Correct: the cycle collector closes every one of them (their `finally` blocks run: 5000
each way) and frees them, as it does when the cycle goes through a closure: no object of
the cycles is left, and memory afterwards is bounded (under 20 MB of growth for the
10,000; not measured under AddressSanitizer, whose quarantine keeps freed memory).
"""
import gc
import weakref

import stackful

from _probe import check, ok, rss_bytes, under_asan

N = 5000
finished = {"positional": 0, "keyword": 0}
alive = weakref.WeakSet()


class Holder:
    pass


def positional(holder):
    try:
        stackful.suspend()
    finally:
        finished["positional"] += 1


def keyword(*, holder):
    try:
        stackful.suspend()
    finally:
        finished["keyword"] += 1


gc.collect()
before = rss_bytes()
for _ in range(N):
    for co_of in (lambda h: stackful.Coroutine(positional, h),
                  lambda h: stackful.Coroutine(keyword, holder=h)):
        h = Holder()
        alive.add(h)
        h.co = co_of(h)
        h.co.resume()
        del h
gc.collect()
gc.collect()
check(finished == {"positional": N, "keyword": N},
      "finally blocks run by the collector: %r of %d each" % (finished, N))
check(len(alive) == 0, "%d objects of the cycles are left" % len(alive))
check(under_asan() or rss_bytes() - before < 20 << 20,
      "RSS grew by %d bytes" % (rss_bytes() - before))
ok()
