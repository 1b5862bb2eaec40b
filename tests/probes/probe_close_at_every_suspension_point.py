"""close() and throw() of a coroutine or generator suspended inside every construct.

Hostile: for each place in _places.PLACES (a direct suspend, callbacks of C code such as
sorted(key=), map, re.sub, json, dict lookups' __eq__/__hash__, dunder methods called by
the interpreter, class creation, generators, with-blocks, imports, __del__ and weakref
callbacks, ...), a coroutine suspends there (a stackful generator emits there); it is then
closed (close()), or thrown into (throw(KeyError)), or resumed (next()) to its end.
Correct: close() returns None, the coroutine is dead and its finally block ran; throw()
raises that KeyError out of it (dead, finally ran), except where the place swallows
exceptions (__del__, weakref callbacks print them as unraisable and go on: then it simply
finishes); resuming finishes it normally (a generator: StopIteration).
"""
import itertools
import sys

import stackful

import _places
from _probe import check, ok, unraisables

SWALLOWS = {"__del__", "weakref callback"}
finally_ran = []


def body(place, pause):
    try:
        _places.PLACES[place](lambda: pause("paused"))
        return "finished"
    finally:
        finally_ran.append(place)


KINDS = {
    "coroutine": (lambda place: stackful.Coroutine(body, place, stackful.suspend),
                  lambda co: co.resume(), "finished"),
    "generator": (lambda place: stackful.Generator(body, place, stackful.emit),
                  next, "StopIteration"),
}


def outcome(op):
    try:
        return op()
    except BaseException as e:
        return type(e).__name__


with unraisables():
    for (kind, (make, resume, finished)), place in itertools.product(KINDS.items(),
                                                                    _places.PLACES):
        print(kind, "at:", place, file=sys.stderr, flush=True)
        for action in ("close", "throw", "resume"):
            finally_ran.clear()
            co = make(place)
            check(resume(co) == "paused", "%s at %s: first resume" % (kind, place))
            if action == "close":
                got, want = outcome(co.close), None
            elif action == "throw":
                got = outcome(lambda: co.throw(KeyError))
                want = finished if place in SWALLOWS else "KeyError"
            else:
                got, want = outcome(lambda: resume(co)), finished
            check((got, co.status, finally_ran) == (want, "dead", [place]),
                  "%s at %s, %s: got %r, status %s, finally ran: %r" % (
                      kind, place, action, got, co.status, finally_ran))
ok()
