"""Symmetric transfer (stackful.lowlevel.transfer) and where suspend returns after it."""

import collections

import pytest

import stackful
from stackful import Coroutine, CoroutineError, suspend
from stackful.lowlevel import transfer


def test_transfer_hands_on_the_resumer():
    log = []

    def a():
        log.append("a starts")
        got = transfer(cb)
        log.append(("a resumed with", got))
        return "a done"

    def b():
        log.append("b starts")
        got = suspend("b suspends")       # returns to main, not to a
        log.append(("b resumed with", got))
        transfer(ca, "from b")
        log.append("unreachable: b is never resumed again")

    ca, cb = Coroutine(a), Coroutine(b)
    assert ca.resume() == "b suspends"
    assert ca.status == "suspended" and cb.status == "suspended"
    # Resuming b makes main its resumer; b transfers to a; a finishes: main gets it.
    assert cb.resume("hi") == "a done"
    assert ca.status == "dead" and cb.status == "suspended"
    assert log == ["a starts", "b starts", ("b resumed with", "hi"),
                   ("a resumed with", "from b")]
    cb.close()


def test_transfer_from_main_is_resume():
    co = Coroutine(lambda: suspend("x"))
    assert transfer(co) == "x"
    assert co.status == "suspended"
    assert transfer(co, 5) == 5


def test_ring_of_transfers_runs_in_constant_space():
    n, rounds = 10, 1000
    counts = [0] * n
    ring = []

    def member(i):
        while True:
            counts[i] += 1
            if i == n - 1 and counts[i] == rounds:
                return "ring done"
            transfer(ring[(i + 1) % n])

    ring.extend(Coroutine(member, i, stack=stackful.ShareStack()) for i in range(n))
    assert ring[0].resume() == "ring done"
    assert counts == [rounds] * n
    for co in ring:
        co.close()


def test_round_robin_scheduler_with_suspend():
    ready = collections.deque()
    out = []

    def task(name, steps):
        for i in range(steps):
            out.append((name, i))
            suspend()

    for name, steps in (("a", 3), ("b", 1), ("c", 2)):
        ready.append(Coroutine(task, name, steps))
    while ready:
        co = ready.popleft()
        co.resume()
        if co.status != "dead":
            ready.append(co)
    assert out == [("a", 0), ("b", 0), ("c", 0), ("a", 1), ("c", 1), ("a", 2)]


def test_transfer_errors():
    with pytest.raises(TypeError):
        transfer(42)
    dead = Coroutine(lambda: None)
    dead.resume()
    with pytest.raises(CoroutineError, match="^cannot transfer to dead coroutine$"):
        transfer(dead)

    def to_self():
        transfer(stackful.current())

    with pytest.raises(CoroutineError, match="^cannot transfer to non-suspended coroutine$"):
        Coroutine(to_self).resume()

    outer = None

    def to_normal():
        transfer(outer)

    outer = Coroutine(lambda: Coroutine(to_normal).resume())
    with pytest.raises(CoroutineError, match="^cannot transfer to non-suspended coroutine$"):
        outer.resume()
    with pytest.raises(TypeError, match="just-started"):
        transfer(Coroutine(print), 1)
    with pytest.raises(TypeError, match="not both"):
        transfer(Coroutine(print), 1, throw=ValueError)


def test_transfer_argument_parsing():
    """transfer() parses its arguments by hand (a fast call): the same errors as a
    signature transfer(target, value=None, *, throw=None) would give."""
    with pytest.raises(TypeError, match="missing required argument 'target'"):
        transfer()
    with pytest.raises(TypeError, match="at most 2 positional arguments"):
        transfer(Coroutine(print), None, None)
    with pytest.raises(TypeError, match="argument 1 must be stackful.Coroutine, not int"):
        transfer(42)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        transfer(Coroutine(print), bogus=1)
    with pytest.raises(TypeError, match="multiple values for argument 'value'"):
        transfer(Coroutine(print), None, value=None)
    with pytest.raises(TypeError, match="multiple values for argument 'target'"):
        transfer(Coroutine(print), target=None)
    with pytest.raises(TypeError, match="missing required argument 'target'"):
        transfer(value=1)
    # Every parameter but throw can come by position or by keyword.
    got = []

    def body():
        got.append(stackful.suspend())

    co = Coroutine(body)
    transfer(target=co)            # from the main context: a resume; it suspends
    transfer(co, value="v")
    assert got == ["v"] and co.status == "dead"
    co = Coroutine(stackful.suspend)
    co.resume()
    with pytest.raises(KeyError):
        transfer(co, throw=KeyError)


def test_transfer_throw():
    def catcher():
        try:
            suspend("ready")
        except ValueError as e:
            return "caught " + str(e)

    co = Coroutine(catcher)
    co.resume()
    assert transfer(co, throw=ValueError("v")) == "caught v"

    fresh = Coroutine(print)
    with pytest.raises(KeyError):
        transfer(fresh, throw=KeyError)
    assert fresh.status == "dead"


def test_transfer_to_coroutine_of_another_thread():
    import threading

    box = []
    th = threading.Thread(target=lambda: box.append(Coroutine(print)))
    th.start()
    th.join()
    with pytest.raises(CoroutineError, match="another thread"):
        transfer(box[0])


def test_transferred_away_coroutine_can_be_resumed_later():
    def a():
        x = transfer(cb)
        return ("a got", x)

    def b():
        return "b finished"

    ca, cb = Coroutine(a), Coroutine(b)
    assert ca.resume() == "b finished"   # b took a's place; its return came to main
    assert ca.status == "suspended"
    assert ca.resume("late") == ("a got", "late")


def test_coroutine_freed_on_arrival_is_closed_from_the_landing():
    """A coroutine that joined the chain by transfer() and that nothing else references
    is freed when it suspends back to the main context: the chain's reference is dropped
    on arrival (in the landing that finishes the switch), its finalizer closes it -- a
    switch into it and back, nested inside that landing -- and only then does resume()
    return."""
    log = []

    def doomed(box):
        try:
            # The coroutine that transferred to us holds us on its evaluation stack
            # (transfer()'s argument): close it, and only the chain holds us.
            box.pop().close()
            suspend("from doomed")
            log.append("resumed: must not happen")
        finally:
            log.append("doomed closed")

    def hands_over(box):
        box.append(stackful.current())
        transfer(Coroutine(doomed, box))

    for _ in range(100):                # and many times: nothing leaks or crashes
        log.clear()
        co = Coroutine(hands_over, [])
        assert co.resume() == "from doomed"
        assert log == ["doomed closed"]
        assert co.status == "dead"
