"""Garbage collection: abandoned coroutines are closed; cycles through them collected."""

import gc
import threading
import warnings
import weakref

import pytest

import stackful
from stackful import Coroutine, CoroutineExit, suspend


class Marker:
    pass


def test_unreachable_suspended_coroutine_runs_its_finally():
    log = []

    def f():
        try:
            suspend()
        finally:
            log.append("finally")

    co = Coroutine(f)
    co.resume()
    del co
    assert log == ["finally"]


def test_cycle_through_a_suspended_coroutine_is_collected():
    log = []

    def f():
        me = stackful.current()   # the coroutine references itself from its frame
        box = Marker()
        box.co = me
        try:
            suspend()
        finally:
            log.append("finally")

    co = Coroutine(f)
    co.resume()
    ref = weakref.ref(co)
    del co
    assert ref() is not None and log == []
    gc.collect()
    assert log == ["finally"]
    assert ref() is None


def test_objects_referenced_only_by_suspended_frames_are_traversed():
    def f(obj):
        local = obj
        suspend()
        return local

    obj = Marker()
    co = Coroutine(f, obj)
    co.resume()
    assert any(r is co for r in gc.get_referrers(obj))
    # The coroutine reports its frames' locals as referents.
    assert obj in gc.get_referents(co)
    co.close()


def test_cycle_between_two_suspended_coroutines():
    log = []

    def f(name):
        peer = suspend()
        try:
            suspend()
        finally:
            log.append(name)
        return peer

    a, b = Coroutine(f, "a"), Coroutine(f, "b")
    a.resume()
    b.resume()
    a.resume(b)
    b.resume(a)
    refs = [weakref.ref(a), weakref.ref(b)]
    del a, b
    gc.collect()
    assert sorted(log) == ["a", "b"]
    assert [r() for r in refs] == [None, None]


def test_abandoned_coroutine_that_ignores_exit_is_reported_not_crashing():
    def stubborn():
        while True:
            try:
                suspend()
            except CoroutineExit:
                pass

    co = Coroutine(stubborn)
    co.resume()
    unraisable = []
    old = __import__("sys").unraisablehook
    __import__("sys").unraisablehook = unraisable.append
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            del co
            gc.collect()
    finally:
        __import__("sys").unraisablehook = old
    assert unraisable and isinstance(unraisable[0].exc_value, RuntimeError)


def test_coroutine_of_finished_thread_is_freed_with_a_warning_not_crashing():
    box = []

    def thread_main():
        co = Coroutine(suspend)
        co.resume()
        box.append(co)

    th = threading.Thread(target=thread_main)
    th.start()
    th.join()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        box.clear()
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)


def test_gc_during_switch_heavy_code():
    # Collections triggered while coroutines switch must find consistent state: every
    # coroutine sees its own values and finishes with its own result.
    def f(i):
        junk = []
        for k in range(200):
            junk.append([Marker() for _ in range(5)])
            junk[-1].append(junk)
            assert suspend((i, k)) == (i, k)
        return i

    cos = [Coroutine(f, i) for i in range(20)]
    collections = sum(s["collections"] for s in gc.get_stats())
    old = gc.get_threshold()
    gc.set_threshold(10, 1, 1)
    try:
        yielded = [co.resume() for co in cos]
        for k in range(1, 201):
            yielded = [co.resume(value) for co, value in zip(cos, yielded)]
            if k < 200:
                assert yielded == [(i, k) for i in range(20)]
    finally:
        gc.set_threshold(*old)
    assert yielded == list(range(20)) and all(co.status == "dead" for co in cos)
    # The collector really ran while they switched.
    assert sum(s["collections"] for s in gc.get_stats()) - collections > 100


def test_resurrection_in_finally_is_safe():
    saved = []

    def f():
        try:
            suspend()
        finally:
            saved.append(stackful.current())

    co = Coroutine(f)
    co.resume()
    del co
    gc.collect()
    assert saved[0].status == "dead"
