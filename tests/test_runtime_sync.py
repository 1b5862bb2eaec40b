"""The synchronisation primitives: ownership, FIFO order, hand-over, closing."""

import queue

import pytest

import stackful


def test_lock_10000_contending_tasks_get_it_in_fifo_order():
    order = []

    def contender(i, lock):
        with lock:
            order.append(i)
            stackful.sleep(0)

    def main():
        lock = stackful.Lock()
        with lock:
            with stackful.TaskGroup() as tg:
                for i in range(10_000):
                    tg.spawn(contender, i, lock)
                stackful.sleep(0)               # every contender is queued now
                assert len(lock._waiters) == 10_000
                lock.release()
                lock.acquire()                  # the releaser queues behind them all
        assert not lock.locked()

    stackful.run(main)
    assert order == list(range(10_000))


def test_lock_ownership_errors():
    def main():
        lock = stackful.Lock()
        with pytest.raises(RuntimeError, match="not held"):
            lock.release()
        lock.acquire()
        with pytest.raises(RuntimeError, match="not reentrant"):
            lock.acquire()

        def thief():
            with pytest.raises(RuntimeError, match="only the task that acquired"):
                lock.release()

        stackful.spawn(thief).join()
        assert lock.owner is stackful.current_task()
        lock.release()
        assert lock.acquire(blocking=False) and lock.locked()
        lock.release()

    stackful.run(main)


def test_lock_hand_over_does_not_let_the_releaser_take_it_back():
    trace = []

    def other(lock):
        with lock:
            trace.append("other")

    def main():
        lock = stackful.Lock()
        lock.acquire()
        stackful.spawn(other, lock)
        stackful.sleep(0)
        lock.release()
        with lock:                  # waits: the lock went to `other`
            trace.append("main")

    stackful.run(main)
    assert trace == ["other", "main"]


def test_event_wakes_everyone_even_if_cleared_before_they_run():
    woken = []

    def waiter(ev, i):
        woken.append((i, ev.wait()))

    def main():
        ev = stackful.Event()
        for i in range(3):
            stackful.spawn(waiter, ev, i)
        stackful.sleep(0)
        ev.set()
        ev.clear()
        stackful.sleep(0)
        stackful.sleep(0)
        assert not ev.is_set()
        assert ev.wait(timeout=0) is False

    stackful.run(main)
    assert woken == [(0, True), (1, True), (2, True)]


def test_condition_notify_order_and_wait_for():
    woken = []

    def waiter(cond, i):
        with cond:
            cond.wait()
            woken.append(i)

    def main():
        cond = stackful.Condition()
        for i in range(4):
            stackful.spawn(waiter, cond, i)
        stackful.sleep(0)
        with cond:
            cond.notify(2)
        stackful.sleep(0)
        assert woken == [0, 1]
        with cond:
            cond.notify_all()
        stackful.sleep(0)
        assert woken == [0, 1, 2, 3]
        with pytest.raises(RuntimeError, match="lock held"):
            cond.notify()
        items = []

        def producer():
            for i in range(3):
                with cond:
                    items.append(i)
                    cond.notify_all()
                stackful.sleep(0)

        stackful.spawn(producer)
        with cond:
            assert cond.wait_for(lambda: len(items) == 3, timeout=10)
        with pytest.raises(TypeError, match="stackful.Lock"):
            stackful.Condition(object())

    stackful.run(main)


def test_semaphore_fifo_and_bounded():
    order = []

    def worker(sem, i):
        with sem:
            order.append(i)
            stackful.sleep(0)

    def main():
        sem = stackful.Semaphore(2)
        with stackful.TaskGroup() as tg:
            for i in range(6):
                tg.spawn(worker, sem, i)
        assert sem.value == 2
        bounded = stackful.BoundedSemaphore(1)
        bounded.acquire()
        bounded.release()
        with pytest.raises(ValueError, match="released more times"):
            bounded.release()
        with pytest.raises(ValueError):
            stackful.Semaphore(-1)
        assert stackful.Semaphore(0).acquire(blocking=False) is False

    stackful.run(main)
    assert order == list(range(6))


def test_queue_fifo_bounds_close_and_iteration():
    def main():
        q = stackful.Queue(2)
        assert q.maxsize == 2 and q.empty() and not q.full()
        q.put(1)
        q.put_nowait(2)
        assert q.full() and q.qsize() == 2
        with pytest.raises(queue.Full):
            q.put_nowait(3)
        producer = stackful.spawn(q.put, 3)          # waits: the queue is full
        stackful.sleep(0)
        assert producer.state == "waiting"
        assert q.get() == 1                          # moves the waiting put in
        assert producer.join() is None and q.qsize() == 2
        assert [q.get_nowait(), q.get_nowait()] == [2, 3]
        with pytest.raises(queue.Empty):
            q.get_nowait()
        consumer = stackful.spawn(q.get)
        stackful.sleep(0)
        q.put("handed over")
        assert q.empty() and consumer.join() == "handed over"

        # close(): the items left are still got, then QueueClosed; iteration ends.
        q = stackful.Queue()
        for i in range(3):
            q.put(i)
        q.close()
        assert q.closed and list(q) == [0, 1, 2]
        with pytest.raises(stackful.QueueClosed):
            q.get()
        with pytest.raises(stackful.QueueClosed):
            q.put(4)
        with pytest.raises(stackful.QueueClosed):
            q.get_nowait()

        # close() wakes the waiting consumers and producers.
        q = stackful.Queue(1)
        getters = [stackful.spawn(stackful.Queue.get, q) for _ in range(2)]
        stackful.sleep(0)
        q.close()
        for g in getters:
            with pytest.raises(stackful.QueueClosed):
                g.join()
        full = stackful.Queue(1)
        full.put(0)
        putter = stackful.spawn(full.put, 1)
        stackful.sleep(0)
        full.close()
        with pytest.raises(stackful.QueueClosed):
            putter.join()
        with pytest.raises(ValueError):
            stackful.Queue(-1)

    stackful.run(main)


def test_queue_pipeline_of_stages_with_back_pressure():
    def stage(inbox, outbox, fn):
        for item in inbox:
            outbox.put(fn(item))
        outbox.close()

    def main():
        first, second, third = stackful.Queue(1), stackful.Queue(1), stackful.Queue(1)
        with stackful.TaskGroup() as tg:
            tg.spawn(stage, first, second, lambda x: x + 1)
            tg.spawn(stage, second, third, lambda x: x * 10)
            collector = tg.spawn(list, third)
            for i in range(100):
                first.put(i)
                assert first.qsize() <= 1 and second.qsize() <= 1 and third.qsize() <= 1
            first.close()
        assert collector.result() == [(i + 1) * 10 for i in range(100)]

    stackful.run(main)


def test_rwlock_readers_share_writers_are_alone_and_not_starved():
    log = []

    def reader(rw, i, hold):
        with rw.read_locked():
            log.append(("read", i, rw.readers))
            stackful.sleep(hold)

    def writer(rw, i):
        with rw.write_locked():
            log.append(("write", i, rw.readers))
            stackful.sleep(0)

    def main():
        rw = stackful.RWLock()
        with stackful.TaskGroup() as tg:
            tg.spawn(reader, rw, 0, 0.01)
            tg.spawn(reader, rw, 1, 0.01)
            stackful.sleep(0)
            tg.spawn(writer, rw, 0)           # waits for the two readers
            stackful.sleep(0)
            tg.spawn(reader, rw, 2, 0)        # queued behind the writer
        assert log[:2] == [("read", 0, 1), ("read", 1, 2)]
        assert log[2] == ("write", 0, 0)
        assert log[3] == ("read", 2, 1)
        with pytest.raises(RuntimeError, match="holds no lock"):
            rw.release()

    stackful.run(main)


def test_rwlock_upgrade_and_downgrade():
    def main():
        rw = stackful.RWLock()
        rw.acquire_read()
        rw.upgrade()                          # the only reader: immediate
        assert rw.writer is stackful.current_task() and rw.readers == 0
        got = []

        def reader(i):
            rw.acquire_read()
            got.append(i)
            rw.release()

        readers = [stackful.spawn(reader, i) for i in range(3)]
        stackful.sleep(0)
        assert got == []
        rw.downgrade()                        # the waiting readers get in
        stackful.sleep(0)
        assert got == [0, 1, 2] and rw.readers == 1
        for r in readers:
            r.join()

        other = stackful.spawn(lambda: (rw.acquire_read(), stackful.sleep(0.01), rw.release()))
        stackful.sleep(0)
        assert rw.readers == 2
        rw.upgrade()                          # waits for the other reader
        assert rw.writer is stackful.current_task()
        other.join()
        with pytest.raises(RuntimeError, match="downgrade"):
            rw.acquire_read()
        rw.release()
        with pytest.raises(RuntimeError, match="exactly one read lock"):
            rw.upgrade()

    stackful.run(main)
