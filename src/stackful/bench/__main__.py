"""python -m stackful.bench [NAME ...] [--quick] [--repeats N] [--out DIR]

Runs the benchmarks named (default: all, in the order below), prints a table per
benchmark with the environment, and the targets of issue 3 with their verdicts;
--out DIR also writes DIR/report.md and PNG plots (if matplotlib is installed).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time
from types import ModuleType

from . import (_echo_servers, bridges, echo, engines, greenlet_compat, inversion, libaco,
               memory, photon, qemu, sockets, switch, sync, tasks)
from ._report import Result, Table, TARGET_HEADERS, terminal, write_report
from ._timing import Progress, Scale, environment

BENCHMARKS: dict[str, ModuleType] = {
    "libaco": libaco, "qemu": qemu, "photon": photon, "memory": memory, "switch": switch,
    "echo": echo, "tasks": tasks, "sync": sync, "sockets": sockets, "engines": engines,
    "inversion": inversion, "bridges": bridges, "greenlet": greenlet_compat}

PREAMBLE = (
    "Every number is the median of interleaved repeats (each repeat runs every case once, "
    "so a slow period of the shared machine hits all cases alike), with its spread (half "
    "the range, relative to the median). Ratios are medians of per-repeat ratios, computed "
    "pair by pair in the same run. Peers that are not installed are skipped. See "
    "docs/benchmarks.md for what each benchmark reproduces and the analysis of the gaps.")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stackful.bench",
                                     description="stackful benchmarks against its peers")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="benchmarks to run: %s (default: all)" % ", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true",
                        help="everything in under a minute (CI)")
    parser.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None, help="repeats per case")
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help="write DIR/report.md and PNG plots")
    parser.add_argument("--memory-case", nargs=2, metavar=("CASE", "N"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--sleep-case", nargs=2, metavar=("CASE", "N"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--echo-server", metavar="KIND", help=argparse.SUPPRESS)
    parser.add_argument("--echo-client", nargs=5,
                        metavar=("PORT", "ACTIVE", "IDLE", "SECONDS", "SIZE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error("unknown benchmark %s (choose from %s)" % (
            ", ".join(unknown), ", ".join(BENCHMARKS)))
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.memory_case:
        return memory.main_case(args.memory_case[0], int(args.memory_case[1]))
    if args.sleep_case:
        return tasks.main_sleep_case(args.sleep_case[0], int(args.sleep_case[1]))
    if args.echo_server:
        return _echo_servers.main_server(args.echo_server)
    if args.echo_client:
        port, active, idle, seconds, size = args.echo_client
        return _echo_servers.main_client(int(port), int(active), int(idle), float(seconds),
                                         int(size))
    mode = "smoke" if args.smoke else "quick" if args.quick else "default"
    scale = Scale.make(mode, args.repeats)
    names = args.names or list(BENCHMARKS)
    env = environment()
    print("stackful benchmarks (%s run, %d repeats): %s" % (mode, scale.repeats, ", ".join(names)))
    progress = Progress()
    results: list[Result] = []
    started = time.perf_counter()
    for name in names:
        result = BENCHMARKS[name].run(scale, progress)
        progress.done()
        print(terminal(result, env), flush=True)
        results.append(result)
    targets = [t for r in results for t in r.targets]
    if targets:
        print()
        print(Table("=== all targets ===", TARGET_HEADERS, [t.cells() for t in targets])
              .terminal())
    print("\n(%.1f s)" % (time.perf_counter() - started))
    if args.out:
        command = "python -m stackful.bench " + " ".join(argv if argv is not None else sys.argv[1:])
        for note in write_report(args.out, results, env, command.strip(), PREAMBLE):
            print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
