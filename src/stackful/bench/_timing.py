"""Measuring: calibrated loops, interleaved repeats, medians with spread.

A case is a function run(n) -> seconds that performs n operations. Cases are
calibrated once, then measured round-robin (each repeat runs every case once) so that
a slow period of the machine hits all cases alike and ratios stay meaningful.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import platform
import statistics
import sys
import time
from typing import Callable, Sequence

Runner = Callable[[int], float]


@dataclasses.dataclass
class Case:
    name: str
    run: Runner
    group: str = ""
    n: int = 0
    samples: list[float] = dataclasses.field(default_factory=list)  # ns per op

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def ratio_to(self, base: "Case") -> float:
        """Median of the per-repeat ratios: both were measured in the same repeat,
        moments apart, so a slow period of the machine cancels out."""
        return statistics.median(a / b for a, b in zip(self.samples, base.samples))

    @property
    def spread(self) -> float:
        """Half the range of the samples, relative to the median."""
        return (max(self.samples) - min(self.samples)) / 2 / self.median


def timed(loop: Callable[[int], None]) -> Runner:
    """Wrap a loop of n operations into a runner returning elapsed seconds."""

    def run(n: int) -> float:
        start = time.perf_counter()
        loop(n)
        return time.perf_counter() - start

    return run


def calibrate(case: Case, target_seconds: float) -> None:
    n = 1
    while True:
        elapsed = case.run(n)
        if elapsed >= target_seconds / 4 or n >= 1 << 30:
            case.n = max(1, int(n * target_seconds / max(elapsed, 1e-9)))
            return
        n *= 4


def measure(cases: Sequence[Case], *, repeats: int, target_seconds: float,
            progress: Callable[[str], None] | None = None) -> None:
    for case in cases:
        calibrate(case, target_seconds)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeats):
            for i, case in enumerate(cases):
                if progress:
                    progress("repeat %d/%d, case %d/%d: %s" % (r + 1, repeats, i + 1,
                                                              len(cases), case.name))
                case.samples.append(case.run(case.n) / case.n * 1e9)
    finally:
        if gc_was_enabled:
            gc.enable()


def environment() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    peers = []
    try:
        import greenlet

        peers.append("greenlet %s" % greenlet.__version__)
    except ImportError:
        peers.append("greenlet not installed")
    return "%s, %d cores; CPython %s; %s; %s" % (
        cpu, os.cpu_count() or 0, platform.python_version(), ", ".join(peers),
        time.strftime("%Y-%m-%d"),
    )


class Progress:
    """A single status line on a terminal, nothing when output is redirected."""

    def __init__(self) -> None:
        self.active = sys.stderr.isatty()

    def __call__(self, text: str) -> None:
        if self.active:
            sys.stderr.write("\r\x1b[K" + text[:100])
            sys.stderr.flush()

    def done(self) -> None:
        if self.active:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
