"""Symmetric transfer (stackful.lowlevel.transfer) and where suspend returns after it."""

import collections
import threading

import pytest

import stackful
from stackful import Coroutine, CoroutineError, suspend
from stackful import lowlevel
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


def test_finish_to_hands_the_result_to_the_successor():
    log = []
    parent = Coroutine(lambda: log.append(suspend("parent waits")) or "parent done")
    assert parent.resume() == "parent waits"

    def child():
        lowlevel.finish_to(parent)
        return "child result"

    # The parent takes the child's place: its own end comes back to the main context.
    assert Coroutine(child).resume() == "parent done"
    assert log == ["child result"] and parent.status == "dead"


def test_finish_to_raises_the_exception_in_the_successor():
    caught = []

    def parent_body():
        try:
            suspend()
        except KeyError as e:
            caught.append(e.args[0])
        return "handled"

    parent = Coroutine(parent_body)
    parent.resume()

    def child():
        lowlevel.finish_to(parent)
        raise KeyError("from the child")

    assert Coroutine(child).resume() == "handled" and caught == ["from the child"]


def test_finish_to_a_successor_that_cannot_be_entered_goes_to_the_resumer():
    done = Coroutine(lambda: None)
    done.resume()

    def child():
        lowlevel.finish_to(done)           # dead by the time the child finishes
        return "to the resumer"

    assert Coroutine(child).resume() == "to the resumer"

    def finisher():
        lowlevel.finish_to(running)        # running: not enterable
        return "also to the resumer"

    def runs():
        return Coroutine(finisher).resume()

    running = Coroutine(runs)
    assert running.resume() == "also to the resumer"

    def cleared():
        lowlevel.finish_to(done)
        lowlevel.finish_to(None)
        return "cleared"

    assert Coroutine(cleared).resume() == "cleared"


def test_finish_to_a_successor_whose_share_stack_another_coroutine_holds():
    from stackful import ShareStack

    stack = ShareStack()
    parent = Coroutine(lambda: suspend() + 1, stack=stack)
    parent.resume()
    squatter = Coroutine(lambda: suspend(), stack=stack)
    squatter.resume()                       # its bytes are on the stack now

    def child():
        lowlevel.finish_to(parent)
        return 41

    assert Coroutine(child).resume() == 42
    squatter.resume()


def test_finish_to_errors():
    with pytest.raises(CoroutineError, match="outside a coroutine"):
        lowlevel.finish_to(None)
    with pytest.raises(TypeError, match="must be stackful.Coroutine or None"):
        Coroutine(lambda: lowlevel.finish_to(42)).resume()
    with pytest.raises(CoroutineError, match="itself"):
        Coroutine(lambda: lowlevel.finish_to(stackful.current())).resume()

    @stackful.generator
    def gen():
        lowlevel.finish_to(Coroutine(print))

    with pytest.raises(CoroutineError, match="stackful generator"):
        list(gen())
    other = []
    t = threading.Thread(target=lambda: other.append(Coroutine(print)))
    t.start()
    t.join()
    with pytest.raises(CoroutineError, match="another thread"):
        Coroutine(lambda: lowlevel.finish_to(other[0])).resume()


def test_a_cycle_through_a_successor_is_collected():
    import gc
    import weakref

    class Holder:
        pass

    holder = Holder()

    def child(h):
        lowlevel.finish_to(h.parent)
        suspend()

    parent = Coroutine(suspend)
    parent.resume()
    holder.parent = parent
    holder.child = Coroutine(child, holder)
    holder.child.resume()
    alive = weakref.ref(holder)
    del holder, parent
    gc.collect()
    assert alive() is None


def test_current_context_is_the_object_itself():
    import contextvars

    var = contextvars.ContextVar("var", default=0)
    ctx = lowlevel.current_context()
    assert isinstance(ctx, contextvars.Context)
    assert lowlevel.current_context() is ctx
    Coroutine(lambda: var.set(42), context=ctx).resume()
    assert var.get() == 42                  # shared, not a copy
    var.set(0)
    seen = []
    t = threading.Thread(target=lambda: seen.append(lowlevel.current_context()))
    t.start()
    t.join()
    assert isinstance(seen[0], contextvars.Context) and seen[0] is not ctx


def test_finish_to_an_unstarted_successor_starts_it():
    log = []

    def parent_body(*args, **kwargs):
        log.append((args, kwargs))
        return "parent done"

    parent = Coroutine(parent_body, 1, key=2)

    def child():
        lowlevel.finish_to(parent)
        return "dropped"

    # The parent starts with its own arguments and its end goes to the child's resumer.
    assert Coroutine(child).resume() == "parent done"
    assert log == [((1,), {"key": 2})] and parent.status == "dead"


def test_an_exception_finishing_into_an_unstarted_successor_ends_it_unrun():
    ran = []
    parent = Coroutine(lambda: ran.append(1))

    def child():
        lowlevel.finish_to(parent)
        raise KeyError("from the child")

    with pytest.raises(KeyError, match="from the child"):
        Coroutine(child).resume()
    assert ran == [] and parent.status == "dead"


def test_a_coroutines_context_is_readable_and_replaceable():
    import contextvars

    var = contextvars.ContextVar("var", default="unset")
    mine = contextvars.Context()
    mine.run(var.set, "mine")

    def body():
        assert co.context is lowlevel.current_context()
        co.context = None                    # running: a fresh one on first use
        assert var.get() == "unset" and co.context is None
        var.set("fresh")
        assert co.context[var] == "fresh"
        suspend()
        return var.get()

    co = Coroutine(body)
    assert isinstance(co.context, contextvars.Context)        # unstarted: a copy
    co.resume()
    assert co.context[var] == "fresh"                          # suspended: its own
    co.context = mine
    assert co.resume() == "mine" and co.status == "dead"
    assert co.context is None
    with pytest.raises(CoroutineError, match="cannot set the context of dead coroutine"):
        co.context = mine
    unstarted = Coroutine(var.get)
    unstarted.context = mine
    assert unstarted.resume() == "mine"
    none_yet = Coroutine(var.get)
    none_yet.context = None
    assert none_yet.context is None and none_yet.resume() == "unset"


def test_context_assignment_errors():
    import contextvars

    co = Coroutine(suspend)
    with pytest.raises(TypeError, match="must be a contextvars.Context or None, not dict"):
        co.context = {}
    with pytest.raises(AttributeError, match="cannot delete"):
        del co.context
    with pytest.raises(TypeError, match="must be a contextvars.Context or None, not int"):
        lowlevel.set_current_context(1)

    started = threading.Event()
    release = threading.Event()
    holder = []

    def in_thread():
        holder.append(Coroutine(lambda: (started.set(), release.wait(10))))
        holder[0].resume()

    t = threading.Thread(target=in_thread)
    t.start()
    started.wait(10)
    try:
        with pytest.raises(CoroutineError, match="running in another thread"):
            holder[0].context
        with pytest.raises(CoroutineError, match="running in another thread"):
            holder[0].context = contextvars.Context()
    finally:
        release.set()
        t.join()


def test_set_current_context_replaces_the_running_context():
    import contextvars

    var = contextvars.ContextVar("var", default="unset")
    before = lowlevel.current_context()
    other = contextvars.Context()
    try:
        lowlevel.set_current_context(other)
        assert lowlevel.current_context() is other
        var.set("other")
        lowlevel.set_current_context(None)
        assert var.get() == "unset"
        assert lowlevel.current_context() is not other
    finally:
        lowlevel.set_current_context(before)
    assert var.get() == "unset" and other[var] == "other"
