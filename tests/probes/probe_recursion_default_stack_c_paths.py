"""Runaway recursion through C code in a coroutine on the default stack.

Hostile: unbounded recursion that goes through C code at every level (sorted(key=...),
map, __getattr__, json.dumps(default=...), re.sub with a callable, pickle's __reduce__),
at the recursion limit at which the main thread raises RecursionError (the default 1000
for sorted's key, which costs several KB of C stack per level; 5000 for the others).
Correct: RecursionError in the coroutine, as on the main thread (whose 8 MiB stack holds
these depths); never a stack overflow that kills the process. Each path runs in its own
child process (the failure mode kills it), after the same recursion on the child's main
thread has shown that the path raises RecursionError there (_recursion.py).
"""
from _probe import check, describe, ok, run_child

CHILD = """
import sys
import stackful
from _recursion import attempt

path, limit = sys.argv[1], int(sys.argv[2])
sys.setrecursionlimit(limit)
print("main thread:", attempt(path), flush=True)
print("coroutine:", stackful.Coroutine(attempt, path).resume(), flush=True)
"""

failures = []
for path, limit in [("sorted_key", 1000), ("map", 5000), ("getattr", 5000),
                    ("json_default", 5000), ("re_sub", 5000), ("pickle_reduce", 5000)]:
    proc = run_child("import sys; sys.argv[1:] = %r\n" % [path, str(limit)] + CHILD)
    check("main thread: RecursionError" in proc.stdout,
          "probe invalid: %s on the main thread: %s" % (path, describe(proc)))
    if proc.returncode != 0 or "coroutine: RecursionError" not in proc.stdout:
        failures.append("%s (limit %d): %s" % (path, limit, describe(proc)))
check(not failures, "recursion in a coroutine did not raise RecursionError:\n" +
      "\n".join(failures))
ok()
