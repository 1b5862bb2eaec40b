"""Tasks of the runtime: spawn + join of an empty task, and 100,000 tasks sleeping at
once (memory per task, time to wake them all), against the peers.

* spawn + join: ``stackful.spawn(f).join()`` against asyncio's
  ``await asyncio.create_task(f())`` (and uvloop's), ``gevent.spawn(f).join()``, trio's
  nursery of one task, and a thread started and joined; timed inside each event loop.
* sleeping tasks: each case in a fresh process (``python -m stackful.bench
  --sleep-case CASE N``): N tasks each sleeping until a common deadline; RSS after they
  all sleep minus RSS before, per task (read from /proc/self/statm), and the time from
  the deadline until the last task has woken and ended.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import threading
import time
from typing import Any, Callable

import stackful
from stackful import coroutine_fn

from ._common import event_loops, in_fresh_process, run_on
from ._report import Result, Table, Target, bar_plot, ratio_table
from ._timing import Case, Progress, Scale, measure, optional

WHY_MEMORY = (
    "A sleeping task is a stackful.Task (%d B with its slots) and a Coroutine with its "
    "saved C stack and its frame chunk: the core's part, measured by the memory "
    "benchmark as RSS per suspended coroutine, is most of it (docs/benchmarks.md). An "
    "asyncio task keeps no C stack: its coroutine frame, a Future and a TimerHandle.")


# ------------------------------------------------------------------ spawn + join

def _empty() -> None:
    pass


async def _aempty() -> None:
    pass


def _stackful_spawn_join(n: int) -> float:
    def main() -> float:
        spawn = stackful.spawn
        start = time.perf_counter()
        for _ in range(n):
            spawn(_empty).join()
        return time.perf_counter() - start

    elapsed: float = stackful.run(main)
    return elapsed


def _asyncio_spawn_join(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[int], float]:
    def run(n: int) -> float:
        async def main() -> float:
            create_task = asyncio.create_task
            start = time.perf_counter()
            for _ in range(n):
                await create_task(_aempty())
            return time.perf_counter() - start

        return run_on(new_loop, main())

    return run


def _gevent_spawn_join(n: int) -> float:
    import gevent

    spawn = gevent.spawn
    start = time.perf_counter()
    for _ in range(n):
        spawn(_empty).join()
    return time.perf_counter() - start


def _trio_spawn_join(n: int) -> float:
    import trio

    async def main() -> float:
        open_nursery = trio.open_nursery
        start = time.perf_counter()
        for _ in range(n):
            async with open_nursery() as nursery:
                nursery.start_soon(_aempty)
        return time.perf_counter() - start

    elapsed: float = trio.run(main)
    return elapsed


def _threads_spawn_join(n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        thread = threading.Thread(target=_empty)
        thread.start()
        thread.join()
    return time.perf_counter() - start


def spawn_join_cases() -> list[Case]:
    cases = [Case("stackful spawn(f).join()", _stackful_spawn_join)]
    for name, factory in event_loops():
        cases.append(Case("%s await create_task(f())" % name, _asyncio_spawn_join(factory)))
    if optional("gevent") is not None:
        cases.append(Case("gevent spawn(f).join()", _gevent_spawn_join))
    if optional("trio") is not None:
        cases.append(Case("trio nursery with one task", _trio_spawn_join))
    cases.append(Case("threads start() + join()", _threads_spawn_join))
    return cases


# ------------------------------------------------------------------ sleeping tasks

def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def _sleep_stackful(n: int) -> dict[str, float]:
    out: dict[str, float] = {}

    @coroutine_fn
    def sleeper(deadline: list[float]) -> None:
        stackful.sleep(deadline[0] - stackful.clock())

    @coroutine_fn
    def main() -> None:
        deadline = [0.0]
        before = rss()
        tasks = [stackful.spawn(sleeper, deadline) for _ in range(n)]
        deadline[0] = stackful.clock() + 1.0 + n * 20e-6
        stackful.sleep(0)                        # every task runs to its sleep
        gc.collect()
        out["per_task"] = (rss() - before) / n
        stackful.sleep(deadline[0] - stackful.clock())
        for task in tasks:
            task.join()
        out["wake_all"] = stackful.clock() - deadline[0]
        out["task_object"] = float(sys.getsizeof(tasks[0]))

    stackful.run(main)
    return out


def _sleep_asyncio(new_loop: Callable[[], asyncio.AbstractEventLoop], n: int) -> dict[str, float]:
    out: dict[str, float] = {}

    async def sleeper(deadline: list[float]) -> None:
        await asyncio.sleep(deadline[0] - time.monotonic())

    async def main() -> None:
        deadline = [0.0]
        before = rss()
        tasks = [asyncio.create_task(sleeper(deadline)) for _ in range(n)]
        deadline[0] = time.monotonic() + 1.0 + n * 20e-6
        await asyncio.sleep(0)
        gc.collect()
        out["per_task"] = (rss() - before) / n
        await asyncio.sleep(deadline[0] - time.monotonic())
        await asyncio.gather(*tasks)
        out["wake_all"] = time.monotonic() - deadline[0]

    run_on(new_loop, main())
    return out


def _sleep_gevent(n: int) -> dict[str, float]:
    import gevent

    out: dict[str, float] = {}
    deadline = [0.0]

    def sleeper() -> None:
        gevent.sleep(deadline[0] - time.monotonic())

    before = rss()
    glets = [gevent.spawn(sleeper) for _ in range(n)]
    deadline[0] = time.monotonic() + 1.0 + n * 20e-6
    gevent.sleep(0)
    gc.collect()
    out["per_task"] = (rss() - before) / n
    gevent.sleep(deadline[0] - time.monotonic())
    gevent.joinall(glets)
    out["wake_all"] = time.monotonic() - deadline[0]
    return out


def _sleep_trio(n: int) -> dict[str, float]:
    import trio

    out: dict[str, float] = {}

    async def main() -> None:
        deadline = trio.current_time() + 1.0 + n * 40e-6
        before = rss()
        async with trio.open_nursery() as nursery:
            for _ in range(n):
                nursery.start_soon(trio.sleep_until, deadline)
            await trio.sleep(0)
            await trio.sleep(0)
            gc.collect()
            out["per_task"] = (rss() - before) / n
            await trio.sleep_until(deadline)
        out["wake_all"] = trio.current_time() - deadline

    trio.run(main)
    return out


SLEEP_CASES: dict[str, str] = {
    "stackful": "stackful tasks, stackful.sleep()",
    "asyncio": "asyncio tasks, asyncio.sleep()",
    "uvloop": "uvloop tasks, asyncio.sleep()",
    "gevent": "greenlets, gevent.sleep()",
    "trio": "trio tasks, trio.sleep_until()",
}


def main_sleep_case(case: str, n: int) -> int:
    """Entry of the hidden --sleep-case option: print the measurement as JSON."""
    runners: dict[str, Callable[[int], dict[str, float]]] = {
        "stackful": _sleep_stackful,
        "asyncio": lambda k: _sleep_asyncio(asyncio.new_event_loop, k),
        "uvloop": lambda k: _sleep_asyncio(dict(event_loops())["uvloop"], k),
        "gevent": _sleep_gevent,
        "trio": _sleep_trio,
    }
    print(json.dumps(runners[case](n)))
    return 0


# ------------------------------------------------------------------ the benchmark

def run(scale: Scale, progress: Progress) -> Result:
    result = Result("tasks", "tasks: spawn + join of an empty task; 100,000 sleeping tasks")
    for peer in ("uvloop", "gevent", "trio"):
        if optional(peer) is None:
            result.notes.append("%s not installed: its rows are skipped" % peer)
    progress.prefix = "tasks spawn+join: "
    cases = spawn_join_cases()
    measure(cases, repeats=scale.repeats, target_seconds=scale.target_seconds, progress=progress)
    result.tables.append(ratio_table("spawn + join of an empty task", cases, cases[0].name,
                                     unit="ns/task"))
    result.plots.append(bar_plot("tasks_spawn_join.png", "spawn + join (ns per task, log scale)",
                                 cases, unit="ns/task"))
    by_name = {c.name: c for c in cases}
    result.targets.append(Target(
        "spawn + join: stackful / asyncio create_task + await",
        cases[0].ratio_to(by_name["asyncio await create_task(f())"]), 0.5,
        why="see the table: the time is the Task and Coroutine objects and two switches"))

    n = scale.pick(100_000, 20_000, 2_000)
    rows, measured = [], {}
    for case, label in SLEEP_CASES.items():
        if case != "stackful" and case != "asyncio" and optional(case) is None:
            continue
        progress("tasks: %d sleeping, %s" % (n, label))
        data = in_fresh_process("--sleep-case", case, n)
        measured[case] = data
        rows.append([label, str(n), "%.0f" % data["per_task"], "%.1f" % (data["wake_all"] * 1e3),
                     "%.0f" % (data["wake_all"] / n * 1e9)])
    base = measured["asyncio"]["per_task"]
    for row, data in zip(rows, measured.values()):
        row.append("%.2fx" % (data["per_task"] / base))
    progress.prefix = ""
    result.tables.append(Table(
        "%d tasks sleeping at once (each case a fresh process)" % n,
        ["case", "N", "bytes/task", "wake all (ms)", "ns/task to wake", "memory vs asyncio"],
        rows, ["bytes/task: RSS with the tasks asleep minus RSS before, per task; wake all: "
               "from the common deadline until every task has ended"]))
    sf = measured["stackful"]
    result.targets.append(Target(
        "memory per sleeping task: stackful / asyncio", sf["per_task"] / base, 0.5,
        why=WHY_MEMORY % sf["task_object"]))
    return result
