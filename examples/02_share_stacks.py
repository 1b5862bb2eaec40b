"""02 -- Share stacks: many coroutines on one C stack, or one coroutine alone.

Every coroutine needs a C stack while it runs. stackful follows libaco: coroutines
run on a ``stackful.ShareStack``, and any number of them may share one.

* A coroutine that is the only user of its ShareStack (a *standalone* coroutine)
  never copies anything: its stack simply stays where it is while it is suspended.
* Coroutines that share a stack take turns on it. Only one of them can have its
  bytes on the stack at a time (the stack's *owner*). When another one is resumed,
  the owner's used bytes are copied out into the owner's save buffer and the
  newcomer's saved bytes are copied back in. That costs a copy per turn, but a
  suspended coroutine then occupies only its save buffer: typically a few hundred
  bytes to a few KiB, because only C frames live on the C stack (CPython 3.11
  keeps Python frames on the heap).

So the trade-off is memory against copying: give the few coroutines that switch
all the time (a scheduler, a hot loop) a stack of their own, and let the many
mostly idle ones share. This file shows:

1. the size rule of ``ShareStack(size)``;
2. three coroutines taking turns on one stack copy at every turn, while a fourth,
   alone on its stack, never copies (``co.stats``, ``stack.owner_changes``);
3. turns are what costs, not sharing: coroutines that run one after the other on
   a share stack copy nothing;
4. the default stack, and why a coroutine that resumes others wants its own;
5. a thousand suspended coroutines on one small stack.

Copy sizes in bytes depend on the compiler and the platform, so this script prints
them to stderr (lines marked ``[this build]``); stdout has only what is the same
everywhere, and the test suite compares it with examples/expected/.
"""

import mmap
import sys

from stackful import Coroutine, ShareStack, suspend

PAGE = mmap.PAGESIZE


def note(text):
    """Build-dependent numbers: for the reader, not for the golden file."""
    print(f"    [this build] {text}", file=sys.stderr, flush=True)


def run_round_robin(coroutines):
    """Resume each live coroutine in turn until all are dead."""
    while any(co.status != "dead" for co in coroutines):
        for co in coroutines:
            if co.status != "dead":
                co.resume()


# --------------------------------------------------------------------------------
print("1. sizes: 0 means the default (a thread's: 8 MiB or more); else >= 64 KiB, >= size,"
      " whole pages")

# The size is address space: a stack costs memory only for the pages a coroutine
# actually touches. It must hold the deepest C call chain the coroutine reaches
# while running (not only at a suspension point); an overflow hits the guard gap
# below the stack and the process stops with "stackful: stack overflow in coroutine
# ..." (see 04) instead of corrupting memory. The smallest stack, 64 KiB, runs
# ordinary Python code (print, imports, json); the default is what a thread gets.
print("    ShareStack(0).size >= 8 MiB:", ShareStack(0).size >= 8 << 20)
for requested in (1, 4096, 65536, 70000, 100_000):
    size = ShareStack(requested).size
    print(f"    ShareStack({requested}).size == {size}")
    expected = -(-max(requested, 65536) // PAGE) * PAGE    # round up to pages
    assert size == expected, (requested, size)

# The guard (1 MiB of address space below the stack, never touched) is on by default;
# guard_page=False saves that address space and risks an overflow writing into the
# memory below: it is then only caught at the coroutine's next switch (a canary at
# the stack's far end), with everything it overwrote already gone. Keep the guard.
print("    guard_page default:", ShareStack().guard_page,
      "/ opted out:", ShareStack(guard_page=False).guard_page)
assert ShareStack().guard_page is True
assert ShareStack(guard_page=False).guard_page is False


# --------------------------------------------------------------------------------
print("2. three coroutines share a stack, one is alone")

ROUNDS = 4


def worker(name, log):
    for i in range(ROUNDS):
        log.append(f"{name}{i}")
        suspend()


log = []
shared = ShareStack(64 * 1024)
own = ShareStack(64 * 1024)
sharers = [Coroutine(worker, name, log, stack=shared) for name in "ABC"]
loner = Coroutine(worker, "L", log, stack=own)
everyone = sharers + [loner]
run_round_robin(everyone)
print("    ran:", " ".join(log[:8]), "...", f"({len(log)} steps)")

print("    coroutine  stack   copies_out  copies_in")
for name, co in zip("ABCL", everyone):
    kind = "shared" if co.stack is shared else "own"
    st = co.stats
    print(f"    {name:9}  {kind:6}  {st.copies_out:10}  {st.copies_in:9}")
    note(f"{name}: {st.bytes_out} bytes copied out, {st.bytes_in} in, "
         f"largest copy {st.max_copy}")

# Every suspend() of a sharer is followed by another sharer's turn, which pushes its
# bytes out; every resume but the first (a fresh start has nothing to restore)
# brings them back in.
for co in sharers:
    assert co.stats.copies_out == co.stats.copies_in == ROUNDS, co.stats
    assert co.stats.bytes_out == co.stats.bytes_in > 0
# The standalone one never copies, whatever it does.
assert loner.stats.copies_out == loner.stats.copies_in == 0
assert loner.stats.bytes_out == loner.stats.bytes_in == 0

# owner_changes counts how often a different coroutine took the stack: each turn of
# a sharer (ROUNDS suspends + the final run to the end, for each of the three),
# i.e. every copy in plus the three fresh starts. The loner took its stack once.
print("    owner_changes: shared stack", shared.owner_changes,
      "/ own stack", own.owner_changes)
assert shared.owner_changes == 3 * (ROUNDS + 1)
assert shared.owner_changes == sum(co.stats.copies_in for co in sharers) + len(sharers)
assert own.owner_changes == 1


# --------------------------------------------------------------------------------
print("3. sharing is free when the coroutines don't interleave")

# A coroutine that finished leaves nothing on the stack worth saving, so the next
# one just starts. Copies happen only when a *suspended* coroutine's bytes are in
# the way of the one being resumed.
stack = ShareStack(64 * 1024)
log = []
in_turn = [Coroutine(worker, name, log, stack=stack) for name in "XYZ"]
for co in in_turn:
    run_round_robin([co])          # one at a time, each to the end
copies = sum(co.stats.copies_out + co.stats.copies_in for co in in_turn)
print("    ran:", " ".join(log))
print("    copies:", copies, "/ owner_changes:", stack.owner_changes)
assert copies == 0 and stack.owner_changes == 3


# --------------------------------------------------------------------------------
print("4. the default stack, and coroutines that resume coroutines")

# Without stack=, a thread's coroutines are dealt round-robin over its 16 default
# share stacks: up to 16 coroutines never copy; the 17th shares the 1st one's stack.
first = Coroutine(print)
others = [Coroutine(print) for _ in range(15)]
seventeenth = Coroutine(print)
assert len({co.stack for co in [first] + others}) == 16
assert seventeenth.stack is first.stack
print("    default stacks per thread:", len({co.stack for co in [first] + others}))


def child():
    suspend()
    suspend()


def parent(child_stack):
    kid = Coroutine(child, stack=child_stack)
    while kid.status != "dead":
        kid.resume()
    return kid


# The parent resumes its child three times. If both are on the same stack, the
# parent's own bytes are in the child's way at every resume -- the running parent
# is copied out too (from a small helper stack, since it can't copy the stack it
# runs on) and back in when the child suspends.
together = ShareStack(64 * 1024)
same = Coroutine(parent, together, stack=together)   # parent and child on one stack
kid = same.resume()
print("    parent on the child's stack: parent copies", same.stats.copies_out,
      "out,", same.stats.copies_in, "in; child", kid.stats.copies_out, "out")
assert same.stats.copies_out == same.stats.copies_in == 3
assert kid.stats.copies_out == kid.stats.copies_in == 2

# Give the parent (a scheduler, say) a stack of its own, and nobody copies: the
# child is then alone on a default stack.
apart = Coroutine(parent, None, stack=ShareStack(64 * 1024))
kid = apart.resume()
print("    parent on its own stack:     parent copies", apart.stats.copies_out,
      "out,", apart.stats.copies_in, "in; child", kid.stats.copies_out, "out")
assert apart.stats.copies_out == apart.stats.copies_in == 0
assert kid.stats.copies_out == kid.stats.copies_in == 0


# --------------------------------------------------------------------------------
print("5. a thousand suspended coroutines on one 16 KiB stack")

# Standalone, they would need a thousand stacks (2 GiB of address space at the
# default size). Sharing, they need one stack plus a thousand small save buffers;
# only the last one started still has its bytes on the stack.
stack = ShareStack(16 * 1024)
crowd = [Coroutine(suspend, stack=stack) for _ in range(1000)]
for co in crowd:
    co.resume()                      # each waits in suspend() now
saved = [co.stats.saved_bytes for co in crowd]
print("    suspended:", sum(co.status == "suspended" for co in crowd),
      "/ holding their stack in a save buffer:", sum(1 for n in saved if n > 0))
note(f"save buffers hold {sum(saved)} bytes in all, "
     f"{sum(co.stats.save_buffer_size for co in crowd)} allocated")
assert all(co.status == "suspended" for co in crowd)
assert all(n > 0 for n in saved[:-1]) and saved[-1] == 0     # the owner has none out
for co in crowd:
    co.resume()                      # each returns: buffers are freed as they die
assert all(co.status == "dead" and co.stats.save_buffer_size == 0 for co in crowd)
print("done")
