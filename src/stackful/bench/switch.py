"""The switch benchmark: what one resume+suspend and one coroutine lifetime cost.

Reproduces the micro-benchmarks of issue 2 (the native core): the resume/yield round
trip of libaco's and greenlet's own benchmarks, and a create-enter-finish lifecycle.

Rows: a plain Python call (the floor for anything called from Python), generator
send (the baseline), stackful round trips on the thread's default share stack and on a
standalone stack, with 0 and with ~200 interpreter C frames between the coroutine's
entry and its suspend, greenlet's switch round trip (if installed), and lifecycles
(create, enter, finish) of each.
"""

from __future__ import annotations

from typing import Callable, Generator, Iterator

import stackful

from ._common import suspend_forever, through_c_frames
from ._report import Result, Target, bar_plot, ratio_table
from ._timing import Case, Progress, Scale, measure, optional, timed

C_FRAMES = 200


def _round_trip_stackful(depth: int, stack: stackful.ShareStack | None) -> Callable[[int], None]:
    co = stackful.Coroutine(through_c_frames, depth, suspend_forever, stack=stack)
    co.resume()
    resume = co.resume

    def loop(n: int) -> None:
        for _ in range(n):
            resume()

    return loop


def _round_trip_generator() -> Callable[[int], None]:
    def gen() -> Generator[None, None, None]:
        while True:
            yield

    g = gen()
    next(g)
    send = g.send

    def loop(n: int) -> None:
        for _ in range(n):
            send(None)

    return loop


def _round_trip_greenlet(depth: int) -> Callable[[int], None]:
    import greenlet

    main = greenlet.getcurrent()

    def body() -> None:
        switch = main.switch
        while True:
            switch()

    g = greenlet.greenlet(lambda: through_c_frames(depth, body))
    g.switch()
    switch = g.switch

    def loop(n: int) -> None:
        for _ in range(n):
            switch()

    return loop


def _plain_call() -> Callable[[int], None]:
    def f(x: object = None) -> object:
        return x

    def loop(n: int) -> None:
        for _ in range(n):
            f(None)

    return loop


def _empty() -> None:
    return None


def lifecycle_stackful(standalone: bool) -> Callable[[int], None]:
    Coroutine, ShareStack = stackful.Coroutine, stackful.ShareStack

    def loop(n: int) -> None:
        if standalone:
            for _ in range(n):
                Coroutine(_empty, stack=ShareStack()).resume()
        else:
            for _ in range(n):
                Coroutine(_empty).resume()

    return loop


def lifecycle_generator() -> Callable[[int], None]:
    def gen() -> Iterator[None]:
        return
        yield  # noqa: unreachable - makes this a generator

    def loop(n: int) -> None:
        for _ in range(n):
            for _ in gen():
                pass

    return loop


def lifecycle_greenlet() -> Callable[[int], None]:
    import greenlet

    def loop(n: int) -> None:
        for _ in range(n):
            greenlet.greenlet(_empty).switch()

    return loop


def _have_greenlet() -> bool:
    return optional("greenlet") is not None


def cases() -> list[Case]:
    out = [
        Case("python call f(None)", timed(_plain_call()), "round trip"),
        Case("generator send", timed(_round_trip_generator()), "round trip"),
        Case("stackful, default share stack", timed(_round_trip_stackful(0, None)), "round trip"),
        Case("stackful, standalone stack",
             timed(_round_trip_stackful(0, stackful.ShareStack())), "round trip"),
        Case("stackful, default share stack, %d C frames" % C_FRAMES,
             timed(_round_trip_stackful(C_FRAMES, None)), "round trip"),
        Case("stackful, standalone stack, %d C frames" % C_FRAMES,
             timed(_round_trip_stackful(C_FRAMES, stackful.ShareStack())), "round trip"),
    ]
    if _have_greenlet():
        out += [
            Case("greenlet switch", timed(_round_trip_greenlet(0)), "round trip"),
            Case("greenlet switch, %d C frames" % C_FRAMES,
                 timed(_round_trip_greenlet(C_FRAMES)), "round trip"),
        ]
    out += [
        Case("generator create, next, finish", timed(lifecycle_generator()), "lifecycle"),
        Case("stackful, default share stack", timed(lifecycle_stackful(False)), "lifecycle"),
        Case("stackful, own ShareStack (pooled)", timed(lifecycle_stackful(True)), "lifecycle"),
    ]
    if _have_greenlet():
        out.append(Case("greenlet create, switch, finish", timed(lifecycle_greenlet()),
                        "lifecycle"))
    return out


BASELINES = {"round trip": "generator send", "lifecycle": "generator create, next, finish"}


def run(scale: Scale, progress: Progress) -> Result:
    cases_ = cases()
    measure(cases_, repeats=scale.repeats, target_seconds=scale.target_seconds * 2,
            progress=progress)
    result = Result("switch", "switch: one resume+suspend round trip, one lifecycle")
    for group, base in BASELINES.items():
        members = [c for c in cases_ if c.group == group]
        result.tables.append(ratio_table(group, members, base))
        result.plots.append(bar_plot("switch_%s.png" % group.replace(" ", "_"),
                                     "switch: %s (ns/op, log scale)" % group, members))
    if not _have_greenlet():
        result.notes.append("greenlet not installed: its rows are skipped")
    by_name = {(c.group, c.name): c for c in cases_}
    result.targets = [Target(text + " (issue 2)", measured, limit)
                      for text, measured, limit in targets(by_name)]
    return result


def targets(by_name: dict[tuple[str, str], Case]) -> list[tuple[str, float, float]]:
    """(description, measured ratio, target ratio) for the issue's targets."""
    def ratio(group: str, name: str, base: str) -> float:
        return by_name[(group, name)].ratio_to(by_name[(group, base)])

    rt = "round trip"
    deep = "stackful, standalone stack, %d C frames" % C_FRAMES
    out = [
        ("round trip / generator send (default stack)",
         ratio(rt, "stackful, default share stack", "generator send"), 2.0),
        ("round trip / generator send (standalone)",
         ratio(rt, "stackful, standalone stack", "generator send"), 2.0),
        ("round trip with %d C frames / shallow (standalone)" % C_FRAMES,
         ratio(rt, deep, "stackful, standalone stack"), 1.2),
        ("lifecycle / generator lifecycle",
         ratio("lifecycle", "stackful, default share stack",
               "generator create, next, finish"), 3.0),
    ]
    if (rt, "greenlet switch") in by_name:
        out.append(("round trip / greenlet switch",
                    ratio(rt, "stackful, default share stack", "greenlet switch"), 0.25))
    return out
