"""Every kind of operation under an RLIMIT_AS just above what the process uses.

Hostile: coroutines are left suspended deep in C recursion on default stacks and one
shared ShareStack; RLIMIT_AS is then set to the process's size plus 1 MiB, and the
operations are tried ten times each: a new ShareStack, new coroutines run deep (new frame
chunks) and to their end, a stackful generator iterated, a suspended coroutine resumed
(share-stack copies that need bigger save buffers), transfer(), throw(), close(); then
the limit is lifted and everything is done again.
Correct: under the limit each operation works or raises MemoryError; afterwards all of
them work and the suspended coroutines finish with their right results. Never a crash.
"""
import resource

import stackful
from stackful import lowlevel

from _probe import check, ok, require_rlimit_as

require_rlimit_as()

SOFT, HARD = resource.getrlimit(resource.RLIMIT_AS)
shared = stackful.ShareStack()


def nest(n, f):
    return f() if n == 0 else list(map(lambda m: nest(m, f), [n - 1]))[0]


def waits(tag, depth):
    def until_last():
        while stackful.suspend(tag) != "last":
            pass
        return tag
    return nest(depth, until_last)


def new_stack():
    stackful.ShareStack(256 << 10)


def new_coroutine():
    co = stackful.Coroutine(nest, 300, lambda: stackful.suspend("deep"))
    co.resume()
    co.close()


def generator():
    check(list(stackful.Generator(lambda: [stackful.emit(i) for i in range(20)])) ==
          list(range(20)), "generator")


def resume_waiting():
    for co in waiting:
        check(co.resume("again") == waiting.index(co), "resumed")


def transfer():
    target = stackful.Coroutine(lambda: stackful.suspend("target"))
    check(stackful.Coroutine(lambda: lowlevel.transfer(target)).resume() == "target", "transfer")


def throw():
    co = stackful.Coroutine(nest, 20, lambda: stackful.suspend("x"), stack=shared)
    co.resume()
    try:
        co.throw(KeyError)
    except KeyError:
        pass


OPERATIONS = [new_stack, new_coroutine, generator, resume_waiting, transfer, throw]
waiting = [stackful.Coroutine(waits, i, 100 + 50 * i, stack=shared if i % 2 else None)
           for i in range(4)]
check([co.resume() for co in waiting] == [0, 1, 2, 3], "suspended")
for op in OPERATIONS:               # warm up pools before the limit
    op()
with open("/proc/self/statm") as statm:
    size = int(statm.read().split()[0]) * resource.getpagesize()
outcomes = set()
resource.setrlimit(resource.RLIMIT_AS, (size + (1 << 20), HARD))
try:
    for attempt in range(10):
        for op in OPERATIONS:
            try:
                op()
                outcomes.add(op.__name__ + ": worked")
            except MemoryError:
                outcomes.add(op.__name__ + ": MemoryError")
finally:
    resource.setrlimit(resource.RLIMIT_AS, (SOFT, HARD))
for op in OPERATIONS:
    op()
for i, co in enumerate(waiting):
    check(co.resume("last") == i and co.status == "dead", "coroutine %d finishes" % i)
print("under the limit:", sorted(outcomes))
ok()
