"""Runaway recursion through C code in a coroutine on a small ShareStack (64 KiB).

Hostile: unbounded recursion through C code (sorted(key=...), map, __getattr__, json,
re.sub, pickle, and a plain Python recursion) on a stack far too small for the recursion
limit.
Correct: RecursionError in the coroutine (3.14 checks the C stack; a fix may do so on every
version), or else the documented overflow report: the process dies of SIGSEGV after
writing "stackful: stack overflow in coroutine attempt (its ShareStack has 65536 bytes)"
(under ASan: then ASan's stack-overflow report and abort). Never a crash without the
report, and never anything else. One child process per path (_recursion.py).
"""
import _recursion
from _probe import check, describe, ok, overflow_reported, run_child

CHILD = """
import sys
import stackful
from _recursion import attempt

sys.setrecursionlimit(5000)
co = stackful.Coroutine(attempt, sys.argv[1], stack=stackful.ShareStack(64 * 1024))
print("coroutine:", co.resume(), flush=True)
"""

REPORT = ("stackful: stack overflow in coroutine attempt (its ShareStack has 65536 bytes); "
          "use a larger ShareStack")

failures = []
for path in _recursion.PATHS:
    proc = run_child("import sys; sys.argv[1:] = [%r]\n" % path + CHILD)
    raised = proc.returncode == 0 and proc.stdout.strip() == "coroutine: RecursionError"
    reported = overflow_reported(proc, REPORT)
    if not (raised or reported):
        failures.append("%s: %s" % (path, describe(proc)))
check(not failures, "neither RecursionError nor the overflow report:\n" + "\n".join(failures))
ok()
