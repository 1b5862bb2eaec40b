"""Overflow of a ShareStack(guard_page=False) into the stack mapped below it.

Hostile: a coroutine named overflowing_task on ShareStack(1 MiB, guard_page=False)
recurses natively (tests/c/native.c's native_recursion, 512-byte C frames) about 10 KB past
the bottom of its stack, into the top of the next stack, where a suspended coroutine's
frames are; then those coroutines are resumed.
Correct: the overflow is detected, at the latest at the next switch, and the process stops
with a message from stackful that names the coroutine (overflowing_task, on one line
with "stackful"); or nothing is corrupted and
every neighbour returns its right result. Never a silent overwrite of the neighbour
(a wrong result, or a crash that says nothing). Runs in a child process; skipped where
/proc/self/maps shows no stack mapped right below the overflowing one (ASan's layout).
"""
from _probe import check, describe, ok, run_child, skip

proc = run_child("""
import os, sys
import stackful
from _probe import mapped_ranges, ranges_added
sys.path.insert(0, os.path.dirname(os.getcwd()))
from nativelib import native_recursion
native_recursion = native_recursion()

# 1 MiB each: no hole in the address space is likely to fit one, so the kernel maps
# them next to each other, each below the one before (checked below).
SIZE = 1 << 20
before = mapped_ranges()
ours = stackful.ShareStack(SIZE, guard_page=False)
with_ours = mapped_ranges()

def neighbour(i):
    mine = [i] * 3
    return mine, stackful.suspend()

neighbours = [stackful.Coroutine(neighbour, i, stack=stackful.ShareStack(SIZE))
              for i in range(4)]
for co in neighbours:
    co.resume()
ours_lo = min(lo for lo, hi in ranges_added(before, with_ours))
if not any(lo < ours_lo <= hi for lo, hi in ranges_added(with_ours, mapped_ranges())):
    print("no neighbour right below", flush=True)
    raise SystemExit(0)

def overflowing_task():
    return native_recursion((SIZE + 10 * 1024) // 512)

print("overflowing_task returned", stackful.Coroutine(overflowing_task, stack=ours).resume())
results = [co.resume("back") for co in neighbours]
print("neighbours intact", results == [([i] * 3, "back") for i in range(4)], flush=True)
""")
if proc.stdout == "no neighbour right below\n":
    skip("this address-space layout puts no stack right below the overflowing one")
fine = proc.returncode == 0 and proc.stdout.endswith("neighbours intact True\n")
stopped = (proc.returncode != 0 and "neighbours intact" not in proc.stdout
           and any("stackful" in line and "overflowing_task" in line
                   for line in proc.stderr.splitlines()))
check(fine or stopped, "the overflow went unnoticed: " + describe(proc))
ok()
