"""Ordinary Python code on the documented minimum stack, ShareStack(4096).

Hostile: the smallest stack the API accepts (ShareStack(size) gives at least 4096 bytes)
running everyday code: print(), a first `import json` and its use, str.format, sorted
with a key, re.sub with a callable, and a suspend in the middle.
Correct: all of it runs and gives the right results (a minimum must run ordinary Python
code; the stack may be larger than asked for). Never a stack overflow.
"""
import io
import sys

import stackful

from _probe import check, ok


def everyday():
    out = io.StringIO()
    print("hello", 42, file=out)
    import json
    text = json.dumps({"a": [1, 2.5, None]}, sort_keys=True)
    formatted = "{:>5}|{!r}".format("x", [1])
    ordered = sorted(["bb", "a", "ccc"], key=len)
    import re
    replaced = re.sub(r"\d", lambda m: str(int(m.group()) * 2), "a1b2")
    got = stackful.suspend("halfway")
    return out.getvalue(), json.loads(text), formatted, ordered, replaced, got


check("json" not in sys.modules, "probe invalid: json already imported")
co = stackful.Coroutine(everyday, stack=stackful.ShareStack(4096))
check(co.stack.size >= 4096, "stack size %d" % co.stack.size)
check(co.resume() == "halfway", "first suspend")
check(co.resume("back") == ("hello 42\n", {"a": [1, 2.5, None]}, "    x|[1]",
                             ["a", "bb", "ccc"], "a2b4", "back"), "results")
ok()
