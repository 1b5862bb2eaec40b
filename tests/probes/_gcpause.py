"""A coroutine that suspends in the middle of a collection, and the check that the
collector still works meanwhile (probe_gc_suspend_inside_*.py)."""
import gc
import weakref

import stackful

from _probe import check, unraisables


class Plain:
    pass


def run(collect_in_coroutine):
    """collect_in_coroutine: run inside a coroutine; it arranges for a callback of the
    collection it starts to call stackful.suspend("suspended in the collection").

    Correct: while the coroutine waits there, gc.collect() in the main context finds and
    frees a new cycle (it returns at least 2, and a weakref to the cycle dies); then the
    coroutine finishes. Refusing the suspend (CoroutineError in the callback, reported as
    unraisable, and the coroutine goes on) is correct too."""
    def body():
        collect_in_coroutine()
        return "body done"

    co = stackful.Coroutine(body)
    with unraisables() as seen:
        first = co.resume()
    if first == "body done":
        check(seen and all(s.startswith("CoroutineError") for s in seen),
              "the suspend was neither done nor refused with CoroutineError: %r" % seen)
        return
    check(first == "suspended in the collection", "first resume: %r" % (first,))
    cycle = Plain()
    cycle.self = cycle
    alive = weakref.ref(cycle)
    del cycle
    found = gc.collect()
    check(alive() is None and found >= 2,
          "collection while a coroutine is suspended in one: %d found, cycle %s" % (
              found, "freed" if alive() is None else "still alive"))
    check(co.resume() == "body done", "the coroutine finishes")
