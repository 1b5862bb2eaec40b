"""A coroutine suspends inside repr() of a list, and another context calls repr of it.

Hostile: coroutine A is suspended inside repr(L) (an element's __repr__ suspends); while
it waits, the main context and coroutine B call repr(L) and repr of a dataclass holding L.
Correct: repr's recursion guard is per context: those reprs are the full, ordinary text
(not '[...]' or '...', which mean "L contains itself"); A then finishes with its own
full repr.
"""
import dataclasses

import stackful

from _probe import check, ok


class Pauses:
    def __init__(self):
        self.pause = False

    def __repr__(self):
        if self.pause and stackful.in_coroutine():
            stackful.suspend("inside repr")
        return "P"


@dataclasses.dataclass
class Box:
    items: list


element = Pauses()
L = [element, 1]
box = Box(L)
element.pause = True
a = stackful.Coroutine(repr, L)
check(a.resume() == "inside repr", "A suspended inside repr(L)")
element.pause = False
check(repr(L) == "[P, 1]", "main context's repr(L) while A waits: %r" % repr(L))
check(repr(box) == "Box(items=[P, 1])", "main context's dataclass repr: %r" % repr(box))
b_repr = stackful.Coroutine(repr, L).resume()
check(b_repr == "[P, 1]", "coroutine B's repr(L) while A waits: %r" % b_repr)
check(a.resume() == "[P, 1]", "A's repr")
ok()
