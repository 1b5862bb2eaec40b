"""A coroutine whose function returns NULL without an exception: builtins.globals.

Hostile: globals() called as a coroutine's function has no Python frame to take globals
from; CPython's C function then returns NULL without setting an exception (a C-level
error that CPython's own calls report as SystemError naming the function).
Correct: Coroutine(globals).resume() returns a dict, or raises an exception that says
what went wrong with globals (e.g. SystemError: <built-in function globals> returned
NULL without setting an exception); the same for a Generator(globals), which must not
end as if it were empty. Never a SystemError blaming resume() or next(), never [].
"""
import stackful

from _probe import check, ok


def outcome(run):
    try:
        result = run()
    except StopIteration as e:
        return "StopIteration(%s)" % type(e.value).__name__
    except BaseException as e:
        return "%s: %s" % (type(e).__name__, e)
    return type(result).__name__


def names_globals(got):
    return got in ("dict", "StopIteration(dict)") or ("globals" in got and "resume" not in got
                                                      and "next" not in got)


got = outcome(stackful.Coroutine(globals).resume)
check(names_globals(got), "Coroutine(globals).resume(): %s" % got)
got = outcome(lambda: next(stackful.Generator(globals)))
check(names_globals(got), "next(Generator(globals)): %s" % got)
ok()
