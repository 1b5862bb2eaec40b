"""repr() of a coroutine whose function's __qualname__ lookup raises or switches.

Hostile: the coroutine's function is a callable object whose __getattr__ computes
__qualname__: by raising AttributeError, by raising KeyboardInterrupt, by returning a
non-string, by resuming the coroutine to its end, and (inside a coroutine being closed)
by suspending.
Correct: AttributeError falls back to the object's repr; KeyboardInterrupt propagates out
of repr() (it is not "no name": swallowing it loses the user's interrupt); a non-string
is shown as its str(); resuming the coroutine meanwhile shows the state after it (dead);
closing a coroutine suspended in the lookup ends it: close() succeeds.
"""
import stackful

from _probe import check, ok


class Named:
    def __init__(self, qualname):
        self.qualname = qualname

    def __getattr__(self, name):
        if name != "__qualname__":
            raise AttributeError(name)
        return self.qualname()

    def __call__(self):
        return stackful.suspend("waiting")


def raise_(exc):
    raise exc


def outcome(co):
    try:
        return repr(co)
    except BaseException as e:
        return type(e).__name__


co = stackful.Coroutine(Named(lambda: raise_(AttributeError("__qualname__"))))
check(outcome(co).startswith("<stackful.Coroutine <") and "Named object" in outcome(co),
      "AttributeError: %s" % outcome(co))
check(outcome(stackful.Coroutine(Named(lambda: raise_(KeyboardInterrupt)))) ==
      "KeyboardInterrupt", "KeyboardInterrupt was swallowed")
check(outcome(stackful.Coroutine(Named(lambda: 42))).startswith("<stackful.Coroutine 42 "),
      "non-string name")
finishes = stackful.Coroutine(Named(lambda: (finishes.resume(), finishes.resume("x"),
                                             "name")[2]))
check(" dead at " in outcome(finishes), "state after the lookup: %s" % outcome(finishes))


def closing_body():
    inner = stackful.Coroutine(Named(lambda: stackful.suspend("in the name lookup")))
    repr(inner)


closing = stackful.Coroutine(closing_body)
check(closing.resume() == "in the name lookup", "suspended in the lookup")
try:
    closing.close()
    got = "closed"
except RuntimeError as e:
    got = "close failed: %s" % e
check(got == "closed" and closing.status == "dead", "%s (status %s)" % (got, closing.status))
ok()
