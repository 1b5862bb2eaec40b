"""Echo server: round trips per second over loopback, against the peers (uvloop's
benchmark shape).

Each server runs in a process of its own and the load generator in another (the same
generator for every server: one thread, epoll, ``ACTIVE`` connections each with one
``SIZE``-byte message in flight, counting round trips over a fixed time after a
warm-up).  Two scenarios: ``ACTIVE`` connections alone, and ``IDLE`` silent
connections opened first plus the same ``ACTIVE`` ones.  Servers are interleaved
(every repeat starts every server once), so a slow moment of the shared machine hits
them alike; a ratio is the median of per-repeat ratios of the time per round trip.
"""

from __future__ import annotations

import json
import subprocess
import sys

from ._echo_servers import NEEDS, SERVERS
from ._report import Result, Target, bar_plot, ratio_table
from ._timing import Case, Progress, Scale, optional

ACTIVE = 100
SIZE = 1024

WHY = ("Per round trip the server makes two or three system calls (recv, send, and a "
       "recv that says EAGAIN when the buffer was not seen drained) and one switch to "
       "the task and back; the system calls are most of it (py-spy: ~70 %% of the "
       "server's samples in recv/send/epoll_wait). uvloop's streams make two (read, "
       "write) from C. See docs/benchmarks.md.")


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "stackful.bench", *args]


def round_trips_per_second(kind: str, idle: int, seconds: float) -> float:
    """Start the ``kind`` server, run the generator against it, return its rate."""
    server = subprocess.Popen(_command("--echo-server", kind), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("PORT "):
            server.kill()
            raise RuntimeError("echo server %r did not start:\n%s" % (
                kind, server.communicate(timeout=10)[1]))
        client = subprocess.run(
            _command("--echo-client", line.split()[1], str(ACTIVE), str(idle),
                     str(seconds), str(SIZE)),
            capture_output=True, text=True, timeout=120 + seconds)
        if client.returncode != 0:
            raise RuntimeError("echo client against %r failed:\n%s" % (kind, client.stderr))
        rate: float = json.loads(client.stdout.strip().splitlines()[-1])["per_second"]
        return rate
    finally:
        server.kill()
        server.wait(timeout=30)


def _interleaved(kinds: list[str], scenarios: dict[str, int], repeats: int, seconds: float,
                 progress: Progress) -> dict[str, list[Case]]:
    cases = {name: [Case(kind, lambda n: 0.0, fixed_n=1) for kind in kinds]
             for name in scenarios}
    for r in range(repeats):
        for name, n_idle in scenarios.items():
            for case in cases[name]:
                progress("echo repeat %d/%d, %s: %s" % (r + 1, repeats, name, case.name))
                rate = round_trips_per_second(case.name, n_idle, seconds)
                case.samples.append(1e9 / rate)
    return cases


def run_engines(scale: Scale, progress: Progress) -> Result:
    """The stackful echo server on each engine (the choice of the default engine)."""
    result = Result("engines", "engines: the stackful echo server on other event engines")
    kinds = ["stackful", "stackful, epoll oneshot engine", "stackful, selectors engine"]
    seconds = {"default": 2.0, "quick": 0.3, "smoke": 0.1}[scale.mode]
    repeats = {"default": 9, "quick": 1, "smoke": 1}[scale.mode]
    cases = _interleaved(kinds, {"%d active" % ACTIVE: 0}, repeats, seconds, progress)
    for name, scenario_cases in cases.items():
        result.tables.append(ratio_table(
            "echo, %s: ns of the server per round trip, by engine (stackful: epoll, "
            "edge-triggered, registered once)" % name, scenario_cases, "stackful",
            unit="ns/round trip"))
    return result


def run(scale: Scale, progress: Progress) -> Result:
    result = Result("echo", "echo: echo server, %d connections over loopback, %d-byte messages"
                    % (ACTIVE, SIZE))
    kinds = [k for k in SERVERS if (NEEDS.get(k) is None or optional(NEEDS[k]) is not None)
             and "engine" not in k]
    missing = sorted({NEEDS[k] for k in SERVERS if k in NEEDS and k not in kinds})
    if missing:
        result.notes.append("not installed, their rows are skipped: %s" % ", ".join(missing))
    if scale.mode != "default":
        kinds = [k for k in kinds if k in ("stackful", "asyncio streams", "uvloop streams",
                                           "gevent")]
    seconds = {"default": 2.0, "quick": 0.3, "smoke": 0.1}[scale.mode]
    idle = scale.pick(10_000, 1_000, 100)
    repeats = {"default": 3, "quick": 1, "smoke": 1}[scale.mode]
    if scale.repeats and scale.mode == "default":
        repeats = min(scale.repeats, 3)
    scenarios = {"%d active" % ACTIVE: 0, "%d idle + %d active" % (idle, ACTIVE): idle}
    cases = _interleaved(kinds, scenarios, repeats, seconds, progress)
    for name, scenario_cases in cases.items():
        table = ratio_table("echo, %s: ns of the server per round trip (lower is faster)"
                            % name, scenario_cases, "stackful", unit="ns/round trip")
        table.headers.append("round trips/s")
        for row, case in zip(table.rows, scenario_cases):
            row.append("%.0f" % (1e9 / case.median))
        result.tables.append(table)
    result.tables[-1].notes.append(
        "%d repeat(s) of %.1f s per server and scenario; threads: a thread per connection "
        "(256 KiB stacks)" % (repeats, seconds))
    first = cases["%d active" % ACTIVE]
    result.plots.append(bar_plot("echo.png", "echo: ns per round trip (log scale)", first,
                                 unit="ns/round trip"))
    by_name = {c.name: c for c in first}
    sf = by_name["stackful"]
    for peer, limit in (("asyncio streams", 1 / 1.5), ("uvloop streams", 1.0),
                        ("gevent", 1.0)):
        if peer in by_name:
            result.targets.append(Target(
                "echo, %d connections: stackful / %s, time per round trip" % (ACTIVE, peer),
                sf.ratio_to(by_name[peer]), limit, why=WHY))
    return result

