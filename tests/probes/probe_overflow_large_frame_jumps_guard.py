"""A C function with a large stack frame called near the bottom of a small stack.

Hostile: glibc's gethostbyname_ex (behind socket.gethostbyname_ex) allocates a frame of
about 16 KB without stack probes. A coroutine on ShareStack(256 KiB) recurses through C
code (map) to depth d and calls it, for every d from well above to just below the depth
at which the recursion alone overflows; coroutines suspended 40 levels deep on the stacks mapped
next to it (below it in memory) must come back intact.
Correct, at every depth: the call returns and the neighbours' results are right, or
RecursionError, or the documented overflow report (SIGSEGV after "stackful: stack
overflow in coroutine rec"; under ASan, its stack-overflow abort after it). Never a crash without the report (the frame jumped the guard
page and ran in the neighbouring stack), and never a neighbour corrupted.
Each depth runs in its own child process; only 127.0.0.1 (/etc/hosts) is resolved.
"""
from _probe import check, describe, ok, overflow_reported, run_child

CHILD = """
import socket, sys
import stackful

depth, call = int(sys.argv[1]), sys.argv[2] == "call"
sys.setrecursionlimit(100000)
# 256 KiB each: no hole in the address space is likely to fit one, so the kernel maps
# them next to each other, each below the one before (ours first).
SIZE = 256 << 10
ours = stackful.ShareStack(SIZE)

def neighbour(i, n=40):
    # Live frames over the top ~25 KB of its stack: any write there corrupts one.
    mine = [i, n]
    if n == 0:
        return stackful.suspend()
    got = list(map(lambda m: neighbour(i, m), [n - 1]))[0]
    return got if mine == [i, n] else "corrupted"

neighbours = [stackful.Coroutine(neighbour, i, stack=stackful.ShareStack(SIZE))
              for i in range(4)]
for co in neighbours:
    co.resume()

def rec(n):
    if n == 0:
        return socket.gethostbyname_ex("localhost")[0] if call else "bottom"
    return list(map(rec, [n - 1]))[0]

try:
    print("returned", stackful.Coroutine(rec, depth, stack=ours).resume() is not None)
except RecursionError:
    print("RecursionError")
results = [co.resume("back") for co in neighbours]
print("neighbours intact", results == ["back"] * 4, flush=True)
"""

REPORT = "stackful: stack overflow in coroutine rec (its ShareStack has 262144 bytes)"


def run(depth, call):
    return run_child("import sys; sys.argv[1:] = %r\n" % [str(depth), call] + CHILD)


# The deepest recursion that fits without the call (a bisection; each overflow kills
# its child).
lo, hi = 1, 20000
check(run(lo, "nocall").returncode == 0, "probe invalid: depth 1 overflows")
while hi - lo > 1:
    mid = (lo + hi) // 2
    if run(mid, "nocall").returncode == 0:
        lo = mid
    else:
        hi = mid
fits = lo

failures = []
for depth in range(max(1, fits - 48), fits + 1):
    proc = run(depth, "call")
    fine = proc.returncode == 0 and proc.stdout.endswith("neighbours intact True\n")
    reported = overflow_reported(proc, REPORT)
    if not (fine or reported):
        failures.append("depth %d of %d: %s" % (depth, fits, describe(proc)))
check(not failures, "%d depths failed:\n%s" % (len(failures), "\n".join(failures[:4])))
ok()
