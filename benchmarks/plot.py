"""The performance plot: cost per mutation against room size, drawn with matplotlib.

    python -m benchmarks.plot benchmarks/results/NAME.json [MORE.json ...] [-o out.svg|out.png]

Log-log axes; per workload one colour: roomsim's median as a solid line with min-max error
bars, the dict floor dashed and the livekit.rtc peer (its time for the same stream, per
mutation) dotted.  Needs the ``plot`` extra (matplotlib).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["figure", "main", "write_plot"]

_STYLES: Final[dict[str, Literal["-", "--", ":"]]] = {"roomsim": "-", "floor": "--", "sdk": ":"}
_LABELS = {
    "roomsim": "roomsim (median, min-max bars)",
    "floor": "dict floor",
    "sdk": "livekit.rtc, same stream",
}


def _series(rows: Sequence[dict[str, Any]], workload: str) -> dict[str, list[tuple[float, ...]]]:
    out: dict[str, list[tuple[float, ...]]] = {"roomsim": [], "floor": [], "sdk": []}
    for r in sorted((r for r in rows if r["workload"] == workload), key=lambda r: r["n"]):
        n = float(r["n"])
        out["roomsim"].append(
            (n, r["us_per_mutation_median"], r["us_per_mutation_min"], r["us_per_mutation_max"])
        )
        if r.get("floor_us_per_mutation_median"):
            out["floor"].append((n, r["floor_us_per_mutation_median"]))
        if r.get("vs_sdk_median"):
            out["sdk"].append((n, r["us_per_mutation_median"] / r["vs_sdk_median"]))
    return out


def figure(result: dict[str, Any]) -> Figure:
    """The plot of a runner result (its ``rows`` and ``machine``) as a matplotlib Figure."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    rows: list[dict[str, Any]] = result["rows"]
    if not rows:
        raise ValueError("nothing to plot")
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.add_subplot()
    colours = [f"C{i}" for i in range(10)]
    for i, w in enumerate(workloads):
        c = colours[i % len(colours)]
        for kind, pts in _series(rows, w).items():
            if not pts:
                continue
            xs = [p[0] for p in pts]
            ys = [p[1] for p in pts]
            if kind == "roomsim":
                lo = [p[1] - p[2] for p in pts]
                hi = [p[3] - p[1] for p in pts]
                ax.errorbar(
                    xs,
                    ys,
                    yerr=[lo, hi],
                    color=c,
                    marker="o",
                    markersize=4,
                    capsize=3,
                    linestyle=_STYLES[kind],
                    label=w,
                    gid=f"{w}:{kind}",
                )
            else:
                ax.plot(xs, ys, color=c, linestyle=_STYLES[kind], gid=f"{w}:{kind}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ns = sorted({int(r["n"]) for r in rows})
    ax.set_xticks(ns, [f"{n:,}" for n in ns])
    ax.set_xlabel("room size N (participants, log scale)")
    ax.set_ylabel("µs per mutation (median, log scale)")
    ax.grid(True, which="major", color="#dddddd")
    m = result.get("machine", {})
    ax.set_title(
        "roomsim: cost per mutation against room size\n"
        f"Python {m.get('python', '?')}, {m.get('cpu', '?')}, {m.get('cores', '?')} cores",
        loc="left",
        fontsize=11,
    )
    first = ax.legend(title="workload", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.add_artist(first)
    kinds = [
        Line2D([], [], color="#333333", linestyle=_STYLES[k], label=v) for k, v in _LABELS.items()
    ]
    ax.legend(handles=kinds, title="side", loc="lower left", bbox_to_anchor=(1.01, 0.0))
    return fig


def write_plot(result: dict[str, Any], path: Path) -> None:
    """Write :func:`figure` of ``result`` to ``path`` (.svg, .png or .pdf)."""
    from roomsim.timeline import write_figure

    write_figure(figure(result), path)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: plot one saved result, or the rows of several (one machine's runs)."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.plot", description=__doc__)
    p.add_argument(
        "results", type=Path, nargs="+", help="results JSON written by python -m benchmarks"
    )
    p.add_argument("-o", "--out", type=Path, help="the plot (default: an SVG next to the JSON)")
    a = p.parse_args(argv)
    loaded = [json.loads(path.read_text(encoding="utf-8")) for path in a.results]
    result = dict(loaded[0])
    result["rows"] = [row for r in loaded for row in r["rows"]]
    out = a.out if a.out is not None else a.results[0].with_suffix(".svg")
    write_plot(result, out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
