"""A thread's first coroutine when memory runs out during the thread's stackful set-up.

Hostile: before the main thread has used stackful (no thread-state dict, no stackful
state yet), _testcapi.set_nomemory(k, k + 1) makes the k-th allocation fail while
Coroutine() is called (which sets up the thread's state: the thread-state dict and its
entry, the thread object, its helper and signal stacks), for k = 0, 1, 2, ... until the
call succeeds and the thread is set up (with the free list of dicts emptied first, so
that making the thread-state dict allocates).
Correct: every failing call raises MemoryError (never another exception type that
hides the cause, such as RuntimeError); then coroutines work.
"""
import stackful

from _probe import check, ok, skip

try:
    import _testcapi
except ImportError:
    skip("this CPython has no _testcapi (set_nomemory)")

outcomes = []
dicts = [{} for _ in range(200)]      # empties the dict free list: new dicts are allocated
for k in range(50):
    _testcapi.set_nomemory(k, k + 1)
    try:
        stackful.Coroutine(int)
        outcome = "created"
    except BaseException as e:
        outcome = type(e).__name__
    finally:
        _testcapi.remove_mem_hooks()
    outcomes.append(outcome)
    if outcome == "created" and outcomes.count("created") == 3:
        break
check(set(outcomes) == {"MemoryError", "created"}, "outcomes for k = 0, 1, ...: %r" % outcomes)
check(stackful.Coroutine(lambda: "works").resume() == "works", "afterwards")
ok()
