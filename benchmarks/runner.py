"""The benchmark runner: ``python -m benchmarks [options]`` (``--help`` lists them).

For each workload, every size is built ``--repeat`` times (timed: the build figure), then
``benchmarks.sides.Sides`` builds the timed room (one counting handler per observer), the dict
floor and the SDK peer, untimed, and the steady-state
chunks run *interleaved*: for each repetition, for each size, roomsim, the dict floor and the
``livekit.rtc`` peer each apply the same chunk, in an order that rotates per repetition, so
machine noise hits all of them alike and every ratio is taken within one repetition.  The first
repetition is a warm-up and is not reported.  ``gc.collect()`` runs before every timed region;
with ``--freeze`` (the default) ``gc.freeze()`` follows it, so the collector does not traverse
the long-lived rooms (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

import roomsim
from benchmarks import sdk as sdk_peer
from benchmarks.plot import write_plot
from benchmarks.sides import Sides, build_room
from benchmarks.workloads import WORKLOADS

__all__ = ["Figures", "Stats", "build_room", "main", "measure", "machine", "targets"]

RESULTS: Final = Path(__file__).resolve().parent / "results"
DEFAULT_SIZES: Final = (10, 100, 1_000, 10_000)
_US: Final = 1e6


# --------------------------------------------------------------------------------------------
# figures


@dataclass(frozen=True)
class Stats:
    """min / median / max of one figure over the timed repetitions."""

    min: float
    median: float
    max: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Stats:
        v = sorted(values)
        if not v:
            raise ValueError("no values")
        return cls(v[0], statistics.median(v), v[-1])

    def scaled(self, k: float) -> Stats:
        return Stats(self.min * k, self.median * k, self.max * k)


@dataclass
class Figures:
    """Everything measured for one workload at one size."""

    workload: str
    n: int
    #: seconds per build
    build: list[float] = field(default_factory=list)
    #: per timed repetition: mutations applied, seconds, events delivered to observers
    mutations: list[int] = field(default_factory=list)
    run: list[float] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    floor_events: list[int] = field(default_factory=list)
    sdk: list[float] = field(default_factory=list)
    sdk_events: list[int] = field(default_factory=list)
    #: roomsim events to observer-1 that the SDK also emits (should equal sdk_events)
    fed_events: list[int] = field(default_factory=list)
    #: per repetition: this size's cost per mutation / the smallest size's
    scale: list[float] = field(default_factory=list)
    memory: dict[str, Any] = field(default_factory=dict)

    def per_mutation(self) -> list[float]:
        return [t / m for t, m in zip(self.run, self.mutations, strict=True)]

    def row(self) -> dict[str, Any]:
        """One flat row for the CSV, JSON and the table (times in µs, rates per second)."""
        per = Stats.of(self.per_mutation()).scaled(_US)
        build = Stats.of(self.build)
        total_t = statistics.median(self.run)
        row: dict[str, Any] = {
            "workload": self.workload,
            "n": self.n,
            "mutations": self.mutations[0],
            "events": statistics.median(self.events),
            "build_s_min": build.min,
            "build_s_median": build.median,
            "build_s_max": build.max,
            "us_per_mutation_min": per.min,
            "us_per_mutation_median": per.median,
            "us_per_mutation_max": per.max,
            "mutations_per_s": statistics.median(self.mutations) / total_t,
            "events_per_s": statistics.median(self.events) / total_t,
        }
        row.update(_ratio("vs_floor", self.run, self.floor))
        if self.floor:
            per_f = Stats.of(t / m for t, m in zip(self.floor, self.mutations, strict=True)).scaled(
                _US
            )
            row["floor_us_per_mutation_median"] = per_f.median
        else:
            row["floor_us_per_mutation_median"] = None
        row.update(_ratio("vs_sdk", self.run, self.sdk))
        if self.sdk and self.sdk_events[0]:
            pairs = zip(self.sdk, self.sdk_events, strict=True)
            per_e = statistics.median(t / max(e, 1) for t, e in pairs)
            row["sdk_us_per_event_median"] = per_e * _US
            row["sdk_events"] = self.sdk_events[0]
            row["sdk_events_match"] = self.sdk_events == self.fed_events
        else:
            row["sdk_us_per_event_median"] = None
            row["sdk_events"] = None
            row["sdk_events_match"] = None
        sc = Stats.of(self.scale) if self.scale else None
        row["scale_min"] = sc.min if sc else None
        row["scale_median"] = sc.median if sc else None
        row["scale_max"] = sc.max if sc else None
        for k in ("build_peak_mb", "built_mb", "run_peak_mb", "max_rss_mb"):
            row[k] = self.memory.get(k)
        return row


def _ratio(name: str, mine: Sequence[float], theirs: Sequence[float]) -> dict[str, Any]:
    pairs = [a / b for a, b in zip(mine, theirs, strict=True) if b > 0] if theirs else []
    if not pairs:
        return {f"{name}_min": None, f"{name}_median": None, f"{name}_max": None}
    s = Stats.of(pairs)
    return {f"{name}_min": s.min, f"{name}_median": s.median, f"{name}_max": s.max}


# --------------------------------------------------------------------------------------------
# progress


class Progress:
    """A progress bar on stderr (rich's), only when enabled."""

    def __init__(self, total: int, enabled: bool, out: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.done = 0
        self._bar: Any = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bar

            console = Console(file=out if out is not None else sys.stderr)
            self._bar = Bar(
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=console,
            )
            self._task = self._bar.add_task("", total=self.total)
            self._bar.start()

    def step(self, label: str) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=label)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


# --------------------------------------------------------------------------------------------
# one workload


#: the clocks ``--timer`` chooses from
TIMERS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}


def _gc(freeze: bool) -> None:
    gc.collect()
    if freeze:
        gc.freeze()


def measure(
    workload: str,
    sizes: Sequence[int],
    *,
    seed: int = 0,
    repeat: int = 5,
    steps: int = 1000,
    observers: int = 1,
    sdk: bool = True,
    freeze: bool = True,
    progress: Progress | None = None,
    timer: str = "wall",
) -> list[Figures]:
    """Measure one workload at every size (see the module docstring); one Figures per size.

    ``timer`` is ``"wall"`` (``time.perf_counter``) or ``"cpu"`` (``time.process_time``: the
    process's CPU time, which leaves out the time it waits for a core on a busy machine)."""
    clock = TIMERS[timer]
    if repeat < 1:
        raise ValueError("repeat must be >= 1")
    sizes = sorted(set(sizes))
    prog = progress if progress is not None else Progress(0, False)
    gens = {n: WORKLOADS[workload](n, seed, observers) for n in sizes}
    builds = {n: gens[n].build() for n in sizes}
    figs = {n: Figures(workload, n) for n in sizes}
    # warm-up: one build (and its code paths) at the smallest size
    build_room(gens[sizes[0]], builds[sizes[0]])
    sides: dict[int, Sides] = {}
    for n in sizes:
        for _ in range(repeat):
            _gc(False)
            t0 = clock()
            room = build_room(gens[n], builds[n])
            figs[n].build.append(clock() - t0)
            del room
            prog.step(f"{workload} N={n} build")
        # the timed sides: the room with its observers' handlers, the floor, the SDK peer
        sides[n] = Sides(
            workload, n, seed=seed, steps=steps, chunks=repeat + 1, observers=observers, sdk=sdk
        )
        if sdk:
            prog.step(f"{workload} N={n} record SDK stream")
    for rep in range(repeat + 1):
        base: float | None = None
        for n in sizes:
            s = sides[n]
            variants = list(s.variants)
            k = rep % len(variants)
            times: dict[str, float] = {}
            counts: dict[str, int] = {}
            for v in variants[k:] + variants[:k]:
                run = s.runner(v, rep)
                before = [c[0] for c in s.cells]
                c0 = s.count(v)
                _gc(freeze)
                t0 = clock()
                run()
                times[v] = clock() - t0
                if v == "roomsim":
                    counts[v] = sum(c[0] for c in s.cells) - sum(before)
                    counts["fed"] = s.cells[0][0] - before[0]
                else:
                    counts[v] = s.count(v) - c0
            # the observers' buffered events (kept for next_event()) are read, untimed
            s.drain()
            per = times["roomsim"] / len(s.chunks[rep])
            if base is None:
                base = per
            prog.step(f"{workload} N={n} rep {rep}/{repeat}")
            if rep == 0:
                continue  # the warm-up
            f = figs[n]
            f.mutations.append(len(s.chunks[rep]))
            f.run.append(times["roomsim"])
            f.events.append(counts["roomsim"])
            f.floor.append(times["floor"])
            f.floor_events.append(counts["floor"])
            if "sdk" in times:
                f.sdk.append(times["sdk"])
                f.sdk_events.append(counts["sdk"])
                f.fed_events.append(counts["fed"])
            f.scale.append(per / base)
    if freeze:
        gc.unfreeze()
    sides.clear()
    gc.collect()
    return [figs[n] for n in sizes]


def memory_probe(workload: str, n: int, *, seed: int, observers: int, steps: int) -> dict[str, Any]:
    """Run ``benchmarks.memory`` in a fresh process (tracing would slow the timed runs)."""
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-m", "benchmarks.memory", workload, str(n)]
    cmd += ["--seed", str(seed), "--observers", str(observers), "--steps", str(steps)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    out: dict[str, Any] = json.loads(done.stdout)
    return out


# --------------------------------------------------------------------------------------------
# the machine, targets, output


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    try:
        usable: int | None = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = None
    try:
        load: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        load = None
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "load_average_at_start": load,
        "roomsim": roomsim.__version__,
        "livekit": sdk_peer.sdk_version(),
    }


def targets(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, judged from these rows (medians; never asserted in a test)."""
    by = {(r["workload"], r["n"]): r for r in rows}
    out: list[dict[str, Any]] = []

    def add(what: str, value: float | None, limit: float, unit: str, lower: bool = True) -> None:
        met = None if value is None else (value <= limit if lower else value >= limit)
        out.append({"target": what, "value": value, "limit": limit, "unit": unit, "met": met})

    storm = [r for (w, _), r in sorted(by.items()) if w == "attribute_storm"]
    if storm:
        r = storm[0]
        speedup = 1 / r["vs_sdk_median"] if r["vs_sdk_median"] else None
        add(f"attribute update vs SDK speed-up (N={r['n']})", speedup, 10.0, "x", lower=False)
        add(f"attribute update / dict floor (N={r['n']})", r["vs_floor_median"], 4.0, "x")
    for w in WORKLOADS:
        if (w, 10) in by and (w, 10_000) in by:
            add(f"{w}: cost per mutation N=10,000 / N=10", by[w, 10_000]["scale_median"], 1.5, "x")
    th = by.get(("town_hall", 10_000))
    if th is not None:
        add("town_hall N=10,000 build time", th["build_s_median"], 2.0, "s")
        add("town_hall N=10,000 build peak memory", th["build_peak_mb"], 200.0, "MB")
    return out


def _fmt(x: Any, spec: str = ".2f") -> str:
    if x is None:
        return "-"
    return format(x, spec)


def _range(r: dict[str, Any], key: str, spec: str = ".2f") -> str:
    if r[f"{key}_median"] is None:
        return "-"
    return (
        f"{_fmt(r[f'{key}_median'], spec)} "
        f"({_fmt(r[f'{key}_min'], spec)}-{_fmt(r[f'{key}_max'], spec)})"
    )


_HEAD: Final = (
    "workload",
    "N",
    "build s",
    "us/mutation med (min-max)",
    "mut/s",
    "events/s",
    "x floor",
    "x SDK",
    "x N0",
    "peak MB",
)


def _cells(r: dict[str, Any]) -> list[str]:
    return [
        r["workload"],
        f"{r['n']:,}",
        _fmt(r["build_s_median"], ".3f"),
        _range(r, "us_per_mutation", ".1f"),
        _fmt(r["mutations_per_s"], ",.0f"),
        _fmt(r["events_per_s"], ",.0f"),
        _range(r, "vs_floor", ".1f"),
        _range(r, "vs_sdk", ".2f"),
        _fmt(r["scale_median"], ".2f"),
        _fmt(r["build_peak_mb"], ".1f"),
    ]


def rich_table(rows: Sequence[dict[str, Any]]) -> Any:
    """The rows as a ``rich.table.Table``."""
    from rich import box
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD)
    for i, h in enumerate(_HEAD):
        t.add_column(h, justify="left" if i == 0 else "right", no_wrap=True)
    for r in rows:
        t.add_row(*_cells(r))
    return t


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as an aligned text table (rich's, rendered without colours)."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    Console(file=buf, width=200, color_system=None).print(rich_table(rows))
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()).strip("\n")


def save(result: dict[str, Any], out_dir: Path, name: str) -> list[Path]:
    """Write ``name``.json, ``name``.csv and ``name``.svg under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.json", out_dir / f"{name}.csv", out_dir / f"{name}.svg"]
    paths[0].write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    rows = result["rows"]
    m = result["machine"]
    with paths[1].open("w", newline="", encoding="utf-8") as f:
        extra = {"python": m["python"], "cpu": m["cpu"], "cores": m["cores"]}
        w = csv.DictWriter(f, fieldnames=[*rows[0], *extra])
        w.writeheader()
        for r in rows:
            w.writerow({**r, **extra})
    write_plot(result, paths[2])
    return paths


# --------------------------------------------------------------------------------------------
# command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="roomsim's workload benchmarks, side by side with a dict floor and "
        "livekit.rtc (docs/performance.md explains the method)",
    )
    p.add_argument(
        "-w",
        "--workload",
        "--scenario",
        dest="workloads",
        nargs="+",
        choices=list(WORKLOADS),
        default=list(WORKLOADS),
        help="workloads to run (default: all)",
    )
    p.add_argument(
        "-n",
        "--sizes",
        "--size",
        dest="sizes",
        nargs="+",
        type=int,
        default=list(DEFAULT_SIZES),
        help="room sizes N (default: 10 100 1000 10000)",
    )
    p.add_argument("-r", "--repeat", type=int, default=5, help="timed repetitions (default 5)")
    p.add_argument("--seed", type=int, default=0, help="workload seed (default 0)")
    p.add_argument(
        "--steps", type=int, default=1000, help="mutations per repetition (default 1000)"
    )
    p.add_argument(
        "--observers", type=int, default=1, help="observing clients with a handler (default 1)"
    )
    p.add_argument("--no-sdk", action="store_true", help="skip the livekit.rtc comparison")
    p.add_argument(
        "--memory",
        action="store_true",
        help="also measure peak memory (one fresh process per workload and size)",
    )
    p.add_argument("--no-freeze", action="store_true", help="don't gc.freeze() the built rooms")
    p.add_argument(
        "--timer",
        choices=list(TIMERS),
        default="wall",
        help="wall: time.perf_counter (default); cpu: time.process_time, the process's own "
        "CPU time (steadier on a shared, loaded machine)",
    )
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    p.add_argument("--name", help="results file name, without extension (default: a timestamp)")
    p.add_argument("--note", default="", help="a note stored with the results")
    p.add_argument("--no-save", action="store_true", help="print the table only")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; print the table; save JSON, CSV and SVG."""
    args = list(argv) if argv is not None else sys.argv[1:]
    a = _parser().parse_args(args)
    started = _dt.datetime.now(_dt.UTC)
    sizes = sorted(set(a.sizes))
    use_sdk = not a.no_sdk
    skipped = sdk_peer.unavailable() if use_sdk else "livekit.rtc comparison skipped: --no-sdk"
    if skipped is not None:
        use_sdk = False
        print(skipped, flush=True)
    units = len(sizes) * (a.repeat + (1 if use_sdk else 0) + a.repeat + 1)
    units *= len(a.workloads)
    if a.memory:
        units += len(sizes) * len(a.workloads)
    show = a.progress if a.progress is not None else sys.stderr.isatty()
    prog = Progress(units, show)
    info = machine()
    rows: list[dict[str, Any]] = []
    try:
        for w in a.workloads:
            figs = measure(
                w,
                sizes,
                seed=a.seed,
                repeat=a.repeat,
                steps=a.steps,
                observers=a.observers,
                sdk=use_sdk,
                freeze=not a.no_freeze,
                progress=prog,
                timer=a.timer,
            )
            if a.memory:
                for f in figs:
                    f.memory = memory_probe(
                        w, f.n, seed=a.seed, observers=a.observers, steps=a.steps
                    )
                    prog.step(f"{w} N={f.n} memory")
            rows += [f.row() for f in figs]
    finally:
        prog.close()
    result: dict[str, Any] = {
        "machine": info,
        "options": {
            "workloads": a.workloads,
            "sizes": sizes,
            "repeat": a.repeat,
            "seed": a.seed,
            "steps": a.steps,
            "observers": a.observers,
            "gc_freeze": not a.no_freeze,
            "timer": a.timer,
            "sdk": use_sdk,
            "sdk_skipped": skipped,
            "memory": a.memory,
            "command": " ".join(["python -m benchmarks", *args]),
        },
        "note": a.note,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round((_dt.datetime.now(_dt.UTC) - started).total_seconds(), 1),
        "rows": rows,
    }
    result["targets"] = targets(rows)
    print(
        f"Python {info['python']} on {info['cpu']}, {info['cores']} cores; "
        f"repeat {a.repeat} (+1 warm-up), {a.steps} mutations each, seed {a.seed}"
    )
    from rich.console import Console

    Console(width=max(Console().width, 160), highlight=False).print(rich_table(rows))
    for t in result["targets"]:
        verdict = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
        value = f"{_fmt(t['value'])} {t['unit']} (limit {t['limit']})"
        print(f"target: {t['target']}: {value} {verdict}")
    if not a.no_save:
        name = a.name or started.strftime("%Y%m%d-%H%M%S")
        for p in save(result, a.out, name):
            print(f"wrote {p}")
    return 0
