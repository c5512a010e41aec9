"""An SVG plot of cost per mutation against room size, written by hand (no plotting library).

    python -m benchmarks.plot benchmarks/results/NAME.json [MORE.json ...] [-o out.svg]

Log-log axes; per workload one colour: roomsim's median as a solid line with min-max bars, the
dict floor dashed and the livekit.rtc peer (its time for the same stream, per mutation) dotted.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

__all__ = ["svg", "write_svg", "main"]

_COLOURS: Final = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
_W, _H = 760, 460
_L, _R, _T, _B = 70, 230, 50, 55


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


def svg(result: dict[str, Any]) -> str:
    """The plot of a runner result (its ``rows`` and ``machine``) as an SVG document."""
    rows: list[dict[str, Any]] = result["rows"]
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    series = {w: _series(rows, w) for w in workloads}
    xs = sorted({float(r["n"]) for r in rows})
    ys = [
        v for s in series.values() for pts in s.values() for p in pts for v in p[1:] if v and v > 0
    ]
    if not xs or not ys:
        raise ValueError("nothing to plot")
    x0, x1 = math.log10(min(xs)), math.log10(max(xs))
    if x1 - x0 < 1e-9:
        x0, x1 = x0 - 0.5, x1 + 0.5
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    if y1 == y0:
        y1 += 1
    pw, ph = _W - _L - _R, _H - _T - _B

    def px(x: float) -> float:
        return _L + (math.log10(x) - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return _T + ph - (math.log10(y) - y0) / (y1 - y0) * ph

    m = result.get("machine", {})
    title = "roomsim: cost per mutation against room size"
    sub = f"Python {m.get('python', '?')}, {m.get('cpu', '?')}, {m.get('cores', '?')} cores"
    o: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_L}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
        f'<text x="{_L}" y="38" fill="#555">{escape(sub)}</text>',
    ]
    for e in range(y0, y1 + 1):
        y = py(10.0**e)
        o.append(f'<line x1="{_L}" y1="{y:.1f}" x2="{_L + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        label = f"{10.0**e:g}"
        o.append(f'<text x="{_L - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    for x in xs:
        X = px(x)
        o.append(f'<line x1="{X:.1f}" y1="{_T}" x2="{X:.1f}" y2="{_T + ph}" stroke="#eee"/>')
        o.append(f'<text x="{X:.1f}" y="{_T + ph + 16}" text-anchor="middle">{int(x):,}</text>')
    o.append(f'<rect x="{_L}" y="{_T}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    o.append(
        f'<text x="{_L + pw / 2:.1f}" y="{_H - 12}" text-anchor="middle">'
        "room size N (participants, log scale)</text>"
    )
    o.append(
        f'<text transform="translate(18 {_T + ph / 2:.1f}) rotate(-90)" text-anchor="middle">'
        "µs per mutation (median, log scale)</text>"
    )
    dashes = {"roomsim": "", "floor": ' stroke-dasharray="6 4"', "sdk": ' stroke-dasharray="2 3"'}
    ly = _T + 8
    for i, w in enumerate(workloads):
        c = _COLOURS[i % len(_COLOURS)]
        for kind, pts in series[w].items():
            if not pts:
                continue
            path = " ".join(f"{px(p[0]):.1f},{py(p[1]):.1f}" for p in pts)
            o.append(
                f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2"'
                f"{dashes[kind]}/>"
            )
            if kind == "roomsim":
                for p in pts:
                    X = px(p[0])
                    o.append(
                        f'<line x1="{X:.1f}" y1="{py(p[2]):.1f}" x2="{X:.1f}" '
                        f'y2="{py(p[3]):.1f}" stroke="{c}"/>'
                    )
                    o.append(f'<circle cx="{X:.1f}" cy="{py(p[1]):.1f}" r="3" fill="{c}"/>')
        lx = _L + pw + 16
        o.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 24}" y2="{ly}" stroke="{c}" stroke-width="2"/>'
        )
        o.append(f'<text x="{lx + 30}" y="{ly + 4}">{escape(w)}</text>')
        ly += 20
    ly += 10
    for kind, label in (
        ("roomsim", "roomsim (min-max bars)"),
        ("floor", "dict floor"),
        ("sdk", "livekit.rtc, same stream"),
    ):
        lx = _L + pw + 16
        o.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 24}" y2="{ly}" stroke="#333" '
            f'stroke-width="2"{dashes[kind]}/>'
        )
        o.append(f'<text x="{lx + 30}" y="{ly + 4}">{escape(label)}</text>')
        ly += 20
    o.append("</svg>")
    return "\n".join(o) + "\n"


def write_svg(result: dict[str, Any], path: Path) -> None:
    """Write :func:`svg` of ``result`` to ``path``."""
    path.write_text(svg(result), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: plot one saved result, or the rows of several (one machine's runs)."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.plot", description=__doc__)
    p.add_argument(
        "results", type=Path, nargs="+", help="results JSON written by python -m benchmarks"
    )
    p.add_argument("-o", "--out", type=Path, help="the SVG (default: next to the first JSON)")
    a = p.parse_args(argv)
    loaded = [json.loads(path.read_text(encoding="utf-8")) for path in a.results]
    result = dict(loaded[0])
    result["rows"] = [row for r in loaded for row in r["rows"]]
    out = a.out if a.out is not None else a.results[0].with_suffix(".svg")
    write_svg(result, out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
