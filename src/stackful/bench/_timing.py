"""Measuring: calibrated loops, interleaved repeats, medians with spread.

A case is a function run(n) that performs about n operations and returns the elapsed
seconds, or a Timing (seconds, the operations it really performed, and optionally
the times of named phases, e.g. the create/start/destroy phases of one scenario).
Cases are calibrated once, then measured round-robin (each repeat runs every case
once) so that a slow period of the machine hits all cases alike and ratios stay
meaningful. A case with a fixed n is not calibrated: its run is the operation (a
whole scenario whose size the benchmark chose).
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import os
import platform
import statistics
import sys
import time
from types import ModuleType
from typing import Callable, Sequence, Union


@dataclasses.dataclass
class Timing:
    """What one run measured: seconds for ops operations, and named phases."""

    seconds: float
    ops: int
    phases: dict[str, tuple[float, int]] = dataclasses.field(default_factory=dict)


Runner = Callable[[int], Union[float, Timing]]


@dataclasses.dataclass
class Case:
    name: str
    run: Runner
    group: str = ""
    n: int = 0
    fixed_n: int | None = None       # not calibrated: run(fixed_n) each repeat
    info: str = ""                   # an extra column, e.g. the measured copy size
    samples: list[float] = dataclasses.field(default_factory=list)  # ns per op
    phase_samples: dict[str, list[float]] = dataclasses.field(default_factory=dict)

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

    def phase(self, name: str) -> "Case":
        """A phase of this case's runs as a case of its own (for tables and ratios)."""
        return Case(name, self.run, self.group, self.n, self.fixed_n, self.info,
                    self.phase_samples[name])


def timed(loop: Callable[[int], object]) -> Runner:
    """Wrap a loop of n operations into a runner returning elapsed seconds."""

    def run(n: int) -> float:
        start = time.perf_counter()
        loop(n)
        return time.perf_counter() - start

    return run


def _run_once(case: Case, n: int) -> Timing:
    result = case.run(n)
    if isinstance(result, Timing):
        return result
    return Timing(result, n)


def calibrate(case: Case, target_seconds: float) -> None:
    if case.fixed_n is not None:
        case.n = case.fixed_n
        return
    n = 1
    while True:
        t = _run_once(case, n)
        if t.seconds >= target_seconds / 4 or n >= 1 << 30:
            per_op = max(t.seconds, 1e-9) / max(t.ops, 1)
            case.n = max(1, int(target_seconds / per_op))
            return
        n *= 4


def measure(cases: Sequence[Case], *, repeats: int, target_seconds: float,
            progress: Callable[[str], None] | None = None) -> None:
    for i, case in enumerate(cases):
        if progress:
            progress("calibrating %d/%d: %s" % (i + 1, len(cases), case.name))
        calibrate(case, target_seconds)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeats):
            for i, case in enumerate(cases):
                if progress:
                    progress("repeat %d/%d, case %d/%d: %s" % (r + 1, repeats, i + 1,
                                                              len(cases), case.name))
                t = _run_once(case, case.n)
                case.samples.append(t.seconds / t.ops * 1e9)
                for name, (seconds, ops) in t.phases.items():
                    case.phase_samples.setdefault(name, []).append(seconds / ops * 1e9)
                gc.collect()
    finally:
        if gc_was_enabled:
            gc.enable()


@dataclasses.dataclass(frozen=True)
class Scale:
    """How big a run is: the default run, --quick (CI) or --smoke (the tests)."""

    mode: str                        # "default", "quick" or "smoke"
    repeats: int
    target_seconds: float            # per case and repeat, for calibrated cases

    def pick(self, default: int, quick: int, smoke: int) -> int:
        return {"default": default, "quick": quick, "smoke": smoke}[self.mode]

    @classmethod
    def make(cls, mode: str, repeats: int | None) -> "Scale":
        default_repeats = {"default": 7, "quick": 3, "smoke": 1}[mode]
        target = {"default": 0.05, "quick": 0.01, "smoke": 0.001}[mode]
        return cls(mode, repeats or default_repeats, target)


def optional(name: str) -> ModuleType | None:
    """An optional peer (greenlet, uvloop, matplotlib), or None if not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def peer_versions() -> list[str]:
    out = []
    for name in ("greenlet", "uvloop"):
        module = optional(name)
        out.append("%s %s" % (name, module.__version__) if module else
                   "%s not installed (skipped)" % name)
    return out


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
    return "%s, %d cores; %s; CPython %s; %s; %s" % (
        cpu, os.cpu_count() or 0, platform.platform(terse=True), platform.python_version(),
        ", ".join(peer_versions()), time.strftime("%Y-%m-%d"),
    )


class Progress:
    """A single status line on a terminal, nothing when output is redirected."""

    def __init__(self) -> None:
        self.active = sys.stderr.isatty()
        self.prefix = ""

    def __call__(self, text: str) -> None:
        if self.active:
            sys.stderr.write("\r\x1b[K" + (self.prefix + text)[:110])
            sys.stderr.flush()

    def done(self) -> None:
        if self.active:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
