"""Bridges from sync code to asyncio: what one ``await_`` costs, against the greenlet-based
bridges (issue 11).

Each case runs, in one asyncio task, sync code that awaits n times through its bridge
(ns per await):

* ``stackful.aio``: ``await run_sync(fn)``, ``await_(x)`` in fn;
* SQLAlchemy: ``await greenlet_spawn(fn)``, ``await_only(x)`` in fn (its own functions,
  from ``sqlalchemy.util``);
* greenback: ``await greenback.ensure_portal()`` in the task, ``greenback.await_(x)``
  in the sync code it then calls;
* the floor: the same awaits written in async code (``await x`` in a loop).

Two awaitables: an asyncio Future that is already done (the bridge's own cost: the
await returns at once), and ``asyncio.sleep(0)`` (a real trip through the event loop,
which every bridge pays on top).  Timing is taken inside the task, after the set-up.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any, Awaitable, Callable, Coroutine

from stackful.aio import await_, run_sync

from ._report import Result, Target, bar_plot, ratio_table
from ._timing import Case, Progress, Scale, measure, optional

Awaitables = Callable[[asyncio.AbstractEventLoop], Callable[[], Awaitable[Any]]]
Body = Callable[[Callable[[], Awaitable[Any]], int], Coroutine[Any, Any, float]]


def _done_future(loop: asyncio.AbstractEventLoop) -> Callable[[], Awaitable[Any]]:
    future: asyncio.Future[int] = loop.create_future()
    future.set_result(1)
    return lambda: future


def _sleep0(loop: asyncio.AbstractEventLoop) -> Callable[[], Awaitable[Any]]:
    sleep = asyncio.sleep
    return lambda: sleep(0)


AWAITABLES: dict[str, Awaitables] = {"completed Future": _done_future,
                                     "asyncio.sleep(0)": _sleep0}


def _on_loop(body: Body, make: Awaitables) -> Callable[[int], float]:
    def run(n: int) -> float:
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(body(make(loop), n))
        finally:
            loop.close()

    return run


async def _plain_async(make: Callable[[], Awaitable[Any]], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await make()
    return time.perf_counter() - start


def _sync_loop(wait: Callable[[Awaitable[Any]], Any], make: Callable[[], Awaitable[Any]],
               n: int) -> None:
    for _ in range(n):
        wait(make())


async def _stackful(make: Callable[[], Awaitable[Any]], n: int) -> float:
    start = time.perf_counter()
    await run_sync(_sync_loop, await_, make, n)
    return time.perf_counter() - start


async def _sqlalchemy(make: Callable[[], Awaitable[Any]], n: int) -> float:
    from sqlalchemy import util

    start = time.perf_counter()
    await util.greenlet_spawn(_sync_loop, util.await_only, make, n)
    return time.perf_counter() - start


async def _greenback(make: Callable[[], Awaitable[Any]], n: int) -> float:
    import greenback

    await greenback.ensure_portal()
    start = time.perf_counter()
    _sync_loop(greenback.await_, make, n)
    return time.perf_counter() - start


STACKFUL = "stackful.aio run_sync/await_"
SQLALCHEMY = "SQLAlchemy greenlet_spawn/await_only"
GREENBACK = "greenback ensure_portal/await_"
PLAIN = "async code: await in a loop"


def _peers() -> dict[str, Body]:
    peers: dict[str, Body] = {PLAIN: _plain_async, STACKFUL: _stackful}
    if optional("sqlalchemy") is not None and optional("greenlet") is not None:
        peers[SQLALCHEMY] = _sqlalchemy
    if optional("greenback") is not None:
        peers[GREENBACK] = _greenback
    return peers


def cases() -> list[Case]:
    return [Case(name, _on_loop(body, make), group)
            for group, make in AWAITABLES.items() for name, body in _peers().items()]


def _above(case: Case, floor: Case) -> list[float]:
    """Per repeat, what the case costs above the floor (async code awaiting the same)."""
    return [c - f for c, f in zip(case.samples, floor.samples)]


def _targets(group: str, ours: Case, peer: Case, floor: Case) -> list[Target]:
    """The issue's target (ours / peer, whole await), and the same ratio of the bridges'
    own costs (what each adds above async code awaiting the same awaitable)."""
    name = peer.name.split()[0]
    whole = Target("await_ of %s / %s (issue 11)" % (group, name), ours.ratio_to(peer), 0.5)
    ours_above, peer_above = _above(ours, floor), _above(peer, floor)
    own = statistics.median(o / p for o, p in zip(ours_above, peer_above)
                            ) if min(peer_above) > 0 else float("inf")
    whole.why = ("every bridge pays the awaitable's own cost, %.0f ns in async code, which "
                 "no bridge can remove (a bridge that cost nothing would measure %.2fx); "
                 "above it stackful.aio adds %.0f ns and %s %.0f ns (%.2fx)"
                 % (floor.median, floor.ratio_to(peer), statistics.median(ours_above), name,
                    statistics.median(peer_above), own))
    return [whole, Target("  the bridge's own cost above async code's / %s" % name, own, 0.5)]


def run(scale: Scale, progress: Progress) -> Result:
    cases_ = cases()
    measure(cases_, repeats=scale.repeats, target_seconds=scale.target_seconds,
            progress=progress)
    result = Result("bridges", "bridges: one await_ from sync code, against the greenlet "
                    "bridges")
    by_name = {(c.group, c.name): c for c in cases_}
    for group in AWAITABLES:
        members = [c for c in cases_ if c.group == group]
        result.tables.append(ratio_table("await_ of %s (ns per await)" % group, members,
                                         STACKFUL))
        result.plots.append(bar_plot("bridges_%s.png" % group.split()[0].split(".")[0],
                                     "bridges: await_ of %s (ns/op, log scale)" % group,
                                     members))
        for peer in (SQLALCHEMY, GREENBACK):
            if (group, peer) in by_name:
                result.targets += _targets(group, by_name[(group, STACKFUL)],
                                           by_name[(group, peer)], by_name[(group, PLAIN)])
    if SQLALCHEMY not in _peers():
        result.notes.append("SQLAlchemy (or greenlet) not installed: its rows are skipped")
    if GREENBACK not in _peers():
        result.notes.append("greenback not installed: its rows are skipped")
    return result
