"""Synchronisation between tasks: producer/consumer through a bounded Queue, and a Lock
handed over between two tasks, against the peers.

* queue: one producer puts N items into a queue of 100, one consumer gets them (ns per
  item): ``stackful.Queue(100)``, ``asyncio.Queue(100)`` (asyncio's loop and uvloop's),
  ``gevent.queue.Queue(100)``, a trio memory channel of 100, ``queue.Queue(100)``
  between two threads.
* lock: two tasks each take the lock, let the other run while holding it (so it is
  contended at every release) and release it (ns per acquire): ``stackful.Lock``,
  ``asyncio.Lock``, ``gevent.lock.BoundedSemaphore(1)``, ``trio.Lock``, and
  ``threading.Lock`` with ``time.sleep(0)`` between two threads.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from typing import Any, Callable

import stackful
from stackful import coroutine_fn

from ._common import event_loops, run_on
from ._report import Result, Target, bar_plot, ratio_table
from ._timing import Case, Progress, Scale, measure, optional

MAXSIZE = 100


# ------------------------------------------------------------------ queue

def _stackful_queue(n: int) -> float:
    def main() -> float:
        q: stackful.Queue[int] = stackful.Queue(MAXSIZE)

        def producer() -> None:
            put = q.put
            for i in range(n):
                put(i)

        start = time.perf_counter()
        stackful.spawn(producer)
        get = q.get
        for _ in range(n):
            get()
        return time.perf_counter() - start

    elapsed: float = stackful.run(main)
    return elapsed


def _asyncio_queue(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[int], float]:
    def run(n: int) -> float:
        async def main() -> float:
            q: asyncio.Queue[int] = asyncio.Queue(MAXSIZE)

            async def producer() -> None:
                put = q.put
                for i in range(n):
                    await put(i)

            start = time.perf_counter()
            task = asyncio.create_task(producer())
            get = q.get
            for _ in range(n):
                await get()
            await task
            return time.perf_counter() - start

        return run_on(new_loop, main())

    return run


def _gevent_queue(n: int) -> float:
    import gevent
    import gevent.queue

    q: Any = gevent.queue.Queue(MAXSIZE)

    def producer() -> None:
        put = q.put
        for i in range(n):
            put(i)

    start = time.perf_counter()
    glet = gevent.spawn(producer)
    get = q.get
    for _ in range(n):
        get()
    glet.join()
    return time.perf_counter() - start


def _trio_queue(n: int) -> float:
    import trio

    async def main() -> float:
        send, receive = trio.open_memory_channel[int](MAXSIZE)

        async def producer() -> None:
            for i in range(n):
                await send.send(i)

        start = time.perf_counter()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(producer)
            for _ in range(n):
                await receive.receive()
        return time.perf_counter() - start

    elapsed: float = trio.run(main)
    return elapsed


def _threads_queue(n: int) -> float:
    q: queue.Queue[int] = queue.Queue(MAXSIZE)

    def producer() -> None:
        put = q.put
        for i in range(n):
            put(i)

    start = time.perf_counter()
    thread = threading.Thread(target=producer)
    thread.start()
    get = q.get
    for _ in range(n):
        get()
    thread.join()
    return time.perf_counter() - start


# ------------------------------------------------------------------ lock

def _stackful_lock(n: int) -> float:
    @coroutine_fn
    def main() -> float:
        lock = stackful.Lock()

        @coroutine_fn
        def contender(rounds: int) -> None:
            sleep = stackful.sleep
            for _ in range(rounds):
                with lock:
                    sleep(0)

        start = time.perf_counter()
        with stackful.TaskGroup() as group:
            group.spawn(contender, n // 2)
            group.spawn(contender, n - n // 2)
        return time.perf_counter() - start

    elapsed: float = stackful.run(main)
    return elapsed


def _asyncio_lock(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[int], float]:
    def run(n: int) -> float:
        async def main() -> float:
            lock = asyncio.Lock()

            async def contender(rounds: int) -> None:
                for _ in range(rounds):
                    async with lock:
                        await asyncio.sleep(0)

            start = time.perf_counter()
            await asyncio.gather(contender(n // 2), contender(n - n // 2))
            return time.perf_counter() - start

        return run_on(new_loop, main())

    return run


def _gevent_lock(n: int) -> float:
    import gevent
    import gevent.lock

    lock: Any = gevent.lock.BoundedSemaphore(1)

    def contender(rounds: int) -> None:
        for _ in range(rounds):
            with lock:
                gevent.sleep(0)

    start = time.perf_counter()
    gevent.joinall([gevent.spawn(contender, n // 2), gevent.spawn(contender, n - n // 2)])
    return time.perf_counter() - start


def _trio_lock(n: int) -> float:
    import trio

    async def main() -> float:
        lock = trio.Lock()

        async def contender(rounds: int) -> None:
            for _ in range(rounds):
                async with lock:
                    await trio.sleep(0)

        start = time.perf_counter()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(contender, n // 2)
            nursery.start_soon(contender, n - n // 2)
        return time.perf_counter() - start

    elapsed: float = trio.run(main)
    return elapsed


def _threads_lock(n: int) -> float:
    lock = threading.Lock()

    def contender(rounds: int) -> None:
        for _ in range(rounds):
            with lock:
                time.sleep(0)

    start = time.perf_counter()
    threads = [threading.Thread(target=contender, args=(k,)) for k in (n // 2, n - n // 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def _cases(stackful_case: Callable[[int], float],
           asyncio_case: Callable[[Callable[[], asyncio.AbstractEventLoop]], Callable[[int], float]],
           gevent_case: Callable[[int], float], trio_case: Callable[[int], float],
           threads_case: Callable[[int], float], what: str) -> list[Case]:
    cases = [Case("stackful " + what, stackful_case)]
    for name, factory in event_loops():
        cases.append(Case("%s %s" % (name, what), asyncio_case(factory)))
    if optional("gevent") is not None:
        cases.append(Case("gevent " + what, gevent_case))
    if optional("trio") is not None:
        cases.append(Case("trio " + what, trio_case))
    cases.append(Case("threads " + what, threads_case))
    return cases


def run(scale: Scale, progress: Progress) -> Result:
    result = Result("sync", "sync: a bounded Queue between a producer and a consumer; a Lock "
                            "handed over between two tasks")
    for peer in ("uvloop", "gevent", "trio"):
        if optional(peer) is None:
            result.notes.append("%s not installed: its rows are skipped" % peer)
    queue_cases = _cases(_stackful_queue, _asyncio_queue, _gevent_queue, _trio_queue,
                         _threads_queue, "queue")
    lock_cases = _cases(_stackful_lock, _asyncio_lock, _gevent_lock, _trio_lock,
                        _threads_lock, "lock")
    progress.prefix = "sync: "
    measure(queue_cases + lock_cases, repeats=scale.repeats,
            target_seconds=scale.target_seconds, progress=progress)
    progress.prefix = ""
    result.tables.append(ratio_table(
        "producer/consumer through a queue of %d (trio: a memory channel)" % MAXSIZE,
        queue_cases, queue_cases[0].name, unit="ns/item"))
    result.tables.append(ratio_table(
        "a lock handed over between two tasks (gevent: BoundedSemaphore(1))", lock_cases,
        lock_cases[0].name, unit="ns/acquire"))
    result.plots += [bar_plot("sync_queue.png", "queue hand-over (ns per item, log scale)",
                              queue_cases, unit="ns/item"),
                     bar_plot("sync_lock.png", "lock hand-over (ns per acquire, log scale)",
                              lock_cases, unit="ns/acquire")]
    by_name = {c.name: c for c in queue_cases}
    result.targets.append(Target(
        "queue hand-over: stackful.Queue / asyncio.Queue, per item",
        queue_cases[0].ratio_to(by_name["asyncio queue"]), 0.5))
    return result
