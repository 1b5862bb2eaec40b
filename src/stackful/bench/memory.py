"""Memory: bytes of RSS per suspended coroutine, 100,000 of them, against the peers.

Reproduces the memory-per-coroutine comparison that libaco and Photon make (libaco's
README: "memory usage of 10,000,000 coroutines"; Photon: "memory footprint per
coroutine"), with Python peers: each case runs in a fresh process (this package,
``python -m stackful.bench --memory-case CASE N``), which creates N units suspended 3
calls deep and reports (RSS after - RSS before) / N, RSS read from /proc/self/statm
after gc.collect(), with the list holding them counted in (8 bytes each).

Cases: stackful on the default share stack (each suspended coroutine keeps its used
stack bytes in a save buffer), stackful with a ShareStack of its own (touched stack
pages stay resident; fewer of them, as stacks cost two mappings each), Python
generators (3 nested, ``yield from``), asyncio tasks (3 nested coroutines awaiting a
future) and greenlets (3 calls deep in a switched-away greenlet).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
from typing import Any, Callable, Iterator

from stackful import Coroutine, ShareStack, coroutine_fn, suspend

from ._common import in_fresh_process, peer_notes
from ._report import Plot, Result, Table, Target
from ._timing import Progress, Scale, optional

LIMIT = 2048


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# ----------------------------------------------------------------------------------
# The units, each suspended 3 calls deep

@coroutine_fn
def _sf_c() -> None:
    suspend()


@coroutine_fn
def _sf_b() -> None:
    _sf_c()


@coroutine_fn
def _sf_a() -> None:
    _sf_b()


def _stackful(own_stack: bool) -> Callable[[], Any]:
    def make() -> Coroutine:
        co = Coroutine(_sf_a, stack=ShareStack(16384) if own_stack else None)
        co.resume()
        return co

    return make


def _gen_c() -> Iterator[None]:
    yield


def _gen_b() -> Iterator[None]:
    yield from _gen_c()


def _gen_a() -> Iterator[None]:
    yield from _gen_b()


def _generator() -> Iterator[None]:
    g = _gen_a()
    next(g)
    return g


def _greenlet() -> Callable[[], Any]:
    import greenlet

    def c() -> None:
        greenlet.getcurrent().parent.switch()

    def b() -> None:
        c()

    def a() -> None:
        b()

    def make() -> Any:
        g = greenlet.greenlet(a)
        g.switch()
        return g

    return make


class _Tasks:
    """asyncio tasks, each in a() -> b() -> c() awaiting a future that never completes."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.futures: list[asyncio.Future[None]] = []

    async def c(self) -> None:
        future = self.loop.create_future()
        self.futures.append(future)
        await future

    async def b(self) -> None:
        await self.c()

    async def a(self) -> None:
        await self.b()

    def make_many(self, n: int) -> list[asyncio.Task[None]]:
        tasks = [self.loop.create_task(self.a()) for _ in range(n)]
        self.loop.run_until_complete(asyncio.sleep(0))   # every task runs to its await
        return tasks


CASES = {
    "stackful, default share stack": "stackful",
    "stackful, a ShareStack(16 KiB) each": "stackful-own",
    "python generators (3 nested, yield from)": "generator",
    "asyncio tasks (3 nested coroutines)": "asyncio",
    "greenlet (3 calls deep)": "greenlet",
}


def measure_here(case: str, n: int) -> dict[str, float]:
    """In this process: RSS per unit for n units of `case`, with a breakdown for stackful."""
    out: dict[str, float] = {}
    if case == "asyncio":
        tasks = _Tasks()
        tasks.make_many(100)
        gc.collect()
        before = rss()
        pending = tasks.make_many(n)
        gc.collect()
        out["per_unit"] = (rss() - before) / n
        for task in pending:
            task.cancel()
        tasks.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        tasks.loop.close()
        return out
    factories: dict[str, Callable[[], Callable[[], Any]]] = {
        "stackful": lambda: _stackful(False), "stackful-own": lambda: _stackful(True),
        "generator": lambda: _generator, "greenlet": _greenlet}
    make = factories[case]()
    warm = [make() for _ in range(100)]
    del warm
    gc.collect()
    before = rss()
    keep = [make() for _ in range(n)]
    gc.collect()
    out["per_unit"] = (rss() - before) / n
    if case.startswith("stackful"):
        stats = [co.stats for co in keep[:-1]]           # the last one still owns its stack
        out["saved_bytes"] = sum(s.saved_bytes for s in stats) / max(1, len(stats))
        out["save_buffer_size"] = sum(s.save_buffer_size for s in stats) / max(1, len(stats))
        out["object"] = sys.getsizeof(keep[0])
    return out


def run(scale: Scale, progress: Progress) -> Result:
    n = scale.pick(100_000, 20_000, 2_000)
    n_own = min(n, 20_000)       # a stack of its own costs two mappings (vm.max_map_count)
    result = Result("memory", "memory: RSS per suspended coroutine (each case a fresh process)")
    result.notes += [x for x in peer_notes() if x.startswith("greenlet")]
    rows, measured = [], {}
    for label, case in CASES.items():
        if case == "greenlet" and optional("greenlet") is None:
            continue
        count = n_own if case == "stackful-own" else n
        progress("memory: %s (%d)" % (label, count))
        data = in_fresh_process("--memory-case", case, count)
        measured[label] = data
        rows.append([label, str(count), "%.0f" % data["per_unit"]])
    base = measured["python generators (3 nested, yield from)"]["per_unit"]
    for row in rows:
        row.append("%.2fx" % (float(row[2]) / base))
    result.tables.append(Table("bytes of RSS per suspended unit, suspended 3 calls deep",
                               ["case", "N", "bytes/unit", "vs python generators"], rows))
    sf = measured["stackful, default share stack"]
    breakdown = (
        "stackful on the default share stack, per coroutine: save buffer %.0f B allocated "
        "for %.0f B of used C stack; Coroutine object %.0f B; %.0f B more: its 1 KiB "
        "frame-data root chunk (the frames of its 3 calls), its Context copy and allocator "
        "overhead (%.0f B measured in all)" % (
            sf["save_buffer_size"], sf["saved_bytes"], sf["object"],
            sf["per_unit"] - sf["save_buffer_size"] - sf["object"], sf["per_unit"]))
    result.tables[0].notes.append(breakdown)
    result.plots.append(Plot("memory.png", "RSS per suspended coroutine (bytes)", "bar", "",
                             "bytes", series={k: [v["per_unit"]] for k, v in measured.items()}))
    why = (
        "Per suspended coroutine on the default share stack: the save buffer holding its "
        "used C stack (allocated to the size, 16-byte granular), the Coroutine object, its "
        "1 KiB frame-data root chunk (STACKFUL_ROOT_CHUNK_SIZE, pystate_common.h) and its "
        "Context copy. A Python generator keeps only its frame (no C stack, no chunk); an "
        "asyncio task keeps no C stack either.")
    result.targets.append(Target("memory per suspended coroutine (default share stack)",
                                 sf["per_unit"], LIMIT, unit=" B", why=why))
    return result


def main_case(case: str, n: int) -> int:
    """Entry of the hidden --memory-case option: print the measurement as JSON."""
    print(json.dumps(measure_here(case, n)))
    return 0
