"""transfer(target, throw=Cls) where Cls() runs `target` to completion.

Hostile: the exception class's __init__ resumes the target until it is dead, after
transfer() has looked at the target's state but before it switches.
Correct: transfer() raises CoroutineError (the target is dead by the time it would switch);
the coroutine calling it goes on normally. Never a switch into a dead coroutine.
"""
import stackful
from stackful import lowlevel

from _probe import check, expect_raises, ok


def target_body():
    stackful.suspend("target suspended")
    return "target done"


target = stackful.Coroutine(target_body)
check(target.resume() == "target suspended", "target's first suspend")


class FinishesTarget(Exception):
    def __init__(self):
        super().__init__("made while finishing the target")
        while target.status != "dead":
            target.resume()


def driver():
    expect_raises(stackful.CoroutineError, lowlevel.transfer, target, throw=FinishesTarget)
    return "driver done"


check(stackful.Coroutine(driver).resume() == "driver done", "driver's result")
check(target.status == "dead", "target finished by the constructor")
ok()
