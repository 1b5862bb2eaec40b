"""transfer(B, throw=Cls) where Cls() suspends the caller, and B resumes it.

Hostile: coroutine A calls transfer(B, throw=Cls); Cls.__init__ suspends A; the main
context resumes B, and B resumes A, so when A's transfer() goes on, B is `normal` (it is
waiting in resume() for A).
Correct: A's transfer() raises CoroutineError (cannot transfer to a normal coroutine); A
and B then finish normally with the results below. Never a switch into a coroutine that is
on the chain of waiting contexts.
"""
import stackful
from stackful import lowlevel

from _probe import check, expect_raises, ok


class SuspendsCaller(Exception):
    def __init__(self):
        super().__init__()
        stackful.suspend("A suspended inside the constructor")


def a_body():
    expect_raises(stackful.CoroutineError, lowlevel.transfer, b, throw=SuspendsCaller)
    return "A done"


def b_body():
    return ("B got", a.resume())


a = stackful.Coroutine(a_body)
b = stackful.Coroutine(b_body)
check(a.resume() == "A suspended inside the constructor", "A's suspend in the constructor")
check(b.resume() == ("B got", "A done"), "B resumed A to its end")
check((a.status, b.status) == ("dead", "dead"), "both finished")
ok()
