"""05 -- Round robin, twice: a deque scheduler, then tasks handing over in a ring.

Cooperative multitasking is what stackful coroutines are for. The tasks here are
ordinary functions that call ``pause()`` whenever they are willing to let the
others run -- directly, from a helper, from a recursive helper at varying depth,
and from inside a ``sorted()`` key function, i.e. with C code between the task and
the pause. None of them is a generator or an ``async def``.

The same four tasks run under two schedulers:

1. **A deque of coroutines** (asymmetric): the main program resumes the task at the
   front; ``pause()`` is ``stackful.suspend()``, which returns to the main program,
   and the task goes to the back of the queue. Two switches per turn.
2. **A ring with ``stackful.lowlevel.transfer``** (symmetric): ``pause()`` hands
   control straight to the next live task in the ring. The main program is only
   involved when a task finishes -- its return value goes to whoever resumed the
   ring, because every transfer passes the resumer on. One switch per turn.

Both produce the same interleaving, which is printed and asserted. The file ends
with why a ring needs ``transfer`` -- tasks can't ``resume()`` each other in a
circle -- and a relay that passes a token 30000 times round a ring of three.
"""

from collections import deque

import stackful
import stackful.lowlevel
from stackful import Coroutine, suspend

transfer = stackful.lowlevel.transfer
switch_count = stackful.lowlevel.switch_count

# --------------------------------------------------------------------------------
# The tasks. They only know pause(); each scheduler decides what it does.

_pause_impl = None
trace = []


def pause():
    """Let the other tasks run; returns when it is this task's turn again."""
    _pause_impl()


def log(task, event):
    trace.append(f"{task:8} {event}")


def sleep(name, turns):
    # A helper that pauses: its caller doesn't have to know, or be rewritten.
    for left in range(turns, 0, -1):
        log(name, f"zzz ({left} to go)")
        pause()


def counter(name, n):
    for i in range(n):
        log(name, f"count {i}")
        pause()
    return f"counted to {n}"


def walker(name, tree):
    # Pauses at every leaf, at whatever depth it is found. sum() over a generator
    # expression is C code calling back into Python at every level, so each pause
    # has a different amount of C stack above it; it is all suspended with the task.
    def visit(node, depth):
        if isinstance(node, int):
            log(name, f"leaf {node} at depth {depth}")
            pause()
            return node
        return sum(visit(child, depth + 1) for child in node)
    return f"sum of leaves {visit(tree, 0)}"


def sorter(name, words):
    # sorted() calls key() for each word, and key() pauses: sorted's C frame waits
    # on this task's stack while the others run.
    def key(word):
        log(name, f"key for {word!r}")
        pause()
        return len(word)
    return f"sorted {sorted(words, key=key)}"


def sleeper(name):
    sleep(name, 3)
    log(name, "wakes up")
    return "rested"


TASKS = [
    ("counter", counter, 3),
    ("walker", walker, [1, [2, [3]]]),
    ("sorter", sorter, ["kiwi", "fig", "banana"]),
    ("sleeper", sleeper),
]


def spawn():
    return [(name, Coroutine(fn, name, *args)) for name, fn, *args in TASKS]


# --------------------------------------------------------------------------------
print("1. a deque of coroutines; pause() is suspend()")


def run_with_deque():
    global _pause_impl
    _pause_impl = suspend
    ready = deque(spawn())
    results = {}
    turns = 0
    while ready:
        name, co = ready.popleft()
        value = co.resume()
        turns += 1
        # resume() came back either from the task's suspend() -- it wants another
        # turn -- or from its return: the status tells which.
        if co.status == "dead":
            results[name] = value
            log(name, "finished")
        else:
            ready.append((name, co))
    return results, turns


before = switch_count()
results, turns = run_with_deque()
deque_switches = switch_count() - before
deque_trace = trace[:]
for line in deque_trace:
    print("   ", line)
for name, value in results.items():
    print(f"    result of {name}: {value}")
assert results == {
    "counter": "counted to 3",
    "walker": "sum of leaves 6",
    "sorter": "sorted ['fig', 'kiwi', 'banana']",
    "sleeper": "rested",
}
# Every turn is a resume() and a suspend() (or a return): two switches.
print(f"    switches: {deque_switches} = {turns} turns x 2")
assert deque_switches == 2 * turns


# --------------------------------------------------------------------------------
print("2. a ring; pause() transfers to the next live task")


def first_live(coroutines, start):
    """The first suspended coroutine from index start on, going round the ring."""
    for step in range(len(coroutines)):
        co = coroutines[(start + step) % len(coroutines)]
        if co.status == "suspended":       # the running task is not: it is skipped
            return co
    return None


def run_with_transfer():
    global _pause_impl
    ring = spawn()
    names = [name for name, _ in ring]
    coroutines = [co for _, co in ring]
    handovers = 0

    def pass_on():
        nonlocal handovers
        nxt = first_live(coroutines, coroutines.index(stackful.current()) + 1)
        if nxt is None:
            return                         # nobody else left: just carry on
        handovers += 1
        # Symmetric transfer: this task stays suspended right here, inside pause(),
        # and the next one runs with *our* resumer as its own. So whichever task
        # returns next returns to the main program's resume() below, however many
        # hands the turn has passed through.
        transfer(nxt)

    _pause_impl = pass_on
    results = {}
    position = 0
    while len(results) < len(ring):
        value = first_live(coroutines, position).resume()
        # The main program gets control back only when some task returned: which?
        finished = [i for i, co in enumerate(coroutines)
                    if co.status == "dead" and names[i] not in results]
        assert len(finished) == 1
        results[names[finished[0]]] = value
        log(names[finished[0]], "finished")
        position = finished[0] + 1         # go on after it, as the deque does
    return results, handovers


trace.clear()
before = switch_count()
ring_results, handovers = run_with_transfer()
ring_switches = switch_count() - before
print("    same interleaving as the deque:", trace == deque_trace)
print("    same results:", ring_results == results)
# One switch per pause() that hands over (none when a task is alone), plus the main
# program's resume() and the task's return, once per task.
print(f"    switches: {ring_switches} = {handovers} handovers + {len(TASKS)} tasks x 2")
assert trace == deque_trace and ring_results == results
assert ring_switches == handovers + 2 * len(TASKS)
assert ring_switches < deque_switches


# --------------------------------------------------------------------------------
print("3. why transfer: resume() can't go round in a circle")


def b_resumes_a(a):
    # A resumed us and waits for us ('normal'): resume() refuses to make a cycle.
    # suspend() would go back to A; transfer() could go to anyone else.
    try:
        a.resume()
    except stackful.CoroutineError as exc:
        return f"{a.status} -> {type(exc).__name__}: {exc}"


def a_resumes_b():
    return Coroutine(b_resumes_a, stackful.current()).resume()


message = Coroutine(a_resumes_b).resume()
print("    B resuming A, which resumed B:", message)
assert message == "normal -> CoroutineError: cannot resume non-suspended coroutine"


# A token passed round a ring of three tasks 30000 times: with transfer the chain
# of waiting contexts never grows, so there is no recursion and no limit.
def relay(ring, position, laps):
    # A transfer to a coroutine that never ran must send None (like its first
    # resume), so each task first waits in suspend() for its first token.
    token = suspend()
    for _ in range(laps):
        token = transfer(ring[(position + 1) % len(ring)], token + 1)
    return token


LAPS = 10_000
ring = []
ring.extend(Coroutine(relay, ring, position, LAPS) for position in range(3))
for co in ring:
    co.resume()                   # start each: it waits for its first token
before = switch_count()
last = ring[0].resume(0)
hops = switch_count() - before
print(f"    a relay of 3 tasks x {LAPS} laps: {hops} switches, last token {last}")
assert last == 3 * LAPS
assert hops == 3 * LAPS + 2       # one per pass, our resume(), ring[0]'s return
for co in ring[1:]:
    co.resume()                   # still waiting in transfer(): let them finish
assert all(co.status == "dead" for co in ring)
print("done")
