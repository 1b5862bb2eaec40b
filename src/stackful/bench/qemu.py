"""QEMU's coroutine benchmarks: lifecycle, nesting, yield -- with and without the pool.

Reproduces the perf tests of QEMU's tests/unit/test-coroutine.c (/perf/lifecycle,
/perf/nesting, /perf/yield), which QEMU runs with its coroutine pool on and off:

* lifecycle: create a coroutine for an empty function, enter it, let it finish;
* nesting: 1000 nested coroutines, each creating and entering the next (time per
  coroutine);
* yield: one coroutine decrementing a counter and yielding, re-entered until it is
  zero (time per yield).

What "pool" means for stackful: QEMU's pool recycles whole coroutines (stack
included). stackful's cheap path is the thread's *default share stack* -- nothing to
map, the coroutine's frame chunk comes from a pool -- so "pool" rows run there. The
"no pool" rows give each coroutine a fresh `ShareStack()`: a stack of its own to set
up and release (the mapping comes from a pool of up to 64 free stacks, whose touched
pages are given back with madvise; nesting 1000 deep needs more than that, so most of
those are new mmaps). The frame-chunk pool cannot be turned off from Python.

Peers: Python generators (the baseline), greenlet, asyncio tasks (and uvloop's if
installed).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any, Callable, Iterator

from stackful import Coroutine, ShareStack, coroutine_fn, suspend

from ._common import event_loops, peer_notes, recursion_limit
from ._report import Result, bar_plot, ratio_table
from ._timing import Case, Progress, Scale, Timing, measure, optional, timed
from .switch import lifecycle_generator, lifecycle_greenlet, lifecycle_stackful

NESTING = 1000
POOL = "pool: the default share stack (+ pooled frame chunk)"
NO_POOL = "no pool: a fresh ShareStack() each"


# ----------------------------------------------------------------------------------
# lifecycle (stackful, generator and greenlet loops are the switch benchmark's)

def _lifecycle_asyncio(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[int], None]:
    async def empty() -> None:
        return None

    async def many(n: int) -> None:
        create_task = asyncio.get_running_loop().create_task
        for _ in range(n):
            await create_task(empty())

    def loop(n: int) -> None:
        ev = new_loop()
        try:
            ev.run_until_complete(many(n))
        finally:
            ev.close()

    return loop


# ----------------------------------------------------------------------------------
# nesting

def _nest_stackful(depth: int, fresh_stack: bool) -> None:
    if depth:
        stack = ShareStack() if fresh_stack else None
        Coroutine(_nest_stackful, depth - 1, fresh_stack, stack=stack).resume()


def _nest_generator(depth: int) -> Iterator[None]:
    if depth:
        for _ in _nest_generator(depth - 1):
            pass
    return
    yield  # unreachable: makes this a generator


def _nest_generators(depth: int) -> None:
    for _ in _nest_generator(depth):
        pass


def _nest_greenlet(depth: int) -> None:
    import greenlet

    if depth:
        greenlet.greenlet(_nest_greenlet).switch(depth - 1)


def _nest_asyncio(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[int], None]:
    async def nest(depth: int) -> None:
        if depth:
            await asyncio.get_running_loop().create_task(nest(depth - 1))

    def run(nests: int) -> None:
        ev = new_loop()
        try:
            for _ in range(nests):
                ev.run_until_complete(nest(NESTING))
        finally:
            ev.close()

    return run


def _nesting(nest: Callable[[int], Any]) -> Callable[[int], Timing]:
    """run(k): about k coroutines, in whole nests of NESTING."""

    def run(k: int) -> Timing:
        nests = max(1, k // NESTING)
        with recursion_limit(10 * NESTING):
            start = time.perf_counter()
            for _ in range(nests):
                nest(NESTING)
            elapsed = time.perf_counter() - start
        return Timing(elapsed, nests * NESTING)

    return run


def _nesting_asyncio(run_nests: Callable[[int], None]) -> Callable[[int], Timing]:
    def run(k: int) -> Timing:
        nests = max(1, k // NESTING)
        start = time.perf_counter()
        run_nests(nests)
        return Timing(time.perf_counter() - start, nests * NESTING)

    return run


# ----------------------------------------------------------------------------------
# yield

@coroutine_fn
def _count_down_stackful(n: int) -> None:
    while n:
        n -= 1
        suspend()


def _yield_stackful(fresh_stack: bool) -> Callable[[int], None]:
    def loop(n: int) -> None:
        co = Coroutine(_count_down_stackful, n, stack=ShareStack() if fresh_stack else None)
        resume = co.resume
        for _ in range(n + 1):
            resume()

    return loop


def _count_down_generator(n: int) -> Iterator[None]:
    while n:
        n -= 1
        yield


def _yield_generator(n: int) -> None:
    for _ in _count_down_generator(n):
        pass


def _yield_greenlet(n: int) -> None:
    import greenlet

    main = greenlet.getcurrent()

    def count_down(n: int) -> None:
        switch = main.switch
        while n:
            n -= 1
            switch()

    g = greenlet.greenlet(count_down)
    g.switch(n)
    while not g.dead:
        g.switch()


def _yield_asyncio(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[int], None]:
    async def count_down(n: int) -> None:
        while n:
            n -= 1
            await asyncio.sleep(0)

    def loop(n: int) -> None:
        ev = new_loop()
        try:
            ev.run_until_complete(count_down(n))
        finally:
            ev.close()

    return loop


# ----------------------------------------------------------------------------------

def cases() -> dict[str, list[Case]]:
    greenlet = optional("greenlet") is not None
    lifecycle = [
        Case("generator create, next, finish", timed(lifecycle_generator()), "lifecycle"),
        Case("stackful, " + POOL, timed(lifecycle_stackful(False)), "lifecycle"),
        Case("stackful, " + NO_POOL, timed(lifecycle_stackful(True)), "lifecycle"),
    ]
    nesting = [
        Case("generators, each iterating the next", _nesting(_nest_generators), "nesting"),
        Case("stackful, " + POOL, _nesting(lambda d: _nest_stackful(d, False)), "nesting"),
        Case("stackful, " + NO_POOL, _nesting(lambda d: _nest_stackful(d, True)), "nesting"),
    ]
    yields = [
        Case("generator, for loop", timed(_yield_generator), "yield"),
        Case("stackful, " + POOL, timed(_yield_stackful(False)), "yield"),
        Case("stackful, " + NO_POOL, timed(_yield_stackful(True)), "yield"),
    ]
    if greenlet:
        lifecycle.append(Case("greenlet create, switch, finish", timed(lifecycle_greenlet()),
                              "lifecycle"))
        # 3.12 bounds C recursion by a fixed count (1500) that setrecursionlimit does
        # not raise, and each greenlet nested in the previous one costs two levels.
        if sys.version_info[:2] != (3, 12):
            nesting.append(Case("greenlet, each switching into the next",
                                _nesting(_nest_greenlet), "nesting"))
        yields.append(Case("greenlet switch", timed(_yield_greenlet), "yield"))
    for name, new_loop in event_loops():
        lifecycle.append(Case("%s task: create_task, await it" % name,
                              timed(_lifecycle_asyncio(new_loop)), "lifecycle"))
        nesting.append(Case("%s tasks, each awaiting a new task" % name,
                            _nesting_asyncio(_nest_asyncio(new_loop)), "nesting"))
        yields.append(Case("%s task, await sleep(0)" % name, timed(_yield_asyncio(new_loop)),
                           "yield"))
    return {"lifecycle": lifecycle, "nesting": nesting, "yield": yields}


TITLES = {
    "lifecycle": "lifecycle: create, enter and finish an empty coroutine",
    "nesting": "nesting: %d nested coroutines, each creating and entering the next "
               "(per coroutine)" % NESTING,
    "yield": "yield: one coroutine decrementing a counter and yielding (per yield)",
}


def run(scale: Scale, progress: Progress) -> Result:
    result = Result("qemu", "qemu: QEMU's coroutine perf tests (lifecycle, nesting, yield)")
    result.notes += peer_notes()
    result.notes.append("pool = %s; no pool = %s (stack mapping from the stack pool; "
                        "nesting needs more stacks than the pool holds)" % (POOL[6:], NO_POOL[9:]))
    groups = cases()
    progress.prefix = "qemu: "
    measure([c for g in groups.values() for c in g], repeats=scale.repeats,
            target_seconds=scale.target_seconds, progress=progress)
    progress.prefix = ""
    for name, members in groups.items():
        result.tables.append(ratio_table(TITLES[name], members, members[0].name))
        result.plots.append(bar_plot("qemu_%s.png" % name, "QEMU %s (ns/op, log scale)" % name,
                                     members))
    return result
