"""The greenlet benchmark: stackful.compat.greenlet against greenlet, same run.

Reproduces the shapes of greenlet's own micro-benchmarks: a switch round trip between
the main greenlet and a greenlet, one between two greenlets, a greenlet's life (create,
switch in, finish), and a chain of nested greenlets each passing a value to the next
(100,000 links; fewer with --quick). Each shape runs on the compat layer and, when it is
installed, on greenlet itself; the ratio is compat's time over greenlet's, pair by pair.

The compat layer's switch is Python code (argument packing, the parent rules, the
thread record) around a stackful transfer, so it is expected to be slower than
greenlet's C switch: the numbers say by how much.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

from ..compat import greenlet as compat
from ._report import Result, Table, ns
from ._timing import Case, Progress, Scale, measure, optional, timed


def _round_trip_main(mod: Any) -> Callable[[int], None]:
    main = mod.getcurrent()

    def body() -> None:
        switch = main.switch
        while True:
            switch()

    g = mod.greenlet(body)
    g.switch()
    switch = g.switch

    def loop(n: int) -> None:
        for _ in range(n):
            switch()

    return loop


def _round_trip_pair(mod: Any) -> Callable[[int], None]:
    # Two greenlets pass control back and forth n times, then return to main.
    def loop(n: int) -> None:
        def ping() -> None:
            for _ in range(n):
                pong_g.switch()

        def pong() -> None:
            while True:
                ping_g.switch()

        ping_g = mod.greenlet(ping)
        pong_g = mod.greenlet(pong)
        ping_g.switch()
        pong_g.throw()

    return loop


def _empty() -> None:
    return None


def _lifecycle(mod: Any) -> Callable[[int], None]:
    greenlet = mod.greenlet

    def loop(n: int) -> None:
        for _ in range(n):
            greenlet(_empty).switch()

    return loop


def _chain(mod: Any) -> Callable[[int], None]:
    getcurrent, greenlet = mod.getcurrent, mod.greenlet

    def link(next_greenlet: Any) -> None:
        value = getcurrent().parent.switch()
        next_greenlet.switch(value + 1)

    def loop(n: int) -> None:
        start = getcurrent()
        links = []
        for _ in range(n):
            g = greenlet(link)
            g.switch(start)
            start = g
            links.append(g)
        assert start.switch(0) == n
        # The suspended links are killed (GreenletExit), part of the cost, oldest first:
        # dropped newest first, each kill would drop the next link inside it, nested
        # as deep as the chain (docs/compat.md, limits).
        for g in links:
            g.throw()
        del g, start, links

    return loop


SHAPES: list[tuple[str, str, Callable[[Any], Callable[[int], None]]]] = [
    ("switch", "main <-> greenlet round trip", _round_trip_main),
    ("switch", "greenlet <-> greenlet round trip", _round_trip_pair),
    ("spawn", "create, switch, finish", _lifecycle),
    ("chain", "chain of nested greenlets, per link", _chain),
]


def run(scale: Scale, progress: Progress) -> Result:
    real: ModuleType | None = optional("greenlet")
    if real is compat:
        real = None                      # installed over: no peer to compare with
    chain_n = scale.pick(100_000, 10_000, 1_000)
    cases: list[Case] = []
    for group, name, make in SHAPES:
        fixed = chain_n if group == "chain" else None
        cases.append(Case("compat: " + name, timed(make(compat)), group, fixed_n=fixed))
        if real is not None:
            cases.append(Case("greenlet: " + name, timed(make(real)), group, fixed_n=fixed))
    measure(cases, repeats=scale.repeats, target_seconds=scale.target_seconds,
            progress=progress)
    result = Result("greenlet", "greenlet: stackful.compat.greenlet vs greenlet "
                    "(greenlet's benchmark shapes; chain of %d)" % chain_n)
    by_name = {c.name: c for c in cases}
    rows = []
    for group, name, _ in SHAPES:
        ours = by_name["compat: " + name]
        peer = by_name.get("greenlet: " + name)
        rows.append([name, ns(ours.median), "%.0f%%" % (ours.spread * 100),
                     ns(peer.median) if peer else "-",
                     "%.2fx" % ours.ratio_to(peer) if peer else "-"])
    result.tables.append(Table("per operation", ["shape", "compat ns/op", "spread",
                                                 "greenlet ns/op", "vs greenlet"], rows))
    result.notes.append("issue 11 sets no speed target for the compat layer: measured only")
    if real is None:
        result.notes.append("greenlet not installed: compat runs alone")
    return result
