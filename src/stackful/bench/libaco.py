"""libaco's benchmark table: create / resume / destroy, 1 and many coroutines, by copy size.

Reproduces the table of libaco's README ("Benchmark", produced by its bench.sh / test
program test_aco_benchmark.c): the time of aco_create, aco_resume and aco_destroy with
one coroutine and with many (libaco goes to 2,000,000; here up to 100,000) on share
stacks, for several "copy_stack_size" values -- the bytes of live stack each coroutine
has at its suspension point, which a share stack must copy out and back in when
coroutines take turns -- and on standalone stacks (no copying).

The live stack is controlled by recursing through C frames (``map`` calling back into a
lambda: each level adds one interpreter C frame, about 0.6 KB on this build) before
suspending; the bytes actually copied are read back from ``co.stats``
(bytes_out / copies_out) and reported with each row. Python code cannot suspend with
less live stack than the interpreter's own frames (about 0.6 KB), so the smallest copy
is that, not libaco's 0-8 B; a coroutine alone on its stack never copies.

ns per switch: a resume() and the suspend() that returns from it are two switches.
"""

from __future__ import annotations

import time

from stackful import Coroutine, ShareStack

from ._common import suspend_forever, through_c_frames
from ._report import Plot, Result, Table, ns, ratio_table
from ._timing import Case, Progress, Scale, Timing, measure

ALONE = "1 coroutine alone on its ShareStack (no copy)"


def _new(depth: int, stack: ShareStack) -> Coroutine:
    return Coroutine(through_c_frames, depth, suspend_forever, stack=stack)


def _copy_info(coroutines: list[Coroutine]) -> str:
    """Mean bytes copied out per copy, over a sample of the coroutines."""
    step = max(1, len(coroutines) // 100)
    stats = [co.stats for co in coroutines[::step]]
    copies = sum(s.copies_out for s in stats)
    if copies == 0:
        return "0 B (never copies)"
    return "%.0f B" % (sum(s.bytes_out for s in stats) / copies)


class _Resumes:
    """run(k): about k switches among coroutines already suspended at `depth`."""

    def __init__(self, case: Case, count: int, depth: int) -> None:
        stack = ShareStack()
        self.case, self.coroutines = case, [_new(depth, stack) for _ in range(count)]
        for co in self.coroutines:
            co.resume()
        self.resumes = [co.resume for co in self.coroutines]
        case.run = self.run

    def run(self, k: int) -> Timing:
        resumes = self.resumes
        rounds = max(1, k // (2 * len(resumes)))
        start = time.perf_counter()
        for _ in range(rounds):
            for resume in resumes:
                resume()
        elapsed = time.perf_counter() - start
        self.case.info = _copy_info(self.coroutines)
        return Timing(elapsed, 2 * rounds * len(resumes))


def _scenario(case: Case, count: int, depth: int, standalone: bool, rounds: int) -> None:
    """One run: create `count` coroutines, start each, resume all `rounds` times,
    destroy them (drop the last reference to a suspended coroutine: its finalizer
    closes it); every phase timed per coroutine."""

    def run(_: int) -> Timing:
        shared = ShareStack()
        t0 = time.perf_counter()
        if standalone:
            coroutines = [_new(depth, ShareStack()) for _ in range(count)]
        else:
            coroutines = [_new(depth, shared) for _ in range(count)]
        t1 = time.perf_counter()
        for co in coroutines:
            co.resume()
        t2 = time.perf_counter()
        resumes = [co.resume for co in coroutines]
        t3 = time.perf_counter()
        for _ in range(rounds):
            for resume in resumes:
                resume()
        t4 = time.perf_counter()
        del resumes
        case.info = _copy_info(coroutines)
        t5 = time.perf_counter()
        coroutines.clear()
        t6 = time.perf_counter()
        return Timing(t4 - t3, 2 * rounds * count, phases={
            "create": (t1 - t0, count), "start": (t2 - t1, count), "destroy": (t6 - t5, count)})

    case.run = run
    case.fixed_n = 1


def _placeholder(_: int) -> float:
    raise AssertionError("replaced by the case's runner")


def run(scale: Scale, progress: Progress) -> Result:
    depths = [0, 1, 2, 4, 8, 12] if scale.mode == "default" else (
        [0, 4, 12] if scale.mode == "quick" else [0, 2])
    many = scale.pick(100_000, 5_000, 200)
    standalone = scale.pick(10_000, 1_000, 50)
    rounds = scale.pick(3, 2, 1)
    deepest = depths[-1]

    alone = Case(ALONE, _placeholder)
    alone_deep = Case("1 coroutine alone on its ShareStack, C depth %d" % deepest, _placeholder)
    _Resumes(alone, 1, 0)
    _Resumes(alone_deep, 1, deepest)
    pairs, crowds = [], []
    for d in depths:
        pair = Case("2 coroutines taking turns on one ShareStack, C depth %d" % d, _placeholder)
        _Resumes(pair, 2, d)
        pairs.append(pair)
        crowd = Case("%d coroutines on one ShareStack, C depth %d" % (many, d), _placeholder)
        _scenario(crowd, many, d, False, rounds)
        crowds.append(crowd)
    solo = Case("%d coroutines, a ShareStack() each (standalone)" % standalone, _placeholder)
    _scenario(solo, standalone, 0, True, rounds)
    cases = [alone, alone_deep, *pairs, *crowds, solo]

    progress.prefix = "libaco: "
    measure(cases, repeats=scale.repeats, target_seconds=scale.target_seconds,
            progress=progress)
    progress.prefix = ""

    result = Result("libaco", "libaco: create / resume / destroy by copy size")
    result.tables.append(ratio_table(
        "resume + suspend: ns per switch (a round trip is 2 switches)", cases, ALONE,
        unit="ns/switch", info_header="copy measured", notes=[
            "copy measured: mean bytes copied out per copy (co.stats.bytes_out / "
            "copies_out); each resume of a coroutine whose bytes are not on the stack "
            "copies the previous owner's bytes out and its own back in",
            "%d coroutines: every resume goes to a different coroutine, round-robin; "
            "their save buffers do not fit in the caches" % many]))
    scenarios = [*crowds, solo]
    phases = ["create", "start", "destroy"]
    result.tables.append(Table(
        "create, start (first resume to the suspension point) and destroy (drop a "
        "suspended coroutine: closed by its finalizer): ns per coroutine",
        ["scenario", "copy measured"] + phases,
        [[c.name, c.info] + ["%s +-%.0f%%" % (ns(c.phase(p).median), c.phase(p).spread * 100)
                             for p in phases] for c in scenarios]))
    sizes = [_copy_size(p) for p in pairs]
    result.plots.append(Plot(
        "libaco_copy_size.png", "libaco: ns per switch vs bytes copied per switch", "line",
        "live stack copied at the suspension point (bytes, measured)", "ns per switch",
        x=sizes, series={"2 coroutines (save buffers in cache)": [p.median for p in pairs],
                         "%d coroutines (round-robin)" % many: [c.median for c in crowds]}))
    result.plots.append(Plot(
        "libaco_phases.png", "libaco: create / start / destroy (ns per coroutine)", "bar",
        "", "ns per coroutine", series={
            "%s: %s" % (p, c.name): [c.phase(p).median] for c in scenarios for p in phases}))
    return result


def _copy_size(case: Case) -> float:
    return float(case.info.split()[0])
