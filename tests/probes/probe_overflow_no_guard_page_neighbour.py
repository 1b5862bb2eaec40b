"""Overflow of a ShareStack(guard_page=False) into the stack mapped below it.

Hostile: a coroutine named overflowing_task on ShareStack(1 MiB, guard_page=False)
recurses natively (stackful._core._recurse_natively, 512-byte C frames) about 10 KB past
the bottom of its stack, into the top of the next stack, where a suspended coroutine's
frames are; then those coroutines are resumed.
Correct: the overflow is detected, at the latest at the next switch, and the process stops
with a message that names the coroutine (overflowing_task); or nothing is corrupted and
every neighbour returns its right result. Never a silent overwrite of the neighbour
(a wrong result, or a crash that says nothing). Runs in a child process.
"""
from _probe import check, describe, ok, run_child

proc = run_child("""
import stackful

# 1 MiB each: no hole in the address space is likely to fit one, so the kernel maps
# them next to each other, each below the one before.
SIZE = 1 << 20
ours = stackful.ShareStack(SIZE, guard_page=False)

def neighbour(i):
    mine = [i] * 3
    return mine, stackful.suspend()

neighbours = [stackful.Coroutine(neighbour, i, stack=stackful.ShareStack(SIZE))
              for i in range(4)]
for co in neighbours:
    co.resume()

def overflowing_task():
    return stackful._core._recurse_natively((SIZE + 10 * 1024) // 512)

print("overflowing_task returned", stackful.Coroutine(overflowing_task, stack=ours).resume())
results = [co.resume("back") for co in neighbours]
print("neighbours intact", results == [([i] * 3, "back") for i in range(4)], flush=True)
""")
fine = proc.returncode == 0 and proc.stdout.endswith("neighbours intact True\n")
stopped = (proc.returncode != 0 and "overflowing_task" in proc.stderr
           and "neighbours intact" not in proc.stdout)
check(fine or stopped, "the overflow went unnoticed: " + describe(proc))
ok()
