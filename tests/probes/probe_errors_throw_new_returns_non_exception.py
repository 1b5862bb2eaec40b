"""throw(Cls) where Cls.__new__ returns something that is not an exception.

Hostile: `class Weird(Exception): __new__ = lambda cls: 42`, thrown by Coroutine.throw,
Generator.throw and lowlevel.transfer(throw=) into suspended coroutines.
Correct: a TypeError (calling Weird() did not make an exception instance), raised
either by the call in the caller (the coroutine stays suspended) or inside the coroutine
at its suspension point, as a Python generator does. Never a SystemError.
"""
import stackful
from stackful import lowlevel

from _probe import check, ok


class Weird(Exception):
    def __new__(cls, *args):
        return 42


def waits():
    try:
        stackful.suspend("waiting")
    except BaseException as e:
        return "inside: " + type(e).__name__
    return "not thrown into"


def outcome(throw, co):
    try:
        return throw()
    except BaseException as e:
        return "caller: %s (coroutine %s)" % (type(e).__name__, co.status)


CORRECT = ("inside: TypeError", "caller: TypeError (coroutine suspended)")

co = stackful.Coroutine(waits)
co.resume()
got = outcome(lambda: co.throw(Weird), co)
check(got in CORRECT, "Coroutine.throw: %s" % got)

@stackful.generator
def waits_in_generator():
    try:
        stackful.emit("waiting")
    except BaseException as e:
        stackful.emit("inside: " + type(e).__name__)


gen = waits_in_generator()
next(gen)
got = outcome(lambda: gen.throw(Weird), gen)
check(got in CORRECT, "Generator.throw: %s" % got)

target = stackful.Coroutine(waits)
target.resume()
# From a coroutine: what the target returns comes back to the main context's resume().
got = stackful.Coroutine(lambda: outcome(lambda: lowlevel.transfer(target, throw=Weird),
                                         target)).resume()
check(got in CORRECT, "transfer(throw=): %s" % got)
ok()
