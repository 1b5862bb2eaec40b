"""Photon's coroutine figures, in Python: sum of a sequence, Tower of Hanoi, write_fully, ring.

Reproduces the four workloads of the benchmark section of Photon's paper ("Photon:
Asynchronous I/O for C++", Alibaba's PhotonLibOS, and its "Stackful coroutine made
fast" blog post), which compare stackful coroutines with C++20 stackless ones:

* sum of a sequence: a generator of N..1 summed by the consumer (ns per item);
* Tower of Hanoi, n = 1..20: every move emitted from recursion depth n, as a ratio to
  plain recursion that passes each move to a callback (ns per move). A stackful
  generator emits from any depth at the same cost; a `yield from` chain passes every
  item through each generator between the emitting one and the consumer (O(n)), and
  creates one generator per recursive call;
* write_fully: 10 tasks each writing a volume in 800-byte `send_some` calls into a sink
  that accepts a bounded pseudo-random number of bytes per call; every call is preceded
  by `wait_for_ready()`, which only switches to the next task (round-robin); the
  switch happens 3 calls deep (task -> write_fully -> send_block -> wait_for_ready);
* ring: 10 tasks that hand over to one another (ns per hand-over).

Each peer is written the way its users write it: Python generators (`yield from`
chains, a deque scheduler), greenlet (a generator made of a greenlet, a switch ring, a
deque scheduler), asyncio (async generators, tasks, `await asyncio.sleep(0)`; uvloop
too if installed) and, for write_fully, threads passing a baton.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import random
import threading
import time
from typing import Any, Callable, Generator, Iterator

import stackful
from stackful import Coroutine, coroutine_fn, emit, suspend
from stackful.lowlevel import transfer

from ._common import GreenletGenerator, event_loops, greenlet_emit, peer_notes
from ._report import Plot, Result, Table, Target, bar_plot, ns, ratio_table
from ._timing import Case, Progress, Scale, Timing, measure, optional, timed

TASKS = 10
BLOCK = 800

# Measured explanations of the gaps (the project machine, 2026-11-23; the full analysis is
# in docs/benchmarks.md); printed under a target that is not met.
WHY_SUM = (
    "Per item a stackful generator makes two stack switches (next() resumes it, emit() "
    "comes back), each saving and restoring CPython's per-context thread-state fields, "
    "the callee-saved registers and control words; a Python generator only re-enters its "
    "frame. Measured by parts (interleaved runs, 3.11): the generator's own loop with its "
    "emit() call ~31 ns per item without switching, the consumer's side ~4 ns, the two "
    "switches with their glue ~40-45 ns; one return per item is still mispredicted (the "
    "consumer's return from PyIter_Next). The switch returns by an indirect jump and the "
    "entry points tail-call it (docs/benchmarks.md), which took this from 2.1x to "
    "1.8-1.9x; what would close more: a switch that saves only the fields next()/emit() "
    "can change.")
WHY_HANOI_FLAT = (
    "Per move the stackful generator does the same work at every n (one emit, two "
    "switches, no per-level work); a spread beyond 1.3 comes from the baseline and the "
    "machine: see the spread column (the callback's ns/move varies by itself), and at "
    "small n the per-tower cost of starting the generator's loop.")
WHY_RING = (
    "The %d ring members are dealt onto the thread's default share stacks (16 per thread), "
    "so they copy nothing (%s per copy when copies happen, co.stats); with a ShareStack() "
    "each the transfer() ring is %.2fx the generators and the deque scheduler %.2fx, the "
    "same. The switches are not the gap (the transfer() ring, one switch per hand-over, "
    "is faster than the generators); the asymmetric protocol is: per hand-over the "
    "scheduler makes a method call into the coroutine and the coroutine a call back "
    "(suspend()), plus the co.status test, where a generator's scheduler makes one call "
    "and the generator yields without one (telling a finished task by its return value "
    "instead is the 'done by return value' row).")


# ----------------------------------------------------------------------------------
# Sum of a sequence

def _py_countdown(n: int) -> Iterator[int]:
    while n:
        yield n
        n -= 1


@stackful.generator
@coroutine_fn
def _sf_countdown(n: int) -> None:
    while n:
        emit(n)
        n -= 1


def _gl_countdown(n: int) -> None:
    while n:
        greenlet_emit(n)
        n -= 1


async def _async_countdown(n: int) -> Any:
    while n:
        yield n
        n -= 1


async def _async_sum(n: int) -> int:
    total = 0
    async for x in _async_countdown(n):
        total += x
    return total


def _async_sum_runner(loop: asyncio.AbstractEventLoop) -> Callable[[int], int]:
    return lambda n: loop.run_until_complete(_async_sum(n))


def _sum_cases() -> list[Case]:
    group = "sum"
    cases = [
        Case("python generator, sum()", timed(lambda n: sum(_py_countdown(n))), group),
        Case("stackful generator, sum()", timed(lambda n: sum(_sf_countdown(n))), group),
    ]
    if optional("greenlet"):
        cases.append(Case("greenlet generator, sum()",
                          timed(lambda n: sum(GreenletGenerator(_gl_countdown, n))), group))
    for name, new_loop in event_loops():
        cases.append(Case("%s async generator, async for" % name,
                          timed(_async_sum_runner(new_loop())), group))
    return cases


# ----------------------------------------------------------------------------------
# Tower of Hanoi

def _hanoi_callback(n: int, a: int, b: int, c: int,
                    move: Callable[[tuple[int, int]], Any]) -> None:
    if n == 1:
        move((a, c))
        return
    _hanoi_callback(n - 1, a, c, b, move)
    move((a, c))
    _hanoi_callback(n - 1, b, a, c, move)


@coroutine_fn
def _hanoi_emit(n: int, a: int, b: int, c: int) -> None:
    if n == 1:
        emit((a, c))
        return
    _hanoi_emit(n - 1, a, c, b)
    emit((a, c))
    _hanoi_emit(n - 1, b, a, c)


@stackful.generator
@coroutine_fn
def _hanoi_stackful(n: int, reps: int) -> None:
    for _ in range(reps):
        _hanoi_emit(n, 1, 2, 3)


def _hanoi_yield_from(n: int, a: int, b: int, c: int) -> Iterator[tuple[int, int]]:
    if n == 1:
        yield (a, c)
        return
    yield from _hanoi_yield_from(n - 1, a, c, b)
    yield (a, c)
    yield from _hanoi_yield_from(n - 1, b, a, c)


def _hanoi_generator(n: int, reps: int) -> Iterator[tuple[int, int]]:
    for _ in range(reps):
        yield from _hanoi_yield_from(n, 1, 2, 3)


def _hanoi_greenlet(n: int, reps: int) -> None:
    for _ in range(reps):
        _hanoi_callback(n, 1, 2, 3, greenlet_emit)


def _batch_runner(per_batch: int, body: Callable[[int], None]) -> Callable[[int], Timing]:
    """run(k): about k operations, as body(batches) running whole batches of
    `per_batch` operations (towers of moves, laps of a ring)."""

    def run(k: int) -> Timing:
        batches = max(1, k // per_batch)
        start = time.perf_counter()
        body(batches)
        return Timing(time.perf_counter() - start, batches * per_batch)

    return run


HANOI_VARIANTS = ["callback", "stackful generator", "yield from", "greenlet generator"]


def _hanoi_cases(n: int) -> list[Case]:
    moves = 2 ** n - 1
    drain: collections.deque[tuple[int, int]] = collections.deque(maxlen=0)
    sink = drain.append

    def callback(reps: int) -> None:
        for _ in range(reps):
            _hanoi_callback(n, 1, 2, 3, sink)

    consumers: dict[str, Callable[[int], None]] = {
        "callback": callback,
        "stackful generator": lambda reps: drain.extend(_hanoi_stackful(n, reps)),
        "yield from": lambda reps: drain.extend(_hanoi_generator(n, reps)),
    }
    if optional("greenlet"):
        consumers["greenlet generator"] = (
            lambda reps: drain.extend(GreenletGenerator(_hanoi_greenlet, n, reps)))
    return [Case(name, _batch_runner(moves, consume), "hanoi %d" % n)
            for name, consume in consumers.items()]


# ----------------------------------------------------------------------------------
# write_fully

_LIMITS = [random.Random(3).randrange(100, 1001) for _ in range(97)]


class Sink:
    """One task's connection: accepts at most a pseudo-random 100..1000 bytes per call."""

    def __init__(self, seed: int) -> None:
        self.i = seed
        self.calls = 0

    def send_some(self, n: int) -> int:
        self.calls += 1
        self.i = i = (self.i + 1) % 97
        limit = _LIMITS[i]
        return n if n < limit else limit


# Stackful: wait_for_ready() suspends; the scheduler resumes the next task.

@coroutine_fn
def _sf_send_block(sink: Sink, size: int) -> int:
    sent = 0
    while sent < size:
        suspend()                               # wait_for_ready(): next task's turn
        sent += sink.send_some(size - sent)
    return sent


@coroutine_fn
def _sf_write_fully(sink: Sink, total: int) -> None:
    done = 0
    while done < total:
        done += _sf_send_block(sink, min(BLOCK, total - done))


def _sf_schedule(tasks: list[Coroutine]) -> None:
    ready = collections.deque(tasks)
    while ready:
        co = ready.popleft()
        co.resume()
        if co.status != "dead":
            ready.append(co)


def _wf_stackful(sinks: list[Sink], total: int) -> None:
    _sf_schedule([Coroutine(_sf_write_fully, sink, total) for sink in sinks])


# Generators: wait_for_ready() is a generator; each level delegates with yield from.

def _gen_wait_for_ready() -> Iterator[None]:
    yield


def _gen_send_block(sink: Sink, size: int) -> Generator[None, None, int]:
    sent = 0
    while sent < size:
        yield from _gen_wait_for_ready()
        sent += sink.send_some(size - sent)
    return sent


def _gen_write_fully(sink: Sink, total: int) -> Iterator[None]:
    done = 0
    while done < total:
        done += yield from _gen_send_block(sink, min(BLOCK, total - done))


def _gen_schedule(tasks: list[Iterator[None]]) -> None:
    ready = collections.deque(tasks)
    while ready:
        task = ready.popleft()
        try:
            next(task)
        except StopIteration:
            continue
        ready.append(task)


def _wf_generators(sinks: list[Sink], total: int) -> None:
    _gen_schedule([_gen_write_fully(sink, total) for sink in sinks])


# greenlet: wait_for_ready() switches to the scheduler (the main greenlet, a deque).

def _gl_send_block(sink: Sink, size: int, hub: Any) -> int:
    sent = 0
    while sent < size:
        hub.switch()
        sent += sink.send_some(size - sent)
    return sent


def _gl_write_fully(sink: Sink, total: int, hub: Any) -> None:
    done = 0
    while done < total:
        done += _gl_send_block(sink, min(BLOCK, total - done), hub)


def _wf_greenlet(sinks: list[Sink], total: int) -> None:
    import greenlet

    hub = greenlet.getcurrent()
    ready = collections.deque(greenlet.greenlet(functools.partial(_gl_write_fully, sink,
                                                                  total, hub))
                              for sink in sinks)
    while ready:
        g = ready.popleft()
        g.switch()
        if not g.dead:
            ready.append(g)


# asyncio: wait_for_ready() is a loop round, await asyncio.sleep(0).

async def _aio_send_block(sink: Sink, size: int) -> int:
    sent = 0
    while sent < size:
        await asyncio.sleep(0)
        sent += sink.send_some(size - sent)
    return sent


async def _aio_write_fully(sink: Sink, total: int) -> None:
    done = 0
    while done < total:
        done += await _aio_send_block(sink, min(BLOCK, total - done))


async def _aio_all(sinks: list[Sink], total: int) -> None:
    await asyncio.gather(*(_aio_write_fully(sink, total) for sink in sinks))


# Threads: a baton (one lock per thread) passed round-robin among the live threads.

def _wf_threads(sinks: list[Sink], total: int) -> None:
    batons = [threading.Lock() for _ in sinks]
    for baton in batons:
        baton.acquire()
    live = list(range(len(sinks)))              # changed only by the baton holder

    def wait_for_ready(me: int) -> None:
        nxt = live[(live.index(me) + 1) % len(live)]
        if nxt != me:
            batons[nxt].release()
            batons[me].acquire()

    def send_block(me: int, size: int) -> int:
        sent = 0
        while sent < size:
            wait_for_ready(me)
            sent += sinks[me].send_some(size - sent)
        return sent

    def task(me: int) -> None:
        batons[me].acquire()
        done = 0
        while done < total:
            done += send_block(me, min(BLOCK, total - done))
        position = live.index(me)
        live.remove(me)
        if live:
            batons[live[position % len(live)]].release()

    threads = [threading.Thread(target=task, args=(i,)) for i in range(len(sinks))]
    for t in threads:
        t.start()
    batons[0].release()
    for t in threads:
        t.join()


def _wf_case(name: str, body: Callable[[list[Sink], int], None], total: int) -> Case:
    def run(_: int) -> Timing:
        sinks = [Sink(7 * i) for i in range(TASKS)]
        start = time.perf_counter()
        body(sinks, total)
        elapsed = time.perf_counter() - start
        return Timing(elapsed, sum(s.calls for s in sinks))

    return Case("%s (%s per task)" % (name, _volume(total)), run, "write_fully", fixed_n=1)


def _volume(total: int) -> str:
    return "%g MB" % (total / 1e6) if total >= 100_000 else "%d KB" % (total // 1000)


def _write_fully_cases(scale: Scale) -> list[Case]:
    fast = scale.pick(100_000_000, 1_000_000, 16_000)
    slow = scale.pick(10_000_000, 250_000, 16_000)
    threads = scale.pick(1_000_000, 50_000, 8_000)
    cases = [_wf_case("generators, yield from chain, deque scheduler", _wf_generators, fast),
             _wf_case("stackful coroutines, deque scheduler", _wf_stackful, fast)]
    if optional("greenlet"):
        cases.append(_wf_case("greenlet, deque scheduler", _wf_greenlet, fast))
    for name, new_loop in event_loops():
        def body(sinks: list[Sink], total: int, new_loop: Any = new_loop) -> None:
            loop = new_loop()
            try:
                loop.run_until_complete(_aio_all(sinks, total))
            finally:
                loop.close()
        cases.append(_wf_case("%s tasks, await sleep(0)" % name, body, slow))
    cases.append(_wf_case("threads, a baton of locks", _wf_threads, threads))
    return cases


# ----------------------------------------------------------------------------------
# Ring

def _ring_runner(ring: Callable[[int], None]) -> Callable[[int], Timing]:
    return _batch_runner(TASKS, ring)       # a lap is TASKS hand-overs


def _gen_ring(laps: int) -> None:
    def task() -> Iterator[None]:
        for _ in range(laps):
            yield

    _gen_schedule([task() for _ in range(TASKS)])


@coroutine_fn
def _sf_ring_task(laps: int) -> None:
    for _ in range(laps):
        suspend()


def _stack(own: bool) -> stackful.ShareStack | None:
    return stackful.ShareStack() if own else None


def _sf_deque_ring(laps: int, own_stacks: bool = False) -> None:
    _sf_schedule([Coroutine(_sf_ring_task, laps, stack=_stack(own_stacks))
                  for _ in range(TASKS)])


_DONE = object()


@coroutine_fn
def _sf_ring_task_sentinel(laps: int) -> object:
    for _ in range(laps):
        suspend()
    return _DONE


def _sf_deque_ring_sentinel(laps: int) -> None:
    # The same scheduler, telling a finished task by its return value, not co.status.
    ready = collections.deque(Coroutine(_sf_ring_task_sentinel, laps) for _ in range(TASKS))
    while ready:
        co = ready.popleft()
        if co.resume() is not _DONE:
            ready.append(co)


@coroutine_fn
def _sf_transfer_task(ring: list[Coroutine], me: int, laps: int) -> None:
    nxt = ring[(me + 1) % len(ring)]
    suspend()                                   # started; wait for the first turn
    for _ in range(laps):
        transfer(nxt)


ring_copy: list[str] = []     # bytes per copy in the default-stack transfer ring


def _sf_transfer_ring(laps: int, own_stacks: bool = False) -> None:
    ring: list[Coroutine] = []
    ring.extend(Coroutine(_sf_transfer_task, ring, i, laps, stack=_stack(own_stacks))
                for i in range(TASKS))
    for co in ring:
        co.resume()
    ring[0].resume()                            # returns when ring[0] has done its laps
    stats = ring[1].stats
    if not own_stacks and stats.copies_out:
        ring_copy[:] = ["%.0f B" % (stats.bytes_out / stats.copies_out)]
    for co in ring[1:]:                         # the others wait in their last transfer
        co.resume()


def _gl_ring(laps: int) -> None:
    import greenlet

    ring: list[Any] = []

    def task(me: int) -> None:
        nxt = ring[(me + 1) % TASKS]
        for _ in range(laps):
            nxt.switch()

    ring.extend(greenlet.greenlet(functools.partial(task, me)) for me in range(TASKS))
    ring[0].switch()                            # returns when ring[0] has done its laps
    for g in ring[1:]:                          # the others wait in their last switch
        g.switch()


def _aio_ring(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[int], None]:
    async def task(laps: int) -> None:
        for _ in range(laps):
            await asyncio.sleep(0)

    async def ring(laps: int) -> None:
        await asyncio.gather(*(task(laps) for _ in range(TASKS)))

    def run(laps: int) -> None:
        loop = new_loop()
        try:
            loop.run_until_complete(ring(laps))
        finally:
            loop.close()

    return run


def _ring_cases() -> list[Case]:
    group = "ring"
    cases = [
        Case("generators, deque scheduler", _ring_runner(_gen_ring), group),
        Case("stackful, transfer() ring", _ring_runner(_sf_transfer_ring), group),
        Case("stackful, deque scheduler", _ring_runner(_sf_deque_ring), group),
        Case("stackful, deque scheduler, done by return value",
             _ring_runner(_sf_deque_ring_sentinel), group),
        Case("stackful, transfer() ring, a ShareStack() each",
             _ring_runner(functools.partial(_sf_transfer_ring, own_stacks=True)), group),
        Case("stackful, deque scheduler, a ShareStack() each",
             _ring_runner(functools.partial(_sf_deque_ring, own_stacks=True)), group),
    ]
    if optional("greenlet"):
        cases.append(Case("greenlet, switch() ring", _ring_runner(_gl_ring), group))
    for name, new_loop in event_loops():
        cases.append(Case("%s tasks, await sleep(0)" % name,
                          _ring_runner(_aio_ring(new_loop)), group))
    return cases


# ----------------------------------------------------------------------------------

def _hanoi_table(ns_range: list[int], by_n: dict[int, list[Case]]) -> tuple[Table, Plot]:
    variants = [v for v in HANOI_VARIANTS if any(c.name == v for c in by_n[ns_range[0]])]
    headers = ["n", "moves", "callback ns/move", "spread"] + [
        "%s x" % v for v in variants[1:]]
    rows = []
    plot = Plot("hanoi_ratio.png", "Tower of Hanoi: time per move / plain recursion with a "
                "callback", "line", "n (recursion depth of the moves)", "ratio",
                x=[float(n) for n in ns_range])
    for n in ns_range:
        cases = {c.name: c for c in by_n[n]}
        base = cases["callback"]
        row = [str(n), str(2 ** n - 1), ns(base.median), "%.0f%%" % (base.spread * 100)]
        for v in variants[1:]:
            r = cases[v].ratio_to(base)
            row.append("%.2f" % r)
            plot.series.setdefault(v, []).append(r)
        rows.append(row)
    table = Table("Tower of Hanoi: ns per move of plain recursion with a callback, and each "
                  "variant's time per move as a ratio to it", headers, rows, [
                      "every variant drains the moves in C (a deque(maxlen=0)); the callback "
                      "is that deque's append",
                      "yield from: one generator per recursive call, and every move passes "
                      "through each generator between its own and the consumer"])
    return table, plot


def run(scale: Scale, progress: Progress) -> Result:
    result = Result("photon", "photon: Photon's figures (sum, Tower of Hanoi, write_fully, ring)")
    result.notes += peer_notes()
    target = scale.target_seconds

    progress.prefix = "photon sum: "
    sum_cases = _sum_cases()
    measure(sum_cases, repeats=scale.repeats, target_seconds=target, progress=progress)

    ns_range = list(range(1, scale.pick(20, 14, 4) + 1))
    by_n = {n: _hanoi_cases(n) for n in ns_range}
    progress.prefix = "photon hanoi: "
    # Twice the repeats: the flatness target compares the twenty ratios with each other
    # (max/min), and a max over noisy medians is biased upward by the noise.
    measure([c for n in ns_range for c in by_n[n]], repeats=2 * scale.repeats,
            target_seconds=target, progress=progress)

    progress.prefix = "photon write_fully: "
    wf_cases = _write_fully_cases(scale)
    measure(wf_cases, repeats=max(1, min(scale.repeats, 5)), target_seconds=target,
            progress=progress)

    progress.prefix = "photon ring: "
    ring_cases = _ring_cases()
    measure(ring_cases, repeats=scale.repeats, target_seconds=target, progress=progress)
    progress.prefix = ""

    result.tables.append(ratio_table(
        "sum of a sequence: a generator of N..1 summed by its consumer", sum_cases,
        "python generator, sum()", unit="ns/item",
        notes=["async generators have no sum(): their consumer is an async for loop"]))
    hanoi_table, hanoi_plot = _hanoi_table(ns_range, by_n)
    result.tables.append(hanoi_table)
    result.tables.append(ratio_table(
        "write_fully: %d tasks, %d-byte send_some calls, round-robin wait_for_ready "
        "3 calls deep" % (TASKS, BLOCK), wf_cases, wf_cases[0].name, unit="ns/call",
        notes=["ns per send_some call (each preceded by one switch to the next task); "
               "slow peers send less, the per-call time is comparable"]))
    result.tables.append(ratio_table(
        "ring: %d tasks handing over to one another" % TASKS, ring_cases,
        "generators, deque scheduler", unit="ns/hand-over"))
    result.plots += [
        bar_plot("photon_sum.png", "sum of a sequence (ns/item, log scale)", sum_cases),
        hanoi_plot,
        bar_plot("photon_write_fully.png", "write_fully (ns per send_some call, log scale)",
                 wf_cases),
        bar_plot("photon_ring.png", "ring of %d (ns per hand-over, log scale)" % TASKS,
                 ring_cases),
    ]

    def ratio(cases: list[Case], name: str, base: str) -> float:
        by_name = {c.name: c for c in cases}
        return by_name[name].ratio_to(by_name[base])

    sf_hanoi = [ratio(by_n[n], "stackful generator", "callback") for n in ns_range]
    base = "generators, deque scheduler"
    why_ring = WHY_RING % (TASKS, ring_copy[0] if ring_copy else "?",
                           ratio(ring_cases, "stackful, transfer() ring, a ShareStack() each",
                                 base),
                           ratio(ring_cases, "stackful, deque scheduler, a ShareStack() each",
                                 base))
    span = "n = %d..%d" % (ns_range[0], ns_range[-1])
    result.targets = [
        Target("sum of a sequence: stackful generator / python generator, per item",
               ratio(sum_cases, "stackful generator, sum()", "python generator, sum()"),
               2.0, why=WHY_SUM),
        Target("Tower of Hanoi: stackful / callback recursion, worst n (%s)" % span,
               max(sf_hanoi), 2.5, why=WHY_SUM),
        Target("Tower of Hanoi: flatness of the stackful ratio, max/min over %s" % span,
               max(sf_hanoi) / min(sf_hanoi), 1.3, why=WHY_HANOI_FLAT),
        Target("ring of %d: stackful transfer() ring / generators with a deque scheduler"
               % TASKS, ratio(ring_cases, "stackful, transfer() ring",
                              "generators, deque scheduler"), 1.5, why=why_ring),
        Target("ring of %d: stackful deque scheduler / generators with a deque scheduler"
               % TASKS, ratio(ring_cases, "stackful, deque scheduler",
                              "generators, deque scheduler"), 1.5, why=why_ring),
        Target("write_fully: stackful coroutines / the generator version",
               ratio(wf_cases, wf_cases[1].name, wf_cases[0].name), 1.5,
               why=WHY_SUM),
    ]
    return result
