"""The scheduler and tasks: run, spawn, join, outcomes, errors, fairness, introspection."""

import contextvars
import io
import logging
import threading
import time

import pytest

import stackful
from stackful import CoroutineError


def test_run_returns_the_result_and_raises_the_exception():
    assert stackful.run(lambda: 42) == 42
    assert stackful.run(pow, 2, 10) == 1024

    def fails():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        stackful.run(fails)


def test_run_inside_run_is_an_error():
    def main():
        with pytest.raises(CoroutineError, match="one scheduler per thread"):
            stackful.run(lambda: None)
        return "ok"

    assert stackful.run(main) == "ok"


def test_runtime_calls_outside_run_say_so():
    for call in (lambda: stackful.sleep(0), lambda: stackful.sleep(1),
                 lambda: stackful.Lock().acquire(), lambda: stackful.Event().wait(),
                 lambda: stackful.Queue().get(), lambda: stackful.spawn(print),
                 lambda: stackful.to_thread(print), lambda: stackful.wait_readable(0)):
        with pytest.raises(CoroutineError, match=r"outside stackful\.run\(\)"):
            call()


def test_a_nested_coroutine_cannot_suspend_the_task():
    def nested():
        stackful.sleep(0)

    def main():
        co = stackful.Coroutine(nested)
        with pytest.raises(CoroutineError, match="coroutine that task '.*main' runs") as info:
            co.resume()
        assert "stackful.spawn" in str(info.value)
        assert co.status == "dead"

        @stackful.generator
        def gen():
            stackful.emit(1)
            stackful.Event().wait()

        with pytest.raises(CoroutineError, match="only the task's own coroutine"):
            list(gen())
        return "survived"

    assert stackful.run(main) == "survived"


def test_a_task_that_suspends_by_itself_gets_an_error():
    def main():
        with pytest.raises(CoroutineError, match="suspended its coroutine itself"):
            stackful.suspend()
        return 1

    assert stackful.run(main) == 1


def test_spawn_join_result_exception_name():
    def child(x, *, y):
        stackful.sleep(0)
        return x + y

    def failing():
        raise KeyError("k")

    def main():
        task = stackful.spawn(child, 1, y=2)
        assert task.name.endswith("child") and not task.done() and task.state == "ready"
        with pytest.raises(RuntimeError, match="not done"):
            task.result()
        assert task.join() == 3
        assert task.done() and not task.cancelled()
        assert task.result() == 3 and task.exception() is None
        bad = stackful.spawn(failing)
        bad.name = "the bad one"
        with pytest.raises(KeyError):
            bad.join()
        assert isinstance(bad.exception(), KeyError) and "the bad one" in repr(bad)
        with pytest.raises(RuntimeError, match="cannot join itself"):
            stackful.current_task().join()
        with pytest.raises(TypeError, match="callable"):
            stackful.spawn(42)

    stackful.run(main)


def test_join_with_a_timeout():
    def main():
        ev = stackful.Event()
        task = stackful.spawn(ev.wait)
        with pytest.raises(TimeoutError, match="still running"):
            task.join(timeout=0.01)
        ev.set()
        assert task.join(timeout=5) is True

    stackful.run(main)


def test_an_async_function_is_refused_with_a_clear_error():
    async def coro():
        return 1

    def main():
        with pytest.raises(TypeError, match="async function"):
            stackful.spawn(coro).join()

    stackful.run(main)


def test_an_exception_nobody_retrieves_is_logged(caplog):
    def failing():
        raise ValueError("nobody joins me")

    def main():
        stackful.spawn(failing)
        stackful.sleep(0)
        stackful.sleep(0)

    with caplog.at_level(logging.ERROR, logger="stackful"):
        stackful.run(main)
        import gc
        gc.collect()
    records = [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert len(records) == 1
    assert "failing" in records[0].getMessage()
    assert records[0].exc_info[1].args == ("nobody joins me",)


def test_a_joined_exception_is_not_logged(caplog):
    def failing():
        raise ValueError("x")

    def main():
        task = stackful.spawn(failing)
        stackful.sleep(0.01)
        with pytest.raises(ValueError):
            task.join()

    with caplog.at_level(logging.ERROR, logger="stackful"):
        stackful.run(main)
        import gc
        gc.collect()
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]


def test_tasks_left_when_main_returns_are_cancelled_and_their_finally_runs():
    log = []

    def lingering():
        try:
            stackful.sleep(100)
        finally:
            log.append("finally")

    def main():
        stackful.spawn(lingering)
        stackful.sleep(0)
        return "main done"

    started = time.monotonic()
    assert stackful.run(main) == "main done"
    assert log == ["finally"]
    assert time.monotonic() - started < 50


def test_sleep_wakes_in_deadline_order_and_the_clock_is_monotonic():
    order = []

    def sleeper(delay, name):
        stackful.sleep(delay)
        order.append(name)

    def main():
        start = stackful.clock()
        with stackful.TaskGroup() as tg:
            for delay, name in [(0.03, "c"), (0.01, "a"), (0.02, "b"), (0, "zero")]:
                tg.spawn(sleeper, delay, name)
        assert stackful.clock() - start >= 0.03

    stackful.run(main)
    assert order == ["zero", "a", "b", "c"]
    with pytest.raises(ValueError, match="NaN"):
        stackful.run(stackful.sleep, float("nan"))


def test_sleep_zero_round_robins_in_fifo_order():
    trace = []

    def worker(name):
        for i in range(3):
            trace.append((name, i))
            stackful.sleep(0)

    def main():
        with stackful.TaskGroup() as tg:
            for name in "abc":
                tg.spawn(worker, name)

    stackful.run(main)
    assert trace == [(n, i) for i in range(3) for n in "abc"]


def test_a_task_that_keeps_yielding_does_not_starve_io():
    # A busy task that always has work (sleep(0)) and a reader waiting for a socket:
    # the reader gets its data after a bounded number of the busy task's steps, because
    # I/O is polled once per pass over the ready queue.
    from stackful import socket

    def main():
        a, b = socket.socketpair()
        steps = [0]
        done = stackful.Event()

        def busy():
            while not done.is_set():
                steps[0] += 1
                stackful.sleep(0)

        def reader():
            assert b.recv(10) == b"ping"
            done.set()
            return steps[0]

        stackful.spawn(busy)
        r = stackful.spawn(reader)
        stackful.sleep(0)
        a.send(b"ping")
        assert r.join() <= 3
        a.close()
        b.close()

    stackful.run(main)


def test_each_task_runs_in_a_copy_of_its_spawners_context():
    var = contextvars.ContextVar("var", default="unset")

    def child():
        seen = var.get()
        var.set("child")
        return seen

    def main():
        var.set("parent")
        assert stackful.spawn(child).join() == "parent"
        assert var.get() == "parent"
        assert stackful.to_thread(var.get) == "parent"

    stackful.run(main)


def test_to_thread_returns_raises_and_runs_in_another_thread():
    main_thread = threading.get_ident()

    def blocking(x):
        time.sleep(0.01)
        return x * 2, threading.get_ident()

    def failing():
        raise OSError("from the thread")

    def main():
        others = []
        ticker_done = stackful.Event()

        def ticker():
            while not ticker_done.is_set():
                others.append(1)
                stackful.sleep(0.001)

        stackful.spawn(ticker)
        value, ident = stackful.to_thread(blocking, 21)
        assert value == 42 and ident != main_thread
        with pytest.raises(OSError, match="from the thread") as info:
            stackful.to_thread(failing)
        assert any(frame.name == "failing" for frame in
                   __import__("traceback").extract_tb(info.value.__traceback__))
        ticker_done.set()
        assert others                       # the scheduler ran while the thread slept
        with pytest.raises(TypeError):
            stackful.to_thread(5)

    stackful.run(main)


def test_to_thread_cancelled_drops_the_result():
    release = threading.Event()

    def main():
        task = stackful.spawn(stackful.to_thread, release.wait, 10)
        stackful.sleep(0.01)
        assert "to_thread" in task.waiting_on
        task.cancel()
        with pytest.raises(stackful.Cancelled):
            task.join()
        release.set()

    stackful.run(main)


def test_portal_calls_into_the_scheduler_from_another_thread():
    def main():
        portal = stackful.Portal()
        queue = stackful.Queue()
        results = []

        def thread_body():
            for i in range(3):
                portal.call(queue.put_nowait, i).result(timeout=10)
            results.append(portal.call(lambda: threading.get_ident()).result(timeout=10))
            portal.call(queue.close)

        worker = threading.Thread(target=thread_body)
        worker.start()
        assert list(queue) == [0, 1, 2]
        worker.join()
        assert results == [threading.get_ident()]
        failing = portal.call(lambda: 1 / 0)
        stackful.sleep(0.01)
        with pytest.raises(ZeroDivisionError):
            failing.result(timeout=10)
        return portal

    portal = stackful.run(main)
    with pytest.raises(RuntimeError, match="has stopped"):
        portal.call(print)
    with pytest.raises(CoroutineError, match="inside stackful.run"):
        stackful.Portal()


def test_tasks_lists_live_tasks_with_what_they_wait_on():
    def main():
        lock = stackful.Lock()
        ev = stackful.Event()
        q = stackful.Queue()
        lock.acquire()
        waiting = [stackful.spawn(lock.acquire), stackful.spawn(ev.wait, 5),
                   stackful.spawn(q.get), stackful.spawn(stackful.sleep, 5)]
        stackful.sleep(0)
        live = stackful.tasks()
        assert stackful.current_task() in live and all(t in live for t in waiting)
        states = {t.name: (t.state, t.waiting_on) for t in waiting}
        assert all(state == "waiting" for state, _ in states.values())
        texts = [t.waiting_on for t in waiting]
        assert "acquire of <stackful.Lock held by '" in texts[0] and "main'" in texts[0]
        assert "wait of <stackful.Event clear" in texts[1] and "timeout" in texts[1]
        assert "get of <stackful.Queue" in texts[2]
        assert texts[3].startswith("sleep")
        assert stackful.current_task().state == "running"
        out = io.StringIO()
        stackful.dump_tasks(out)
        dump = out.getvalue()
        assert "main' at 0x" in dump and "in main" in dump
        assert dump.count("\ntask ") == 5 and "_traps.py" in dump
        for task in waiting:
            task.cancel()

    stackful.run(main)
    assert stackful.tasks() == []


def test_the_switch_hook_sees_every_switch():
    seen = []

    def worker():
        stackful.sleep(0)

    def main():
        previous = stackful.runtime.set_switch_hook(
            lambda origin, target: seen.append((origin and origin.name.rpartition(".")[2],
                                                target and target.name.rpartition(".")[2])))
        assert previous is None
        stackful.spawn(worker).join()
        stackful.runtime.set_switch_hook(None)

    stackful.run(main)
    # The hook takes effect from the next pass: main's own step was already running.
    assert seen == [(None, "worker"), ("worker", None), (None, "worker"), ("worker", None),
                    (None, "main"), ("main", None)]


def test_cancel_of_a_finished_task_does_nothing():
    def main():
        task = stackful.spawn(lambda: 7)
        assert task.join() == 7
        task.cancel()
        assert task.result() == 7 and not task.cancelled()

    stackful.run(main)


def test_schedulers_in_two_threads_are_independent():
    results = []

    def main(tag):
        stackful.sleep(0.01)
        return tag, len(stackful.tasks())

    threads = [threading.Thread(target=lambda t=t: results.append(stackful.run(main, t)))
               for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [("a", 1), ("b", 1)]
