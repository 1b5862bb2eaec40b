"""Running out of memory mappings (vm.max_map_count) with ShareStacks.

Hostile: two coroutines on one ShareStack and one on a default stack are left suspended
deep in C recursion; then ShareStack(4096) objects are made until the kernel refuses a
new mapping (each stack and its guard page are two; the default limit is 65530, for the
whole process); at the limit, coroutines are created, run deep, iterated as generators,
given their own ShareStack, and the three suspended ones are resumed in turn (their share
stack changes hands); then the stacks are released and all of it is done again.
Correct: at the limit every operation either works or raises MemoryError (never a
crash); afterwards everything works and the suspended coroutines finish with their
right results.
"""
import gc

import stackful

from _probe import check, ok

shared = stackful.ShareStack()


def nest(n, f):
    """f() called n levels deep in C recursion (map)."""
    return f() if n == 0 else list(map(lambda m: nest(m, f), [n - 1]))[0]


def deep(n, tag):
    return nest(n, lambda: stackful.suspend(tag))


def waits(tag):
    """Suspends 100 levels deep, again and again, until it is sent "last"."""
    def until_last():
        while stackful.suspend(tag) != "last":
            pass
        return "last"
    return nest(100, until_last)


def everything():
    co = stackful.Coroutine(deep, 200, "fresh")
    check(co.resume() == "fresh" and co.resume("x") == "x", "a new coroutine, deep")
    check(list(stackful.Generator(lambda: [stackful.emit(i) for i in range(50)])) ==
          list(range(50)), "a generator")
    own = stackful.Coroutine(deep, 5, "own", stack=stackful.ShareStack())
    check(own.resume() == "own" and own.resume("y") == "y", "a coroutine on its own stack")


waiting = [stackful.Coroutine(waits, i, stack=shared if i < 2 else None) for i in range(3)]
check([co.resume() for co in waiting] == [0, 1, 2], "suspended")
stacks = []
try:
    while len(stacks) < 100000:
        stacks.append(stackful.ShareStack(4096))
except MemoryError:
    pass
check(len(stacks) < 100000, "probe invalid: no mapping limit reached")
outcomes = set()
for attempt in range(10):
    for op in (everything, lambda: waiting[attempt % 3].resume(("again", attempt))):
        try:
            op()
            outcomes.add("worked")
        except MemoryError:
            outcomes.add("MemoryError")
del stacks
gc.collect()
everything()
for i, co in enumerate(waiting):
    while co.status != "dead":
        result = co.resume("last")
    check(result == "last", "coroutine %d's result: %r" % (i, result))
print("at the limit:", sorted(outcomes))
ok()
