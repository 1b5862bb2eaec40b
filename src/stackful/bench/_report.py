"""Presenting results: tables for the terminal and Markdown, targets, plots.

Every benchmark module returns a Result: its tables (rows already formatted), the
issue's targets it measured (with the explanation of a gap, when there is one) and the
data of its plots. This module turns them into the terminal output, the Markdown
report and, if matplotlib is installed, PNG files.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Sequence

from ._timing import Case, optional


@dataclasses.dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = dataclasses.field(default_factory=list)

    def terminal(self) -> str:
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
                  for i, h in enumerate(self.headers)]
        widths[0] = min(widths[0], 70)

        def line(cells: Sequence[str]) -> str:
            first = cells[0].ljust(widths[0])
            rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
            return "  ".join([first, *rest]).rstrip()

        out = [self.title, line(self.headers), "-" * len(line(self.headers))]
        out += [line(r) for r in self.rows]
        out += ["  * " + n for n in self.notes]
        return "\n".join(out)

    def markdown(self) -> str:
        out = ["**%s**" % self.title, "",
               "| " + " | ".join(self.headers) + " |",
               "|" + "|".join(["---"] + ["---:"] * (len(self.headers) - 1)) + "|"]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in self.rows]
        if self.notes:
            out.append("")
            out += ["* " + n for n in self.notes]
        return "\n".join(out)


def ns(value: float) -> str:
    return "%.1f" % value if value < 10_000 else "%.0f" % value


def ratio_table(title: str, cases: Sequence[Case], baseline: str, *, unit: str = "ns/op",
                info_header: str = "", notes: Sequence[str] = ()) -> Table:
    """One row per case: median, spread, ratio to the baseline case (pair by pair)."""
    base = next(c for c in cases if c.name == baseline)
    headers = ["case", unit, "spread", "vs " + baseline]
    if info_header:
        headers.append(info_header)
    rows = []
    for c in cases:
        row = [c.name, ns(c.median), "%.0f%%" % (c.spread * 100), "%.2fx" % c.ratio_to(base)]
        if info_header:
            row.append(c.info)
        rows.append(row)
    return Table(title, headers, rows, list(notes))


@dataclasses.dataclass
class Target:
    text: str
    measured: float
    limit: float
    unit: str = "x"                  # "x" for a ratio, " B" for bytes
    why: str = ""                    # the measured explanation, shown when not met

    @property
    def met(self) -> bool:
        return self.measured <= self.limit

    def verdict(self) -> str:
        if self.met:
            return "met"
        return "NOT MET by %.0f%%" % ((self.measured / self.limit - 1) * 100)

    def cells(self) -> list[str]:
        fmt = "%.2f%s" if self.unit == "x" else "%.0f%s"
        return [self.text, fmt % (self.measured, self.unit), fmt % (self.limit, self.unit),
                self.verdict()]


TARGET_HEADERS = ["target", "measured", "limit", "verdict"]


@dataclasses.dataclass
class Plot:
    """A line plot (x values shared by all series) or a bar chart (one value per bar)."""

    filename: str
    title: str
    kind: str                        # "line" or "bar"
    xlabel: str
    ylabel: str
    x: list[float] = dataclasses.field(default_factory=list)
    series: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    logy: bool = False


@dataclasses.dataclass
class Result:
    name: str
    title: str
    tables: list[Table] = dataclasses.field(default_factory=list)
    targets: list[Target] = dataclasses.field(default_factory=list)
    plots: list[Plot] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)


def bar_plot(filename: str, title: str, cases: Sequence[Case], unit: str = "ns/op") -> Plot:
    return Plot(filename, title, "bar", "", unit,
                series={c.name: [c.median] for c in cases}, logy=True)


def terminal(result: Result, env: str) -> str:
    out = ["", "=== %s ===" % result.title, env]
    out += [n for n in result.notes]
    for t in result.tables:
        out += ["", t.terminal()]
    if result.targets:
        targets = Table("targets", TARGET_HEADERS, [t.cells() for t in result.targets])
        out += ["", targets.terminal()]
    return "\n".join(out)


def _draw(plot: Plot, path: pathlib.Path) -> None:
    matplotlib = optional("matplotlib")
    assert matplotlib is not None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5) if plot.kind == "line" else
                           (8, 0.9 + 0.35 * len(plot.series)))
    if plot.kind == "line":
        for label, ys in plot.series.items():
            ax.plot(plot.x[:len(ys)], ys, marker="o", markersize=3, label=label)
        ax.legend(fontsize=8)
        ax.set_xlabel(plot.xlabel)
        ax.set_ylabel(plot.ylabel)
    else:
        labels = list(plot.series)
        values = [v[0] for v in plot.series.values()]
        ax.barh(range(len(labels)), values)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(plot.ylabel)
        for i, v in enumerate(values):
            ax.text(v, i, " %s" % ns(v), va="center", fontsize=7)
    if plot.logy:
        (ax.set_yscale if plot.kind == "line" else ax.set_xscale)("log")
    ax.set_title(plot.title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(out_dir: pathlib.Path, results: Sequence[Result], env: str,
                 command: str, preamble: str) -> list[str]:
    """Write report.md and the plots; returns notes for the terminal."""
    out_dir.mkdir(parents=True, exist_ok=True)
    can_plot = optional("matplotlib") is not None
    notes = []
    md = ["# stackful benchmark report", "", "`%s`" % command, "", env, "", preamble]
    all_targets = [t for r in results for t in r.targets]
    if all_targets:
        md += ["", "## Targets", "",
               Table("targets, measured in this run", TARGET_HEADERS,
                     [t.cells() for t in all_targets]).markdown()]
        for t in all_targets:
            if not t.met and t.why:
                md += ["", "**Why not met: %s.** %s" % (t.text, t.why)]
    for r in results:
        md += ["", "## %s" % r.title, ""]
        md += r.notes
        for table in r.tables:
            md += ["", table.markdown()]
        for p in r.plots:
            if can_plot:
                _draw(p, out_dir / p.filename)
                md += ["", "![%s](%s)" % (p.title, p.filename)]
    if not can_plot:
        md += ["", "_Plots skipped: matplotlib is not installed "
                   "(`pip install 'stackful[plots]'`)._"]
        notes.append("plots skipped: matplotlib is not installed")
    (out_dir / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    notes.insert(0, "wrote %s" % (out_dir / "report.md"))
    return notes
