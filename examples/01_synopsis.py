"""01 -- Synopsis: the whole stackful API on one page.

A stackful coroutine runs a function on a C stack of its own, so it can pause --
``stackful.suspend(value)`` -- from *any* call depth: a helper three calls down, or a
Python callback that C code such as ``sorted()`` or ``re.sub()`` is in the middle of
calling. ``co.resume(value)`` continues it later. Nothing between the coroutine's
function and the ``suspend()`` call has to be a generator or an ``async def``; that
is what generators and asyncio cannot do, and why this library exists.

What this file shows, in order:

1. create a Coroutine, resume it, suspend it: values travel both ways, and the
   function's return value is what the last ``resume()`` returns;
2. suspend from a nested helper: an ordinary function, not a generator;
3. suspend from inside C code that calls back into Python (``sorted``, ``re.sub``);
4. the four statuses, ``current()`` and ``in_coroutine()``;
5. what a Coroutine tells about itself: ``function``, ``frame``, ``stack``;
6. ``throw()`` and ``close()`` in one breath (04_errors.py has the details);
7. a ShareStack of your own, ``co.stats`` and ``stackful.lowlevel.transfer()`` in
   a few lines: 02 and 03 are about share stacks and their statistics, 05 about
   scheduling with ``transfer``.

Run it with ``python examples/01_synopsis.py``. Every claim the output makes is also
asserted, so a change in the library's behaviour makes this script fail.
"""

import linecache
import re

import stackful
import stackful.lowlevel
from stackful import Coroutine, suspend

# --------------------------------------------------------------------------------
print("1. resume / suspend: values both ways, then the return value")


def averager(label, *, unit):
    # Nothing runs at Coroutine(...) time: the first resume() calls averager(...)
    # and runs it up to the first suspend().
    total = count = 0
    # suspend(x) pauses here and makes the pending resume() return x. When someone
    # calls resume(y) later, this suspend() call returns y.
    value = suspend(f"{label}: ready")
    while value is not None:
        total += value
        count += 1
        value = suspend(f"{label}: average {total / count}{unit}")
    # A return ends the coroutine; the value comes out of the last resume().
    return f"{label}: done after {count} values"


# Extra positional and keyword arguments are passed on to the function. The names
# `stack` and `context` are reserved for Coroutine itself (see 02).
co = Coroutine(averager, "temps", unit="C")
replies = [co.resume()]          # the first resume must send None: nothing waits yet
replies.append(co.resume(10))
replies.append(co.resume(20))
replies.append(co.resume(None))  # our protocol: None means "no more values"
for reply in replies:
    print("   ", reply)
assert replies == ["temps: ready", "temps: average 10.0C", "temps: average 15.0C",
                   "temps: done after 2 values"]
assert co.status == "dead"       # it returned: it can't be resumed again (see 04)


# --------------------------------------------------------------------------------
print("2. suspend from a nested helper")


def ask(question):
    # An ordinary function. suspend() pauses the *whole* coroutine -- ask(), its
    # caller, its caller's caller -- not just this frame, as a generator's yield would.
    return suspend(question)


def interview():
    name = ask("name?")
    year = ask("year of birth?")
    return f"{name}, born {year}"


def drive(co, answer):
    """Run co to the end, answering every value it suspends with answer(value).

    The loop every driver of a coroutine has: the status says whether the last
    resume() came back from a suspend() (still 'suspended') or from a return ('dead').
    """
    value = co.resume()
    while co.status == "suspended":
        value = co.resume(answer(value))
    return value


asked = []
answers = {"name?": "Ada", "year of birth?": 1815}
result = drive(Coroutine(interview), lambda q: asked.append(q) or answers[q])
print("    asked:", asked)
print("    result:", result)
assert asked == ["name?", "year of birth?"] and result == "Ada, born 1815"


# --------------------------------------------------------------------------------
print("3. suspend from inside C code that calls back into Python")


def sort_by_oracle(words):
    # sorted() is C code, and it calls key= once per word. Our key function suspends
    # the coroutine *in the middle of sorted()*: sorted's C frame waits on the
    # coroutine's own stack until we resume, then carries on sorting. The main program
    # decides the keys. With generators this needs sorted() to be rewritten.
    return sorted(words, key=lambda word: ask(("key for", word)))


keys_asked = []


def oracle(question):
    keys_asked.append(question[1])
    return len(question[1])      # sort by length


result = drive(Coroutine(sort_by_oracle, ["pear", "fig", "banana"]), oracle)
print("    sorted() asked for keys of:", keys_asked)
print("    result:", result)
assert keys_asked == ["pear", "fig", "banana"] and result == ["fig", "pear", "banana"]


def fill_in(template):
    # The same with re.sub(): the C regex engine calls our replacement function for
    # each match, and each call suspends until the main program supplies the text.
    return re.sub(r"\{(\w+)\}", lambda match: ask(("value of", match[1])), template)


values = {"who": "Ada", "what": "the Analytical Engine"}
result = drive(Coroutine(fill_in, "{who} wrote about {what}."), lambda q: values[q[1]])
print("    result:", result)
assert result == "Ada wrote about the Analytical Engine."


# --------------------------------------------------------------------------------
print("4. statuses: suspended, running, normal, dead")

seen = {}


def inner():
    # current() is the Coroutine running this code; the one that resumed us waits
    # in resume(), and its status says so: 'normal'.
    seen["inner, itself"] = stackful.current().status
    seen["inner, outer"] = outer.status
    seen["inner, in_coroutine()"] = stackful.in_coroutine()


def outer_fn():
    child = Coroutine(inner)
    child.resume()               # coroutines can resume coroutines: they nest
    return child.status


outer = Coroutine(outer_fn)
seen["main, outer before"] = outer.status   # not started yet counts as 'suspended'
seen["main, child after"] = outer.resume()
seen["main, outer after"] = outer.status
seen["main, current()"] = stackful.current()          # the main program is no coroutine
seen["main, in_coroutine()"] = stackful.in_coroutine()
for who, status in seen.items():
    print(f"    {who:24} {status}")
assert seen == {
    "main, outer before": "suspended",
    "inner, itself": "running",
    "inner, outer": "normal",
    "inner, in_coroutine()": True,
    "main, child after": "dead",
    "main, outer after": "dead",
    "main, current()": None,
    "main, in_coroutine()": False,
}


# --------------------------------------------------------------------------------
print("5. introspection: function, frame, stack")

co = Coroutine(interview)
assert co.frame is None          # no frame before it starts
co.resume()
# co.frame is the top Python frame of a suspended coroutine: where it waits. The
# f_back chain ends at the coroutine's function: its frames are its own, not the
# main program's (a traceback out of resume() shows both, see 04).
chain = []
frame = co.frame
while frame is not None:
    source = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    chain.append(f"{frame.f_code.co_name}(): {source}")
    frame = frame.f_back
print("    function:", co.function.__name__)
print("    paused at:")
for line in chain:
    print("       ", line)
assert co.function is interview
assert chain == ["ask(): return suspend(question)", 'interview(): name = ask("name?")']
# A coroutine created without stack= runs on one of its thread's default share
# stacks (16 of them, dealt round-robin; as large as a thread's stack, 8 MiB of address
# space or more, of which only what is touched costs memory).
defaults = {Coroutine(print).stack for _ in range(64)}
print("    stack: at least 8 MiB:", co.stack.size >= 8 << 20, "- one of the thread's",
      len(defaults), "default stacks:", co.stack in defaults)
assert co.stack.size >= 8 << 20 and co.stack in defaults and len(defaults) == 16


# --------------------------------------------------------------------------------
print("6. throw() and close()")

cleanups = []


def careful():
    try:
        ask("go on?")
    except KeyError as exc:
        # throw() raised KeyError where the coroutine waits, i.e. inside ask().
        return f"caught {exc!r} at the suspension point"
    finally:
        cleanups.append("finally ran")


co = Coroutine(careful)
co.resume()
result = co.throw(KeyError("no"))
print("    throw() returned:", result, "--", cleanups.pop())
assert result == "caught KeyError('no') at the suspension point" and co.status == "dead"

# close() abandons a suspended coroutine cleanly: it raises stackful.CoroutineExit at
# the suspension point, so that finally blocks and with statements run. It is a
# BaseException, like GeneratorExit, so `except Exception` doesn't swallow it.
co = Coroutine(careful)
co.resume()
result = co.close()
print("    close() returned:", result, "--", cleanups.pop())
assert result is None and co.status == "dead"

# A suspended coroutine that is simply dropped is closed the same way, by its
# finalizer, so its cleanup never silently disappears.
co = Coroutine(careful)
co.resume()
del co
print("    dropped while suspended --", cleanups.pop())
assert cleanups == []


# --------------------------------------------------------------------------------
print("7. share stacks, statistics, symmetric transfer")

# Two coroutines on one ShareStack of our choosing take turns on it: whenever one is
# resumed while the other's suspended bytes are on it, those are copied out and its
# own copied back in. co.stats counts that (02 and 03 explain it in depth).
stack = stackful.ShareStack(64 * 1024)


def first():
    return "first got " + suspend("first waits")


def second():
    # transfer() goes straight to `a`, without passing through the main program:
    # a's suspend() returns our value, and a's return goes to whoever resumed *us*.
    stackful.lowlevel.transfer(a, "a note from second")
    return "second finished"


a = Coroutine(first, stack=stack)
b = Coroutine(second, stack=stack)
a.resume()
result = b.resume()              # b runs, transfers to a, a returns: here it comes
print("    b.resume() returned:", result)
print("    a:", a.status, "/ b:", b.status, "(left waiting in transfer())")
assert result == "first got a note from second"
assert (a.status, b.status) == ("dead", "suspended")
assert b.resume() == "second finished"
print("    copies out: a", a.stats.copies_out, "b", b.stats.copies_out,
      "/ owner changes of the stack:", stack.owner_changes)
assert a.stats.copies_out == b.stats.copies_out == 1 and stack.owner_changes == 4
print("done")
