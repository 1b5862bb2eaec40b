"""Out of memory at the moment a coroutine finishes.

Hostile: R and C share a ShareStack; F has its own. The main context resumes R, R resumes
F, F resumes C, and C suspends hundreds of KB deep (600 levels) in C recursion, so C now owns the shared
stack and R's bytes are saved away. F then lowers RLIMIT_AS to just above what the
process uses and returns: to go back to R, the finish must copy C's bytes off the shared
stack into a buffer C never had.
Correct: F's finish completes (what it needs was reserved earlier) and every result is
right; or a MemoryError is raised in Python code (at a resume or a suspend) and the
program goes on. Never a fatal error on the finish path.
"""
import resource

import stackful

from _probe import check, ok, require_rlimit_as

require_rlimit_as()

PAGE = resource.getpagesize()
SOFT, HARD = resource.getrlimit(resource.RLIMIT_AS)
shared = stackful.ShareStack(8 << 20)


def deep(n):
    return stackful.suspend("C is deep") if n == 0 else list(map(deep, [n - 1]))[0]


def c_body():
    return deep(600)      # within 3.12's fixed C recursion budget (1500: 2 levels each)


def f_body():
    check(c.resume() == "C is deep", "C suspended deep")
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * PAGE
    resource.setrlimit(resource.RLIMIT_AS, (used + (256 << 10), HARD))
    return "F done"


def r_body():
    try:
        got = f.resume()
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (SOFT, HARD))
    return "R got " + got


c = stackful.Coroutine(c_body, stack=shared)
f = stackful.Coroutine(f_body, stack=stackful.ShareStack())
r = stackful.Coroutine(r_body, stack=shared)
try:
    check(r.resume() == "R got F done", "R's result")
    check(c.resume("to C") == "to C", "C's result")
except MemoryError:
    resource.setrlimit(resource.RLIMIT_AS, (SOFT, HARD))
    print("MemoryError (a clean refusal)")
ok()
