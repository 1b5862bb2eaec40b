"""A collection inside a coroutine closes a garbage coroutine that shares its stack.

Hostile: coroutine B, on the same ShareStack as coroutine A (as one in 16 coroutines are
on the default stacks), is left suspended in a reference cycle; its frame holds an object
that only it references (a connection), and its finally block lets it go (releasing
resources, as finally blocks do). A then runs gc.collect(): the collector finds B and the
objects, and B's finalizer closes it, in the middle of the collection, with A's bytes
(the collector's own working lists among them) copied off the shared stack while B runs.
Correct: the collection completes, B's finally block has run when gc.collect() returns
(stackful closes coroutines collected during a collection when it ends), everything is
freed by the next collection at the latest, and new coroutines work. The same with B on
another stack (the control case).
"""
import gc
import weakref

import stackful

from _probe import check, ok


class Resource:
    pass


def run(shared_with_collector):
    stack = stackful.ShareStack()
    finally_ran = []

    freed = []

    def make_garbage():
        holder = Resource()
        freed.append(weakref.ref(holder))

        def body():
            mine = holder
            connection = Resource()                      # only this frame holds it
            try:
                stackful.suspend("suspended in a cycle")
            finally:
                connection = None                        # freed while B runs
                finally_ran.append(True)

        holder.co = stackful.Coroutine(body, stack=stack if shared_with_collector else None)
        holder.co.resume()

    def collector():
        make_garbage()
        return gc.collect()

    stackful.Coroutine(collector, stack=stack).resume()
    check(finally_ran == [True], "finally ran: %r" % finally_ran)
    gc.collect()
    check(freed[0]() is None, "the cycle was not freed")


gc.collect()
gc.disable()          # only the collections the probe makes
run(shared_with_collector=False)
run(shared_with_collector=True)
gc.enable()
check(gc.collect() >= 0 and stackful.Coroutine(lambda: "works").resume() == "works",
      "afterwards")
ok()
