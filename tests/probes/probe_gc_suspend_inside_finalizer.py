"""A coroutine suspends inside a __del__ that the cycle collector runs.

Hostile: inside a coroutine, a cycle whose object has a __del__ that calls suspend() is
collected (gc.collect() in the coroutine), so the coroutine suspends in the middle of a
collection. The main context then makes new cycles and collects, before resuming it.
Correct: collections in the main context go on working while the coroutine is suspended
(gc.collect() finds and frees the new cycles: a weakref to one of them dies, and
gc.collect() returns at least 2); after the coroutine is resumed, everything finishes.
"""
import gc
import weakref

import stackful

from _probe import check, ok


class SuspendsWhenCollected:
    def __del__(self):
        stackful.suspend("suspended in __del__")


class Plain:
    pass


def body():
    trash = SuspendsWhenCollected()
    trash.self = trash
    del trash
    gc.collect()
    return "body done"


co = stackful.Coroutine(body)
check(co.resume() == "suspended in __del__", "suspended inside the finalizer")

cycle = Plain()
cycle.self = cycle
alive = weakref.ref(cycle)
del cycle
found = gc.collect()
check(alive() is None and found >= 2,
      "collection while a coroutine is suspended in a finalizer: %d found, cycle %s" % (
          found, "freed" if alive() is None else "still alive"))
check(co.resume() == "body done", "the coroutine finishes")
ok()
