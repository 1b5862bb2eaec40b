"""The first coroutine of a thread cannot map its thread's helper stack (RLIMIT_AS).

Hostile: before the thread has used stackful, RLIMIT_AS is lowered to just above what the
process uses, so no new 64 KiB mapping can be made; Coroutine() is then tried 300 times
(each try sets up the thread's stackful state, whose helper stack mmap fails), and then
the limit is lifted.
Correct: each try raises MemoryError, nothing is leaked by the failed set-ups (the count
Python memory traced by tracemalloc grows by less than 16 KB over the 300 tries), and once the limit
is lifted coroutines work.
"""
import resource
import tracemalloc

import stackful

from _probe import check, ok, require_rlimit_as

require_rlimit_as()

SOFT, HARD = resource.getrlimit(resource.RLIMIT_AS)


def tries(n):
    failures = 0
    for _ in range(n):
        try:
            stackful.Coroutine(int)
        except MemoryError:
            failures += 1
    return failures


def vm_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


tracemalloc.start()
junk = [object() for _ in range(100000)]    # free small blocks for the loop to use
del junk
resource.setrlimit(resource.RLIMIT_AS, (vm_bytes() + (32 << 10), HARD))
try:
    tries(5)
    before = tracemalloc.get_traced_memory()[0]
    failed = tries(300)
    grown = tracemalloc.get_traced_memory()[0] - before
finally:
    resource.setrlimit(resource.RLIMIT_AS, (SOFT, HARD))
check(failed == 300, "%d of 300 tries raised MemoryError" % failed)
check(grown < 16 << 10, "%d bytes leaked by 300 failed tries" % grown)
check(stackful.Coroutine(lambda: "works").resume() == "works", "afterwards")
ok()
