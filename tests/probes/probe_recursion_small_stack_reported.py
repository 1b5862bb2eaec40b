"""Runaway recursion through C code in a coroutine on a small ShareStack (64 KiB).

Hostile: unbounded recursion through C code (sorted(key=...), map, __getattr__, json,
re.sub, pickle, and a plain Python recursion) on a stack far too small for the recursion
limit.
Correct: RecursionError in the coroutine (3.14 checks the C stack; a fix may do so on every
version), or else the documented overflow report: the process dies of SIGSEGV after
writing "stackful: stack overflow in coroutine attempt (its ShareStack has 65536 bytes)"
(under ASan: then ASan's stack-overflow report and abort). Never a crash without the report, and never anything else. One child process per path.
"""
from _probe import check, describe, ok, overflow_reported, run_child

CHILD = """
import json, pickle, re, sys
import stackful

def sorted_key(x):
    return sorted([x], key=sorted_key)

def map_(x):
    return list(map(map_, [x]))

class Attr:
    def __getattr__(self, name):
        return getattr(self, name + "x")

class Obj:
    pass

def json_default(o):
    return json.dumps(Obj(), default=json_default)

def re_sub(m):
    return re.sub("a", re_sub, "a")

class Reduce:
    def __reduce__(self):
        return (list, ([Reduce()],))

def python(n):
    return python(n + 1)

PATHS = {
    "sorted_key": lambda: sorted_key(0),
    "map": lambda: map_(0),
    "getattr": lambda: Attr().a,
    "json_default": lambda: json_default(None),
    "re_sub": lambda: re_sub(None),
    "pickle_reduce": lambda: pickle.dumps(Reduce()),
    "python": lambda: python(0),
}

def attempt(path):
    try:
        PATHS[path]()
    except RecursionError:
        return "RecursionError"
    return "returned"

sys.setrecursionlimit(5000)
co = stackful.Coroutine(attempt, sys.argv[1], stack=stackful.ShareStack(64 * 1024))
print("coroutine:", co.resume(), flush=True)
"""

REPORT = ("stackful: stack overflow in coroutine attempt (its ShareStack has 65536 bytes); "
          "use a larger ShareStack")

failures = []
for path in ["sorted_key", "map", "getattr", "json_default", "re_sub", "pickle_reduce",
             "python"]:
    proc = run_child("import sys; sys.argv[1:] = [%r]\n" % path + CHILD)
    raised = proc.returncode == 0 and proc.stdout.strip() == "coroutine: RecursionError"
    reported = overflow_reported(proc, REPORT)
    if not (raised or reported):
        failures.append("%s: %s" % (path, describe(proc)))
check(not failures, "neither RecursionError nor the overflow report:\n" + "\n".join(failures))
ok()
