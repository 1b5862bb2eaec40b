"""A running coroutine resumes another one on its own share stack, also under ASan's
fake stacks.

Hostile: A and B share a ShareStack; A (running, owning the stack) resumes B, so A's bytes
must be copied out from under it (on the helper stack), and back when B suspends. Under
AddressSanitizer with detect_stack_use_after_return=1, C locals live in "fake stack"
frames on the heap, so the address of a local says nothing about the machine stack
pointer. The scenario runs in a child process (with that option when ASan is loaded).
Correct: B's suspend value, A's result and the copy statistics are right (one copy out
and one back in of A's bytes, of under 64 KiB) on every build. Never a MemoryError or a
size measured from a local's address.
"""
import os

from _probe import check, describe, ok, run_child, under_asan

env = {}
if under_asan():
    env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":detect_stack_use_after_return=1"
proc = run_child("""
import stackful
shared = stackful.ShareStack()

def b_body():
    return stackful.suspend("B suspended")

def a_body():
    b = stackful.Coroutine(b_body, stack=shared)
    first = b.resume()
    stats = stackful.current().stats
    return first, b.resume("to B"), stats.copies_out, stats.copies_in, stats.max_copy

first, last, copies_out, copies_in, max_copy = stackful.Coroutine(a_body, stack=shared).resume()
print(first, last, copies_out, copies_in, max_copy < 65536)
""", env=env)
check(proc.returncode == 0 and proc.stdout == "B suspended to B 1 1 True\n", describe(proc))
ok()
