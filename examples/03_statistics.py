"""03 -- Statistics: reading co.stats and stackful.lowlevel.switch_count().

Coroutines that share a ShareStack pay for taking turns with copies of their used
C stack (02 explains why). ``co.stats`` tells what that cost one coroutine, in the
spirit of libaco's save-stack statistics; ``stackful.lowlevel.switch_count()``
counts the context switches of the calling thread. This file shows:

1. the fields of ``co.stats`` (a ``stackful.CoroutineStats``, a named tuple);
2. how the counters move through a coroutine's life: copied out when another
   coroutine takes the stack, copied back in when resumed, the save buffer freed
   when it dies;
3. what decides the size of a copy: the C depth of the suspension point. Each
   time C code calls back into Python on the way to ``suspend()`` the copy grows;
   plain Python-to-Python calls add nothing (CPython 3.11 runs them in the same C
   frame and keeps Python frames on the heap);
4. ``switch_count()``: how many switches each operation makes.

Byte counts depend on the compiler and the platform, so they go to stderr (lines
marked ``[this build]``); stdout has only what is the same on every build, and the
test suite compares it with examples/expected/.
"""

import sys
import threading

import stackful
import stackful.lowlevel
from stackful import Coroutine, CoroutineStats, ShareStack, suspend


def note(text):
    """Build-dependent numbers: for the reader, not for the golden file."""
    print(f"    [this build] {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------
print("1. the fields of co.stats")

# co.stats is a snapshot: every read builds a new CoroutineStats. Read it again
# after the switches you are interested in.
for field in CoroutineStats.__match_args__:
    print(f"    {field:16} {getattr(CoroutineStats, field).__doc__}")
assert len(Coroutine(print).stats) == 7 and tuple(Coroutine(print).stats) == (0,) * 7


# --------------------------------------------------------------------------------
print("2. the life of the counters")


def counters(st):
    """The build-independent part of a snapshot: how often, and whether bytes are held."""
    return (f"out={st.copies_out} in={st.copies_in} "
            f"holds_bytes={st.saved_bytes > 0} has_buffer={st.save_buffer_size > 0}")


stack = ShareStack(64 * 1024)
a = Coroutine(suspend, stack=stack)     # suspend itself is the function: it suspends
b = Coroutine(suspend, stack=stack)     # once and then returns what resume() sent


def step(what):
    sa = a.stats
    print(f"    {what:34} A: {counters(sa)}")
    note(f"A: bytes_out={sa.bytes_out} bytes_in={sa.bytes_in} max_copy={sa.max_copy} "
         f"save_buffer_size={sa.save_buffer_size} saved_bytes={sa.saved_bytes}")
    return sa


step("A created")
a.resume()
# A suspended, but its bytes stay on the stack: it is the owner, nobody needs them gone.
st = step("A suspended, still owns the stack")
assert st == (0,) * 7
b.resume()
# B needs the stack: A's used bytes move to A's save buffer, grown (by doubling) to
# fit them. saved_bytes is what A's C stack costs while it waits.
st = step("B ran: A copied out")
assert st.copies_out == 1 and st.bytes_out == st.max_copy == st.saved_bytes > 0
assert st.save_buffer_size >= st.saved_bytes
a.resume()
# A's bytes went back (and B's out); A then returned. A dead coroutine gives its
# buffer back; the counters stay, for a post-mortem.
st = step("A copied back in, ran to the end")
assert a.status == "dead" and st.copies_in == 1 and st.bytes_in == st.bytes_out
assert st.save_buffer_size == st.saved_bytes == 0
b.resume()
assert b.status == "dead" and b.stats.copies_out == b.stats.copies_in == 1


# --------------------------------------------------------------------------------
print("3. copy size grows with the C depth of the suspension point")


def walk(node):
    """Sum a nested list, suspending at every leaf.

    sum() and map() are C code calling back into walk(): each level of nesting puts
    their C frames on the coroutine's stack, above the suspension point.
    """
    if isinstance(node, int):
        suspend()
        return node
    return sum(map(walk, node))


def recurse(n):
    """Plain Python recursion: CPython 3.11 runs it without any new C frame."""
    if n == 0:
        suspend()
        return 0
    return recurse(n - 1) + 1


def nested(depth):
    tree = 1
    for _ in range(depth):
        tree = [tree]
    return tree


def copy_size(fn, arg):
    """Bytes copied out when fn(arg) is suspended and another coroutine runs."""
    probe = Coroutine(fn, arg, stack=stack)
    intruder = Coroutine(suspend, stack=stack)
    probe.resume()
    intruder.resume()          # pushes probe's bytes out
    size = probe.stats.bytes_out
    probe.resume()             # let both finish, so nothing is left suspended
    intruder.resume()
    assert probe.status == intruder.status == "dead"
    return size


# CPython 3.11's specializing interpreter rewrites a call site after it has run a few
# times, and the generic path it takes before that uses more C stack. Warm up first,
# or the first measurements come out larger than the later ones.
for _ in range(3):
    copy_size(walk, nested(3))
    copy_size(recurse, 3)

by_c_depth = [copy_size(walk, nested(depth)) for depth in range(6)]
steps = {later - earlier for earlier, later in zip(by_c_depth, by_c_depth[1:])}
note(f"walk() suspended at nesting depth 0..5 copies {by_c_depth} bytes")
print("    deeper through sum(map(...)) -> bigger copy:",
      all(x < y for x, y in zip(by_c_depth, by_c_depth[1:])))
print("    every level adds the same number of bytes:", len(steps) == 1)
assert all(x < y for x, y in zip(by_c_depth, by_c_depth[1:]))
assert len(steps) == 1
note(f"one level of sum(map(walk, ...)) costs {steps.pop()} bytes of C stack")

by_py_depth = [copy_size(recurse, depth) for depth in (0, 10, 100, 500)]
note(f"recurse() suspended at depth 0, 10, 100, 500 copies {by_py_depth} bytes")
print("    deeper through plain Python calls -> same copy:", len(set(by_py_depth)) == 1)
assert len(set(by_py_depth)) == 1
# So: to keep shared coroutines cheap, suspend close to the bottom of the C stack.
# C levels come from builtins calling back into Python (sorted key=, map, re.sub,
# ...), from operators and properties implemented in Python (__add__, __eq__, ...),
# and from class instantiation (__init__).


# --------------------------------------------------------------------------------
print("4. switch_count(): switches made by this thread")

switch_count = stackful.lowlevel.switch_count


def switches(action):
    before = switch_count()
    action()
    return switch_count() - before


def one_suspend():
    suspend()


def catching():
    try:
        suspend()
    except KeyError:
        pass


def resumed_until_suspend():
    co = Coroutine(one_suspend)
    n = switches(co.resume)
    assert co.status == "suspended"
    co.close()
    return n


def resumed_to_the_end():
    co = Coroutine(one_suspend)
    co.resume()
    return switches(co.resume)


def thrown_into():
    co = Coroutine(catching)
    co.resume()
    return switches(lambda: co.throw(KeyError))


def closed_suspended():
    co = Coroutine(one_suspend)
    co.resume()
    return switches(co.close)


def closed_unstarted():
    return switches(Coroutine(one_suspend).close)


def resumed_dead():
    co = Coroutine(print, end="")
    co.resume()

    def attempt():
        try:
            co.resume()
        except stackful.CoroutineError:
            pass
    return switches(attempt)


def ring_of_transfers():
    # A resumed by the main program, hands over to B, B to C, C returns: the return
    # goes straight to the main program, which resumed A (see 05).
    c = Coroutine(lambda: "C's result")
    b = Coroutine(lambda: stackful.lowlevel.transfer(c))
    a = Coroutine(lambda: stackful.lowlevel.transfer(b))
    n = switches(a.resume)
    for co in (a, b):            # left suspended in transfer(): let them finish
        co.resume()
    return n


table = [
    ("resume() until suspend()", resumed_until_suspend(), 2),
    ("resume() until return", resumed_to_the_end(), 2),
    ("throw() caught, then return", thrown_into(), 2),
    ("close() a suspended coroutine", closed_suspended(), 2),
    ("close() an unstarted coroutine", closed_unstarted(), 0),
    ("resume() a dead one (error)", resumed_dead(), 0),
    ("main->A, A->B, B->C, C returns", ring_of_transfers(), 4),
]
for what, measured, expected in table:
    print(f"    {what:32} {measured} switches")
    assert measured == expected, (what, measured)

# The counter belongs to the thread: another thread starts from zero.
in_thread = []


def other_thread():
    in_thread.append(switch_count())
    Coroutine(one_suspend).resume()      # dropped suspended: closed by its finalizer
    in_thread.append(switch_count())


worker = threading.Thread(target=other_thread)
worker.start()
worker.join()
print("    a new thread: before", in_thread[0], "after", in_thread[1],
      "(resume + suspend, then close: in + out)")
assert in_thread == [0, 4]
print("done")
