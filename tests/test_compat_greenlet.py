"""stackful.compat.greenlet: its public names, and the behaviours the brief names, with
their failure paths (greenlet's own suite runs in test_greenlet_suite.py)."""

import contextvars
import gc
import sys
import threading
import types

import pytest

import stackful
import stackful.compat
from stackful.compat import greenlet as G
from stackful.compat.greenlet import GreenletExit, error, getcurrent, greenlet

NAMES = {"GREENLET_USE_CONTEXT_VARS", "GREENLET_USE_GC", "GREENLET_USE_TRACING",
         "GreenletExit", "error", "getcurrent", "gettrace", "greenlet", "install",
         "settrace"}


def public(module):
    return {n for n in dir(module) if not n.startswith("_")
            and not isinstance(getattr(module, n), types.ModuleType)}


def test_public_names():
    assert set(G.__all__) == NAMES
    assert public(G) == NAMES
    assert stackful.compat.__all__ == ["greenlet"]
    assert public(stackful.compat) == set()        # the layer is imported as a module


def test_names_are_greenlets_where_greenlet_is_installed():
    real = pytest.importorskip("greenlet")
    if real is G:
        pytest.skip("installed in this process")
    assert NAMES - {"install"} <= public(real)


def test_switch_argument_conventions():
    main = getcurrent()
    received = []

    def run(*args, **kwargs):
        received.append((args, kwargs))
        received.append(main.switch())
        received.append(main.switch(1))
        received.append(main.switch(1, 2))
        received.append(main.switch(k=3))
        received.append(main.switch(4, k=5))
        return "end"

    g = greenlet(run)
    assert g.switch(7, k=8) == ()
    assert g.switch("a") == 1
    assert g.switch() == (1, 2)
    assert g.switch(1, 2) == {"k": 3}
    assert g.switch(k=1) == ((4,), {"k": 5})
    assert g.switch(x=9, y=10) == "end"
    assert received == [((7,), {"k": 8}), "a", (), (1, 2), {"k": 1}, {"x": 9, "y": 10}]
    assert g.dead and not g


def test_run_keywords_named_like_coroutine_options_reach_run():
    def run(stack, context):
        return stack, context
    assert greenlet(run).switch(stack=1, context=2) == (1, 2)


def test_exception_goes_to_the_parent_with_its_traceback():
    def deep():
        raise KeyError("x")

    def run():
        deep()

    with pytest.raises(KeyError) as info:
        greenlet(run).switch()
    names = [f.name for f in info.traceback]
    assert "run" in names and "deep" in names


def test_finished_greenlet_returns_to_parent_not_to_the_switcher():
    main = getcurrent()
    order = []

    def parent_body():
        order.append(("parent got", main.switch("parent ready")))
        return "parent done"

    parent = greenlet(parent_body)
    assert parent.switch() == "parent ready"
    child = greenlet(lambda: "child result", parent=parent)
    assert child.switch() == "parent done"
    assert order == [("parent got", "child result")]


def test_parent_rules_and_errors():
    g1, g2 = greenlet(lambda: None), greenlet(lambda: None)
    g1.parent = g2
    with pytest.raises(ValueError, match="^cyclic parent chain$"):
        g2.parent = g1
    with pytest.raises(TypeError, match="Expected any type of greenlet, not int"):
        g1.parent = 1
    with pytest.raises(AttributeError, match="cannot set the parent of a main greenlet"):
        getcurrent().parent = g1
    with pytest.raises(AttributeError):
        del g1.parent
    assert getcurrent().parent is None


def test_run_settable_before_start_only():
    g = greenlet()
    with pytest.raises(AttributeError, match="run"):
        g.switch()
    g.run = lambda: getcurrent().parent.switch("running")
    assert g.switch() == "running"
    with pytest.raises(AttributeError, match="after the start"):
        g.run = print
    assert not hasattr(g, "run")
    g.throw()
    assert g.dead


def test_throw_forms_and_bad_input():
    def run():
        try:
            getcurrent().parent.switch()
        except ValueError as e:
            return "caught %s" % e
    g = greenlet(run)
    g.switch()
    assert g.throw(ValueError, "v") == "caught v"
    with pytest.raises(TypeError, match="exceptions must be classes, or instances, not str"):
        getcurrent().throw("abc")
    with pytest.raises(TypeError, match="may not have a separate value"):
        getcurrent().throw(ValueError(), 1)
    with pytest.raises(TypeError, match="third argument must be a traceback"):
        getcurrent().throw(ValueError, None, 5)
    unstarted = greenlet(lambda: None)
    with pytest.raises(IndexError):
        unstarted.throw(IndexError)
    assert unstarted.dead


def test_throw_greenletexit_kills_and_returns_it():
    g = greenlet(lambda: getcurrent().parent.switch())
    g.switch()
    res = g.throw()
    assert isinstance(res, GreenletExit) and g.dead


def test_collected_suspended_greenlet_gets_greenletexit_and_its_finally_runs():
    seen = []

    def run():
        try:
            getcurrent().parent.switch()
        except GreenletExit:
            seen.append("exit")
            raise
        finally:
            seen.append("finally")

    g = greenlet(run)
    g.switch()
    del g                               # no cycle: freed at once
    assert seen == ["exit", "finally"]
    g = greenlet(run)
    g.switch()
    g.me = g                            # a cycle: the collector frees it
    del g
    gc.collect()
    assert seen == ["exit", "finally"] * 2


def test_gr_frame():
    def inner():
        getcurrent().parent.switch()

    def outer():
        inner()

    g = greenlet(outer)
    assert g.gr_frame is None
    g.switch()
    assert g.gr_frame.f_code.co_name == "inner"
    assert g.gr_frame.f_back.f_code.co_name == "outer"
    assert g.gr_frame.f_back.f_back is None
    g.switch()
    assert g.gr_frame is None


def test_gr_context_settable():
    var = contextvars.ContextVar("var", default="unset")
    ctx = contextvars.copy_context()
    ctx.run(var.set, "given")

    def run():
        before = var.get()
        var.set("inside")
        return before

    g = greenlet(run)
    assert g.gr_context is None
    g.gr_context = ctx
    assert g.switch() == "given"
    assert g.gr_context is ctx and ctx[var] == "inside"
    assert greenlet(run).switch() == "unset"        # a new greenlet starts empty
    with pytest.raises(TypeError, match="contextvars.Context or None"):
        g.gr_context = {}
    with pytest.raises(AttributeError):
        del g.gr_context


def test_settrace_sees_switch_and_throw():
    main = getcurrent()
    events = []
    old = G.settrace(lambda event, args: events.append((event, args)))
    try:
        g = greenlet(lambda: main.switch())
        g.switch()
        g2 = greenlet(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            g2.switch()
    finally:
        assert G.settrace(old) is not None
    assert events == [("switch", (main, g)), ("switch", (g, main)),
                      ("switch", (main, g2)), ("throw", (g2, main))]
    assert G.gettrace() is old


def test_one_main_greenlet_per_thread_and_no_switch_across_threads():
    here = getcurrent()
    out = {}

    def thread():
        out["main"] = getcurrent()
        out["g"] = greenlet(lambda: getcurrent().parent.switch())
        out["g"].switch()

    t = threading.Thread(target=thread)
    t.start()
    t.join()
    assert out["main"] is not here and out["main"].parent is None
    with pytest.raises(error, match="different thread"):
        out["g"].switch()
    assert out["main"].dead
    assert "(thread exited)" in repr(out["main"])


def test_subclass_init_and_run_method():
    class Worker(greenlet):
        def __init__(self, n):
            super().__init__()
            self.n = n

        def run(self):
            return self.n * 2

    w = Worker(21)
    assert w.__dict__ == {"n": 21}
    assert w.switch() == 42


def test_switch_count_moves():
    before = stackful.lowlevel.switch_count()
    greenlet(lambda: None).switch()
    assert stackful.lowlevel.switch_count() > before


def test_not_copyable():
    import copy
    with pytest.raises(TypeError, match="cannot copy"):
        copy.copy(greenlet())


def test_greenlets_inside_a_stackful_coroutine():
    # The main greenlet is the context that is not a greenlet: here a Coroutine.
    def body():
        main = getcurrent()
        g = greenlet(lambda: main.switch("from g") + "!")
        first = g.switch()
        stackful.suspend(first)
        return g.switch("again")

    co = stackful.Coroutine(body)
    assert co.resume() == "from g"
    assert co.resume() == "again!"


def test_switching_from_a_coroutine_that_a_greenlet_resumed_is_refused():
    log = []

    def inside_coroutine():
        other = greenlet(lambda: log.append("other ran"))
        with pytest.raises(error, match="from inside a stackful Coroutine"):
            other.switch()
        with pytest.raises(error, match="from inside a stackful Coroutine"):
            getcurrent().parent.switch("escape")
        return "coroutine done"

    def in_greenlet():
        return stackful.Coroutine(inside_coroutine).resume()

    assert greenlet(in_greenlet).switch() == "coroutine done"
    assert log == []
    # The greenlets still work afterwards.
    assert greenlet(lambda: "fine").switch() == "fine"


def test_a_greenlet_collected_inside_a_coroutine_a_greenlet_resumed_is_killed_later():
    log = []

    def suspended():
        try:
            getcurrent().parent.switch()
        finally:
            log.append("killed")

    def inside_coroutine(holder):
        holder.clear()      # its kill cannot switch from here: deferred, not reported
        gc.collect()
        assert getcurrent() is not None       # no kill attempted (and refused) here
        return log[:]

    def in_greenlet():
        holder = [greenlet(suspended)]
        holder[0].switch()
        return stackful.Coroutine(inside_coroutine, holder).resume()

    assert greenlet(in_greenlet).switch() == []
    getcurrent()            # the thread's next greenlet call kills it
    assert log == ["killed"]
