"""Cancellation and timeouts at every suspension point: the waiter is removed from what
it waited on (no stale registration), the next waiter still gets its wake-up (no lost
wake-up), and ``finally`` blocks run."""

import threading

import pytest

import stackful
from stackful import Cancelled, socket
from stackful.runtime import _scheduler


def scheduler():
    return _scheduler.current_scheduler()


class Case:
    """A primitive with a way to wait on it, to count its waiters, and to release one."""

    name = ""
    two_waiters = True          # False: only one task at a time may wait (a socket)

    def setup(self):
        pass

    def wait(self):
        raise NotImplementedError

    def waiters(self):
        raise NotImplementedError

    def release_one(self):
        raise NotImplementedError

    def teardown(self):
        pass


class LockCase(Case):
    name = "Lock.acquire"

    def setup(self):
        self.lock = stackful.Lock()
        self.lock.acquire()

    def wait(self):
        self.lock.acquire()
        self.lock.release()

    def waiters(self):
        return len(self.lock._waiters)

    def release_one(self):
        self.lock.release()


class SemaphoreCase(Case):
    name = "Semaphore.acquire"

    def setup(self):
        self.sem = stackful.Semaphore(0)

    def wait(self):
        self.sem.acquire()

    def waiters(self):
        return len(self.sem._waiters)

    def release_one(self):
        self.sem.release()


class EventCase(Case):
    name = "Event.wait"

    def setup(self):
        self.events = [stackful.Event(), stackful.Event()]
        self.used = 0

    def wait(self):
        event = self.events[self.used]
        self.used += 1
        event.wait()

    def waiters(self):
        return sum(len(e._waiters) for e in self.events)

    def release_one(self):
        self.events[1].set()


class ConditionCase(Case):
    name = "Condition.wait"

    def setup(self):
        self.cond = stackful.Condition()

    def wait(self):
        with self.cond:
            self.cond.wait()

    def waiters(self):
        return len(self.cond._waiters)

    def release_one(self):
        with self.cond:
            self.cond.notify()


class QueueGetCase(Case):
    name = "Queue.get"

    def setup(self):
        self.queue = stackful.Queue()

    def wait(self):
        assert self.queue.get() == "item"

    def waiters(self):
        return len(self.queue._getters)

    def release_one(self):
        self.queue.put_nowait("item")


class QueuePutCase(Case):
    name = "Queue.put"

    def setup(self):
        self.queue = stackful.Queue(1)
        self.queue.put_nowait("filler")

    def wait(self):
        self.queue.put("mine")

    def waiters(self):
        return len(self.queue._putters)

    def release_one(self):
        self.queue.get_nowait()


class JoinCase(Case):
    name = "Task.join"

    def setup(self):
        self.event = stackful.Event()
        self.task = stackful.spawn(self.event.wait)

    def wait(self):
        self.task.join()

    def waiters(self):
        return len(self.task._joiners or [])

    def release_one(self):
        self.event.set()


class ReadLockCase(Case):
    name = "RWLock.acquire_read"

    def setup(self):
        self.rw = stackful.RWLock()
        self.rw.acquire_write()

    def wait(self):
        self.rw.acquire_read()
        self.rw.release()

    def waiters(self):
        return len(self.rw._queue)

    def release_one(self):
        self.rw.release()


class WriteLockCase(Case):
    name = "RWLock.acquire_write"

    def setup(self):
        self.rw = stackful.RWLock()
        self.rw.acquire_read()

    def wait(self):
        self.rw.acquire_write()
        self.rw.release()

    def waiters(self):
        return len(self.rw._queue)

    def release_one(self):
        self.rw.release()


class SleepCase(Case):
    name = "sleep"
    two_waiters = False

    def wait(self):
        stackful.sleep(1000)

    def waiters(self):
        return sum(1 for _, seq, target in scheduler()._timers if target._timer_seq == seq
                   and isinstance(target, stackful.Task))


class RecvCase(Case):
    name = "socket.recv"
    two_waiters = False

    def setup(self):
        self.a, self.b = socket.socketpair()

    def wait(self):
        assert self.b.recv(10) == b"data"

    def waiters(self):
        return int(self.b.fileno() in scheduler()._readers.waiting)

    def release_one(self):
        self.a.send(b"data")

    def teardown(self):
        self.a.close()
        self.b.close()


class WaitReadablePipeCase(Case):
    name = "wait_readable(pipe fd)"
    two_waiters = False

    def setup(self):
        import os
        self.r, self.w = os.pipe()

    def wait(self):
        stackful.wait_readable(self.r)

    def waiters(self):
        return int(self.r in scheduler()._readers.waiting)

    def release_one(self):
        import os
        os.write(self.w, b"x")

    def teardown(self):
        import os
        os.close(self.r)
        os.close(self.w)


class SendallCase(Case):
    name = "socket.sendall (peer not reading)"
    two_waiters = False

    def setup(self):
        self.a, self.b = socket.socketpair()
        self.a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        self.chunk = b"z" * 1_000_000

    def wait(self):
        self.a.sendall(self.chunk)

    def waiters(self):
        return int(self.a.fileno() in scheduler()._writers.waiting)

    def release_one(self):
        def drain():
            got = 0
            while got < len(self.chunk):
                got += len(self.b.recv(65536))
        stackful.spawn(drain)

    def teardown(self):
        self.a.close()
        self.b.close()


class AcceptCase(Case):
    name = "socket.accept"
    two_waiters = False

    def setup(self):
        self.listener = socket.create_server(("127.0.0.1", 0))

    def wait(self):
        conn, _ = self.listener.accept()
        conn.close()

    def waiters(self):
        return int(self.listener.fileno() in scheduler()._readers.waiting)

    def release_one(self):
        self.client = socket.socket()
        stackful.spawn(self.client.connect, self.listener.getsockname())

    def teardown(self):
        self.listener.close()
        if hasattr(self, "client"):
            self.client.close()


class ToThreadCase(Case):
    name = "to_thread"
    two_waiters = False

    def setup(self):
        self.gate = threading.Event()

    def wait(self):
        stackful.to_thread(self.gate.wait, 10)

    def waiters(self):
        return 0                         # a thread cannot be stopped; its result is dropped

    def release_one(self):
        self.gate.set()

    def teardown(self):
        self.gate.set()


CASES = [LockCase, SemaphoreCase, EventCase, ConditionCase, QueueGetCase, QueuePutCase,
         JoinCase, ReadLockCase, WriteLockCase, SleepCase, RecvCase, WaitReadablePipeCase,
         SendallCase, AcceptCase, ToThreadCase]


def _waiter(case, log, tag):
    try:
        case.wait()
        log.append((tag, "done"))
    finally:
        log.append((tag, "finally"))


@pytest.mark.parametrize("make", CASES, ids=lambda c: c.name)
def test_cancel_removes_the_waiter_and_the_next_one_is_woken(make):
    case = make()
    log = []

    def main():
        case.setup()
        first = stackful.spawn(_waiter, case, log, "first")
        stackful.sleep(0.01)
        assert first.state == "waiting" and first.waiting_on
        before = case.waiters()
        first.cancel()
        with pytest.raises(Cancelled):
            first.join()
        assert first.cancelled()
        assert log == [("first", "finally")]
        if make is not ToThreadCase:
            assert before == 1 and case.waiters() == 0
        if make is SleepCase:
            return
        second = stackful.spawn(_waiter, case, log, "second")
        stackful.sleep(0.01)
        case.release_one()
        with stackful.timeout(10):
            second.join()
        assert log[-2:] == [("second", "done"), ("second", "finally")]
        case.teardown()

    stackful.run(main)


@pytest.mark.parametrize("make", CASES, ids=lambda c: c.name)
def test_a_timeout_scope_around_the_wait(make):
    case = make()
    log = []

    def timed():
        with pytest.raises(TimeoutError, match="timed out after 0.02 s"):
            with stackful.timeout(0.02):
                _waiter(case, log, "timed")
        with stackful.move_on_after(0.01) as scope:
            _waiter(case, log, "moved on")
        return scope.cancelled_caught

    def main():
        case.setup()
        assert stackful.spawn(timed).join() is True
        assert log == [("timed", "finally"), ("moved on", "finally")]
        if make is not ToThreadCase:
            assert case.waiters() == 0
        case.teardown()

    stackful.run(main)


def test_timeout_arguments_of_the_primitives():
    def main():
        lock = stackful.Lock()
        lock.acquire()

        def other():
            assert lock.acquire(timeout=0.01) is False
            assert lock.acquire(blocking=False) is False
            assert stackful.Semaphore(0).acquire(timeout=0.01) is False
            assert stackful.Event().wait(timeout=0.01) is False
            cond = stackful.Condition()
            with cond:
                assert cond.wait(timeout=0.01) is False
                assert cond.wait_for(lambda: False, timeout=0.01) is False
            import queue
            with pytest.raises(queue.Empty):
                stackful.Queue().get(timeout=0.01)
            full = stackful.Queue(1)
            full.put(1)
            with pytest.raises(queue.Full):
                full.put(2, timeout=0.01)
            rw = stackful.RWLock()
            a, b = socket.socketpair()
            with pytest.raises(TimeoutError):
                stackful.wait_readable(a, timeout=0.01)
            a.settimeout(0.01)
            with pytest.raises(TimeoutError, match="timed out"):
                a.recv(1)
            a.close()
            b.close()
            assert rw.acquire_read(timeout=1)
            rw.release()

        stackful.spawn(other).join()
        assert not lock._waiters
        lock.release()

    stackful.run(main)


def test_cancellation_is_level_triggered():
    attempts = []

    def stubborn():
        for _ in range(3):
            try:
                stackful.sleep(100)
            except Cancelled:
                attempts.append("cancelled")
        stackful.sleep(100)

    def main():
        task = stackful.spawn(stubborn)
        stackful.sleep(0)
        task.cancel()
        with pytest.raises(Cancelled):
            task.join()

    stackful.run(main)
    assert attempts == ["cancelled"] * 3


def test_a_shielded_scope_can_clean_up_after_a_cancel():
    log = []

    def worker():
        try:
            stackful.sleep(100)
        finally:
            with stackful.CancelScope(shield=True):
                stackful.sleep(0.01)           # cleanup that suspends
                log.append("cleaned up")

    def main():
        task = stackful.spawn(worker)
        stackful.sleep(0)
        task.cancel()
        with pytest.raises(Cancelled):
            task.join()

    stackful.run(main)
    assert log == ["cleaned up"]


def test_nested_scopes_the_outer_cancellation_wins():
    def main():
        with stackful.move_on_after(0.01) as outer:
            with stackful.move_on_after(100) as inner:
                stackful.sleep(100)
        assert outer.cancelled_caught and not inner.cancelled_caught
        with stackful.move_on_after(100) as outer:
            with stackful.move_on_after(0.01) as inner:
                stackful.sleep(100)
            stackful.sleep(0)
        assert inner.cancelled_caught and not outer.cancelled_caught
        with stackful.move_on_after(-1) as past:
            stackful.sleep(0)
        assert past.cancelled_caught
        with stackful.move_on_after(None) as never:
            stackful.sleep(0)
        assert not never.cancelled_caught and never.deadline == float("inf")
        scope = stackful.CancelScope()
        with scope:
            scope.cancel()
            stackful.sleep(1)
        assert scope.cancelled_caught
        with pytest.raises(RuntimeError, match="entered only once"):
            with scope:
                pass
        with stackful.CancelScope() as s:
            s.deadline = stackful.clock() + 0.01
            stackful.sleep(100)
        assert s.cancelled_caught

    stackful.run(main)


def test_a_cancelled_task_that_does_not_wait_again_finishes_normally():
    def quick():
        stackful.current_task().cancel()
        return "finished"

    def main():
        assert stackful.spawn(quick).join() == "finished"

    stackful.run(main)


def test_cancel_while_running_is_delivered_at_the_next_wait():
    def main():
        me = stackful.current_task()

        def canceller():
            me.cancel()

        stackful.spawn(canceller)
        with stackful.CancelScope(shield=True):
            stackful.sleep(0.01)          # the cancel arrives while shielded
        with pytest.raises(Cancelled):
            stackful.sleep(0)
        raise Cancelled("done", me)

    with pytest.raises(Cancelled):
        stackful.run(main)


# ------------------------------------------------------------------ TaskGroup

def test_taskgroup_waits_for_every_task():
    done = []

    def worker(delay, tag):
        stackful.sleep(delay)
        done.append(tag)

    def main():
        with stackful.TaskGroup() as tg:
            tg.spawn(worker, 0.02, "slow")
            tg.spawn(worker, 0, "fast")
        assert sorted(done) == ["fast", "slow"]
        with pytest.raises(RuntimeError, match="after the group"):
            tg.spawn(worker, 0, "late")

    stackful.run(main)


def test_taskgroup_first_failure_cancels_the_others_and_raises_a_group():
    log = []

    def failing():
        stackful.sleep(0.01)
        raise ValueError("first")

    def sleeper():
        try:
            stackful.sleep(100)
        finally:
            log.append("sleeper finally")

    def main():
        with pytest.raises(ExceptionGroup) as info:
            with stackful.TaskGroup() as tg:
                tg.spawn(failing)
                tg.spawn(sleeper)
                tg.spawn(sleeper)
                stackful.sleep(100)
                log.append("not reached")
        assert [type(e) for e in info.value.exceptions] == [ValueError]
        assert log == ["sleeper finally", "sleeper finally"]

    stackful.run(main)


def test_taskgroup_body_failure_cancels_the_tasks():
    def main():
        with pytest.raises(ExceptionGroup) as info:
            with stackful.TaskGroup() as tg:
                child = tg.spawn(stackful.sleep, 100)
                stackful.sleep(0)
                raise KeyError("body")
        assert [type(e) for e in info.value.exceptions] == [KeyError]
        assert child.cancelled()

    stackful.run(main)


def test_taskgroup_base_exceptions_make_a_base_group():
    class Stop(BaseException):
        pass

    def stopper():
        raise Stop

    def main():
        with pytest.raises(BaseExceptionGroup) as info:
            with stackful.TaskGroup() as tg:
                tg.spawn(stopper)
        assert not isinstance(info.value, ExceptionGroup)

    with pytest.raises(Stop):
        # A BaseException that is not an Exception also stops the whole run.
        stackful.run(main)


def test_cancelling_around_a_taskgroup_cancels_its_tasks_and_waits():
    log = []

    def child():
        try:
            stackful.sleep(100)
        finally:
            log.append("child finally")

    def main():
        with stackful.move_on_after(0.02) as scope:
            with stackful.TaskGroup() as tg:
                tg.spawn(child)
                tg.spawn(child)
        assert scope.cancelled_caught
        assert log == ["child finally", "child finally"]
        parent = stackful.spawn(group_owner)
        stackful.sleep(0.01)
        parent.cancel()
        with pytest.raises(Cancelled):
            parent.join()
        assert log[-1] == "child finally" and len(log) == 3

    def group_owner():
        with stackful.TaskGroup() as tg:
            tg.spawn(child)

    stackful.run(main)


def test_taskgroup_cancel():
    def main():
        with stackful.TaskGroup() as tg:
            child = tg.spawn(stackful.sleep, 100)
            stackful.sleep(0)
            tg.cancel()
            stackful.sleep(100)
        assert child.cancelled()

    stackful.run(main)


def test_nested_taskgroups_propagate_failures_outwards():
    def failing():
        raise OSError("deep")

    def inner_group():
        with stackful.TaskGroup() as inner:
            inner.spawn(failing)

    def main():
        with pytest.raises(ExceptionGroup) as info:
            with stackful.TaskGroup() as outer:
                outer.spawn(inner_group)
                outer.spawn(stackful.sleep, 100)
        (inner,) = info.value.exceptions
        assert isinstance(inner, ExceptionGroup)
        assert isinstance(inner.exceptions[0], OSError)

    stackful.run(main)
