"""python -m stackful.bench [switch] [--quick] [--repeats N]"""

from __future__ import annotations

import argparse
import sys

from . import switch
from ._timing import Case, Progress, environment, measure

BASELINES = {"round trip": "generator send", "lifecycle": "generator create, next, finish"}


def format_table(cases: list[Case]) -> str:
    by_group: dict[str, list[Case]] = {}
    for case in cases:
        by_group.setdefault(case.group, []).append(case)
    lines = []
    for group, members in by_group.items():
        base = next(c for c in members if c.name == BASELINES[group])
        lines.append("")
        lines.append("%-48s %10s %8s %12s" % (group, "ns/op", "spread", "vs " + base.name[:9]))
        lines.append("-" * 82)
        for c in members:
            lines.append("%-48s %10.1f %7.0f%% %11.2fx" % (
                c.name, c.median, c.spread * 100, c.ratio_to(base)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stackful.bench",
                                     description="stackful benchmarks against its peers")
    parser.add_argument("benchmark", nargs="?", default="switch", choices=["switch"])
    parser.add_argument("--quick", action="store_true", help="short run (CI)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per case")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    repeats = args.repeats or (3 if args.quick else 11)
    target = 0.02 if args.quick else 0.1

    cases = switch.cases()
    progress = Progress()
    measure(cases, repeats=repeats, target_seconds=target, progress=progress)
    progress.done()
    print("stackful switch benchmark: median of %d interleaved repeats; ratios are medians"
          " of per-repeat ratios" % repeats)
    print(environment())
    print(format_table(cases))
    by_name = {(c.group, c.name): c for c in cases}
    print()
    print("%-58s %9s %8s" % ("targets (issue 2)", "measured", "target"))
    print("-" * 82)
    for text, ratio, limit in switch.targets(by_name):
        print("%-58s %8.2fx %7.2fx  %s" % (text, ratio, limit, "met" if ratio <= limit else "NOT MET"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
